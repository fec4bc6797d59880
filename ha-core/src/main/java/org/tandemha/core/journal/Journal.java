package org.tandemha.core.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;
import org.tandemha.core.json.JsonTrees;

/**
 * Writes a node's journal: every input its engine handled, with its time and a digest of the actions the engine
 * returned, into a directory of bounded segments. Call {@link #open}, {@link #append}, {@link #rotate} and
 * {@link #close} on the engine's thread, {@code append} right after {@code engine.handle(input, nowMs)}.
 *
 * <p>Never blocks or breaks the node: the engine's thread only encodes a line and hands it to a writer thread
 * through a bounded queue. Lines are buffered and flushed when a segment ends, on {@link #close}, and at most about
 * every second; nothing is forced to disk per entry (a crash may lose the last second and leave a truncated last
 * line, which the reader ignores). The first I/O error (or a writer that falls a whole queue behind) is logged once,
 * with the path and the fix, and journaling stops for good; the engine carries on.
 *
 * <p>A segment ends after {@link Options#maxEntries} entries or {@link Options#maxBytes} bytes (the entry that
 * reaches the bound is the last), or at {@link #rotate}; the next one starts at once, with a header holding the
 * engine snapshot the caller's supplier gives at that moment: the state after the last entry written, which is the
 * state the next entry is handled in. Only the newest {@link Options#keepSegments} segments are kept.
 */
public final class Journal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final long FLUSH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * How long the writer rests after it has written everything queued, before it waits for the next line: lines
     * queued meanwhile are taken together, without waking it (and the engine's thread paying for the wake-up) once
     * per line: at 1,000 resources about 1,100 lines a second took 670 wake-ups a second, now at most 50. Lines are
     * flushed at most every second anyway; {@link #close} wakes it at once.
     */
    private static final long REST_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * Bounds of a journal.
     *
     * @param maxEntries    entries per segment before a new one starts
     * @param maxBytes      bytes per segment before a new one starts
     * @param keepSegments  segments kept, the newest (the one being written included)
     * @param queueCapacity lines the writer may fall behind before journaling stops
     */
    public record Options(int maxEntries, long maxBytes, int keepSegments, int queueCapacity) {
        public Options {
            if (maxEntries < 1 || maxBytes < 1 || keepSegments < 1 || queueCapacity < 1) {
                throw new IllegalArgumentException("journal bounds must be positive: maxEntries=" + maxEntries
                        + ", maxBytes=" + maxBytes + ", keepSegments=" + keepSegments + ", queueCapacity=" + queueCapacity);
            }
        }

        /** 10,000 entries or 8 MiB per segment, 4 segments, 65,536 lines of slack. */
        public static Options defaults() {
            return new Options(10_000, 8L << 20, 4, 65_536);
        }
    }

    private sealed interface Item {
    }

    /** A new segment: its header line, or (null header) the way to write it, on the writer's thread. */
    private record Start(long sequence, byte[] header, Supplier<byte[]> deferred) implements Item {
    }

    private record Line(byte[] bytes) implements Item {
    }

    private record Stop(CountDownLatch done) implements Item {
    }

    private final Path dir;
    private final String cluster;
    private final String node;
    private final String fingerprint;
    private final long wallBase;
    private final Supplier<JsonNode> snapshots;
    /** The engine's state as a value, taken on the engine's thread; written as JSON on the writer's (or null). */
    private final Supplier<Supplier<JsonNode>> deferredSnapshots;
    private final Options options;
    private final BlockingQueue<Item> queue;
    private final Thread writer;
    private final AtomicBoolean broken = new AtomicBoolean();
    // engine thread only
    private long nextSequence;
    private int entries;
    private long bytes;
    private volatile boolean closed;

    private Journal(Path dir, String cluster, String node, String fingerprint, long wallBase,
                    Supplier<JsonNode> snapshots, Supplier<Supplier<JsonNode>> deferredSnapshots, Options options,
                    long firstSequence, boolean broken) {
        this.dir = dir;
        this.cluster = cluster;
        this.node = node;
        this.fingerprint = fingerprint;
        this.wallBase = wallBase;
        this.snapshots = snapshots == null ? () -> null : snapshots;
        this.deferredSnapshots = deferredSnapshots;
        this.options = options == null ? Options.defaults() : options;
        this.nextSequence = firstSequence;
        this.broken.set(broken);
        this.queue = new ArrayBlockingQueue<>(this.options.queueCapacity());
        if (broken) {
            this.writer = null;
        } else {
            this.writer = new Thread(this::write, "tandem-journal-" + node);
            this.writer.setDaemon(true);
            this.writer.start();
        }
    }

    /**
     * Opens the journal of {@code node} in {@code dir} (created if missing) and starts a segment; new segments
     * continue the numbering of those already there. Call it on the engine's thread, before the first input the
     * journal is to hold. Never throws for an unusable directory: it logs why and journals nothing.
     *
     * @param wallBase  the wall time (epoch milliseconds) at engine time 0, for display
     * @param nowMs     the engine's time now (that of the snapshot the first segment starts from)
     * @param snapshots the engine's snapshot, asked for on the engine's thread whenever a segment starts: here, after
     *                  an {@link #append} that fills a segment, and at {@link #rotate} (may give null when there is
     *                  none: such a journal can be replayed only from the node's boot on)
     */
    public static Journal open(Path dir, String cluster, String node, String fingerprint, long wallBase, long nowMs,
                               Supplier<JsonNode> snapshots, Options options) {
        return openWith(dir, cluster, node, fingerprint, wallBase, nowMs, snapshots, null, options);
    }

    /**
     * Like {@link #open(Path, String, String, String, long, long, Supplier, Options)}, but the engine's thread only
     * takes the snapshot as an immutable value ({@code snapshots}, called there); turning it into JSON ({@code toJson},
     * the costly part with thousands of resources) and writing the segment's header happen on the writer's thread.
     * The header then does not count toward {@link Options#maxBytes} (the entries do).
     */
    public static <S> Journal open(Path dir, String cluster, String node, String fingerprint, long wallBase, long nowMs,
                                   Supplier<S> snapshots, java.util.function.Function<? super S, JsonNode> toJson,
                                   Options options) {
        Supplier<Supplier<JsonNode>> deferred = () -> {
            S snap = snapshots.get();
            return snap == null ? () -> null : () -> toJson.apply(snap);
        };
        return openWith(dir, cluster, node, fingerprint, wallBase, nowMs, null, deferred, options);
    }

    private static Journal openWith(Path dir, String cluster, String node, String fingerprint, long wallBase, long nowMs,
                                Supplier<JsonNode> snapshots, Supplier<Supplier<JsonNode>> deferred, Options options) {
        long first = 1;
        boolean broken = false;
        try {
            Files.createDirectories(dir);
            List<Path> existing = JournalReader.segments(dir);
            if (!existing.isEmpty()) {
                first = JournalReader.sequence(existing.get(existing.size() - 1)) + 1;
            }
        } catch (IOException | RuntimeException e) {
            broken = true;
            warn(node, dir, dir, e);
        }
        Journal j = new Journal(dir, cluster, node, fingerprint, wallBase, snapshots, deferred, options, first, broken);
        j.rotate(nowMs);
        return j;
    }

    /** Whether inputs are still being journaled (false after an I/O error or {@link #close}). */
    public boolean active() {
        return !broken.get() && !closed;
    }

    /** Whether journaling stopped after an I/O error (logged once, when it happened). */
    public boolean failed() {
        return broken.get();
    }

    /** The directory of this journal. */
    public Path directory() {
        return dir;
    }

    /**
     * Journals that the engine handled {@code input} at {@code nowMs} and returned {@code actions}; call it on the
     * engine's thread right after {@code handle}. When that fills the segment, the next one starts here, with the
     * engine's snapshot of now.
     */
    public void append(long nowMs, Input input, List<Action> actions) {
        if (!active()) {
            return;
        }
        try {
            byte[] b = line(nowMs, input, ActionDigest.of(actions));
            entries++;
            bytes += b.length;
            offer(new Line(b));
            if (entries >= options.maxEntries() || bytes >= options.maxBytes()) {
                startSegment(nowMs);
            }
        } catch (RuntimeException e) {
            if (broken.compareAndSet(false, true)) {
                LOG.warn("journal of node {}: cannot journal {} ({}); journaling stops, the node carries on. This is a bug "
                        + "in Tandem: please report it with this message", node, input, e);
            }
        }
    }

    /**
     * Ends the current segment and starts a new one from the engine's snapshot of now (on the engine's thread,
     * between two inputs; for example after the lead's snapshot format changed, or at an operator's request).
     */
    public void rotate(long nowMs) {
        if (!active()) {
            return;
        }
        try {
            startSegment(nowMs);
        } catch (RuntimeException e) {
            if (broken.compareAndSet(false, true)) {
                LOG.warn("journal of node {}: cannot start a segment ({}); journaling stops, the node carries on. This is "
                        + "a bug in Tandem (or in the engine snapshot): please report it with this message", node, e);
            }
        }
    }

    private void startSegment(long nowMs) {
        if (deferredSnapshots != null) {
            Supplier<JsonNode> snap = deferredSnapshots.get(); // the state now, on the engine's thread
            entries = 0;
            bytes = 0;
            offer(new Start(nextSequence++, null, () -> {
                try {
                    return lineBytes(new JournalHeader(JournalReader.FORMAT, cluster, node, nowMs, wallBase, fingerprint,
                            snap.get()).toJson());
                } catch (RuntimeException e) {
                    if (broken.compareAndSet(false, true)) {
                        LOG.warn("journal of node {}: cannot write the engine snapshot of a new segment ({}); journaling "
                                + "stops, the node carries on. This is a bug in Tandem: please report it with this message",
                                node, e.toString());
                    }
                    return null;
                }
            }));
            return;
        }
        JournalHeader h = new JournalHeader(JournalReader.FORMAT, cluster, node, nowMs, wallBase, fingerprint,
                snapshots.get());
        byte[] b = lineBytes(h.toJson());
        entries = 0;
        bytes = b.length;
        offer(new Start(nextSequence++, b, null));
    }

    /** One entry's line: what Jackson writes for {@code {"t":…,"in":…,"digest":…}}, byte for byte. */
    static byte[] line(long nowMs, Input input, String digest) {
        byte[] fast = fastLine(nowMs, input, digest);
        return fast != null ? fast : jacksonLine(nowMs, input, digest);
    }

    static byte[] jacksonLine(long nowMs, Input input, String digest) {
        ObjectNode line = InputCodec.F.objectNode();
        line.put("t", nowMs);
        line.set("in", InputCodec.encode(input));
        line.put("digest", digest);
        return lineBytes(line);
    }

    /**
     * The line of the inputs a node handles thousands of times a second (a tick, a check result with a plain reason
     * and no output), written directly: the same bytes as {@link #jacksonLine} without building a JSON tree; null for
     * any other input (or text that would need escaping), which takes the general way.
     */
    static byte[] fastLine(long nowMs, Input input, String digest) {
        AsciiLine b = AsciiLine.get().raw("{\"t\":").num(nowMs).raw(",\"in\":");
        if (input instanceof Input.Tick) {
            b.raw("{\"kind\":\"tick\"}");
        } else if (input instanceof Input.CheckDone c && c.result() != null && c.result().output().isEmpty()
                && c.result().duration() != null && c.result().health() != null && c.result().severity() != null) {
            org.tandemha.api.CheckResult r = c.result();
            java.time.Duration d = r.duration();
            long sec = d.getSeconds();
            if (sec < 0 || sec >= 9_000_000_000L) {
                return null;
            }
            b.raw("{\"kind\":\"checkDone\",\"id\":").num(c.id()).raw(",\"result\":{\"health\":\"")
                    .raw(r.health().name()).raw("\",\"severity\":\"").raw(r.severity().name()).raw("\",\"reason\":\"");
            if (!b.plain(r.reason())) {
                return null;
            }
            b.raw("\",\"durationMs\":").millis(sec * 1_000_000_000L + d.getNano()).raw("}}");
        } else {
            return null;
        }
        b.raw(",\"digest\":\"");
        if (!b.plain(digest)) {
            return null;
        }
        return b.raw("\"}\n").bytes();
    }

    private static byte[] lineBytes(JsonNode n) {
        byte[] json = JsonTrees.bytes(n);
        byte[] b = java.util.Arrays.copyOf(json, json.length + 1);
        b[json.length] = '\n';
        return b;
    }

    private void offer(Item item) {
        if (!queue.offer(item) && broken.compareAndSet(false, true)) {
            LOG.warn("journal of node {}: the writer fell {} lines behind (is the disk of {} slow or hung?); journaling "
                            + "stops, the node carries on. Fix: put the journal on a local disk with room, then restart the node",
                    node, options.queueCapacity(), dir);
        }
    }

    private static void warn(String node, Path dir, Path path, Exception e) {
        LOG.warn("journal of node {}: cannot write {} ({}); journaling stops, the node carries on. Fix: make {} a "
                + "writable directory with free space and only journal segments in it, then restart the node",
                node, path, e, dir);
    }

    /** Flushes what was written and stops the writer (waits at most 5 s for a slow disk). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (writer == null) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        try {
            if (queue.offer(new Stop(done), 5, TimeUnit.SECONDS)) {
                java.util.concurrent.locks.LockSupport.unpark(writer);
                done.await(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ the writer thread

    private void write() {
        OutputStream out = null;
        Path file = dir;
        long lastFlush = System.nanoTime();
        boolean dirty = false;
        while (true) {
            Item item;
            try {
                item = queue.poll(dirty ? 1 : 60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                item = null;
                fail(e, file);
            }
            try {
                if (item instanceof Stop s) {
                    closeQuietly(out, file);
                    s.done().countDown();
                    return;
                }
                if (broken.get()) {
                    out = closeQuietly(out, file);
                    dirty = false;
                    continue;
                }
                if (item instanceof Start s) {
                    byte[] header = s.header() != null ? s.header() : s.deferred().get();
                    if (header == null) {
                        out = closeQuietly(out, file); // (the snapshot could not be written: logged, journaling stopped)
                        dirty = false;
                        continue;
                    }
                    if (out != null) {
                        out.close();
                    }
                    out = null;
                    file = dir.resolve(JournalReader.fileName(s.sequence()));
                    out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE), 64 * 1024);
                    out.write(header);
                    dirty = true;
                    prune();
                } else if (item instanceof Line l && out != null) {
                    out.write(l.bytes());
                    dirty = true;
                    if (queue.isEmpty() && !closed) {
                        java.util.concurrent.locks.LockSupport.parkNanos(REST_NANOS);
                    }
                }
                if (dirty && (item == null || System.nanoTime() - lastFlush >= FLUSH_NANOS)) {
                    out.flush();
                    dirty = false;
                    lastFlush = System.nanoTime();
                }
            } catch (IOException | RuntimeException e) {
                fail(e, file);
                out = closeQuietly(out, file);
                dirty = false;
            }
        }
    }

    private void fail(Exception e, Path file) {
        if (broken.compareAndSet(false, true)) {
            warn(node, dir, file, e);
        }
    }

    private OutputStream closeQuietly(OutputStream out, Path file) {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                fail(e, file);
            }
        }
        return null;
    }

    private void prune() throws IOException {
        List<Path> all = JournalReader.segments(dir);
        for (int i = 0; i < all.size() - options.keepSegments(); i++) {
            Files.deleteIfExists(all.get(i));
        }
    }
}
