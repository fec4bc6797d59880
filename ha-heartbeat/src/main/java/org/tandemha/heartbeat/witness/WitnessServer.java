package org.tandemha.heartbeat.witness;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.RealtimeSpec;
import org.tandemha.core.exec.RealtimeScheduling;
import org.tandemha.heartbeat.SealedExchange;

/**
 * A witness: a small tie-breaking service that sees every node of one cluster and grants a takeover to at most one
 * of them per generation (like corosync-qnetd). Nodes report to it periodically ({@code witness} arbiter); a node
 * whose every heartbeat path to its peer is down asks it whether the peer is alive.
 *
 * <p>It listens on one UDP address and speaks the heartbeat frame format, authenticated with HMAC-SHA256 under the
 * cluster key; replayed requests are dropped. A peer heard within its lease (the node's own {@code lease}, or the
 * witness's, whichever is longer) is alive; otherwise the asking node is granted the takeover, unless the
 * takeover was already granted for that generation or a higher one to another node that is still alive (then the
 * asking node lost). After a start, it grants nothing about a node it has not heard until a full lease has passed. A
 * node whose takeover was granted away while it was silent and that then reports again with the same incarnation (it
 * was paused or cut off, not restarted) is told so in the answer to its report, and stands down.
 *
 * <p>Grants are kept in memory and, with a state file, saved (written to a temporary file, forced to disk, renamed)
 * before they are answered, so a restarted witness never grants the same generation twice; a grant that cannot be
 * saved is not given. Embeddable:
 *
 * <pre>{@code
 * try (WitnessServer w = new WitnessServer("demo", key, new InetSocketAddress("203.0.113.5", 7600),
 *         Duration.ofSeconds(3), Path.of("/var/lib/tandem/witness.state"))) {
 *     w.start();
 *     ...
 * }
 * }</pre>
 * Or run {@link WitnessMain}.
 */
public final class WitnessServer implements AutoCloseable {
    /** The id the witness signs its answers with. */
    public static final String ID = "witness";
    static final String REPORT = "witness-report";
    static final String ASK = "witness-ask";
    private static final Logger LOG = LoggerFactory.getLogger(WitnessServer.class);

    private final String cluster;
    private final byte[] key;
    private final InetSocketAddress bind;
    private final Duration lease;
    private final Path stateFile;
    private WitnessState state;
    private SealedExchange.Responder responder;
    private RealtimeSpec realtime = RealtimeSpec.none();
    private final List<String> realtimeApplied = new ArrayList<>();

    /**
     * @param cluster   the cluster's name
     * @param key       the cluster key (at least 16 bytes)
     * @param bind      the address to listen on (port 0: any free port, see {@link #address()})
     * @param lease     the shortest time after its last report that a node counts as alive (a node's longer lease
     *                  wins)
     * @param stateFile where grants are saved, or {@code null} to keep them in memory only
     */
    public WitnessServer(String cluster, byte[] key, InetSocketAddress bind, Duration lease, Path stateFile) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(key, "key");
        if (key.length < 16) {
            throw new IllegalArgumentException("the cluster key has " + key.length + " bytes; the witness needs 16 or more");
        }
        this.key = key.clone();
        this.bind = Objects.requireNonNull(bind, "bind");
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException("the lease must be longer than zero");
        }
        this.lease = lease;
        this.stateFile = stateFile;
    }

    /**
     * Real-time settings for the witness (call before {@link #start()}), the keys of a node's {@code realtime}
     * section: {@code priority} and {@code policy} for the thread that answers the nodes (so that a busy host still
     * dates their reports and answers their questions on time), {@code lockMemory} for the process, {@code required}
     * to refuse to start without them. {@code checkPriority} has no thread to apply to here.
     */
    public synchronized WitnessServer realtime(RealtimeSpec rt) {
        this.realtime = Objects.requireNonNull(rt, "rt");
        return this;
    }

    /** What the real-time settings did, for the start line: "SCHED_FIFO 10", "memory locked" (empty: nothing asked or applied). */
    public synchronized List<String> realtimeApplied() {
        return List.copyOf(realtimeApplied);
    }

    /**
     * Loads the state file (if any), binds the address and starts answering.
     *
     * @throws IOException if the address cannot be bound or the state file cannot be read
     * @throws IllegalStateException if {@code realtime.required} is set and a real-time setting is not permitted
     *                               (the message names it and the fix)
     */
    public synchronized WitnessServer start() throws IOException {
        if (responder != null) {
            return this;
        }
        List<String> failed = new ArrayList<>();
        String who = "witness for cluster " + cluster;
        if (realtime.lockMemory()) {
            String why = RealtimeScheduling.lockMemory("witness", "realtime.lockMemory");
            if (why == null) {
                realtimeApplied.add("memory locked");
            } else {
                failed.add(reword(why, who));
            }
        }
        if (!failed.isEmpty() && realtime.required()) {
            throw new IllegalStateException(String.join("; ", failed) + " (realtime.required: true)");
        }
        long seen = 0;
        NavigableMap<Long, String> grants = new TreeMap<>();
        if (stateFile != null && Files.exists(stateFile)) {
            int n = 0;
            for (String line : Files.readAllLines(stateFile, StandardCharsets.UTF_8)) {
                n++;
                String[] w = line.trim().split("\\s+");
                try {
                    if (w.length == 2 && w[0].equals("seen")) {
                        seen = Math.max(seen, Long.parseLong(w[1]));
                    } else if (w.length == 3 && w[0].equals("grant")) {
                        grants.put(Long.parseLong(w[1]), w[2]);
                    } else if (!line.isBlank() && !line.startsWith("#")) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    throw new IOException(stateFile + " line " + n + " is not 'seen N' or 'grant N node': '" + line
                            + "'; fix or remove the file (removing it forgets the grants: wait one lease before"
                            + " starting the witness again)");
                }
            }
            LOG.info("witness: loaded {} grant(s) and generation {} from {}", grants.size(), seen, stateFile);
        }
        WitnessState s = new WitnessState(System.nanoTime(), lease.toNanos(), seen, grants, this::save);
        DatagramSocket socket = new DatagramSocket(bind);
        SealedExchange exchange = new SealedExchange(cluster, key, ID);
        state = s;
        CompletableFuture<String> rtDone = new CompletableFuture<>();
        int policy = RealtimeScheduling.policy(realtime.policy());
        int priority = realtime.priority();
        SealedExchange.Responder r = exchange.responder(socket, "tandem-witness", true, this::handle);
        if (priority > 0) {
            r.onThreadStart(() -> rtDone.complete(RealtimeScheduling.setCurrentThread("witness", "realtime.priority",
                    policy, priority)));
        } else {
            rtDone.complete(null);
        }
        r.start();
        String why;
        try {
            why = rtDone.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "realtime.priority: interrupted while the answering thread set its priority";
        } catch (ExecutionException | TimeoutException e) {
            why = "realtime.priority: the answering thread did not start within 5 s (" + e + ")";
        }
        if (why != null) {
            failed.add(reword(why, who));
        } else if (priority > 0) {
            realtimeApplied.add(0, RealtimeScheduling.policyName(policy) + " " + priority);
        }
        if (!failed.isEmpty() && realtime.required()) {
            r.close();
            throw new IllegalStateException(String.join("; ", failed) + " (realtime.required: true)");
        }
        failed.forEach(f -> LOG.error("{}; running without it", f));
        responder = r;
        LOG.info("witness for cluster {} listening on {}:{} (lease {} ms{})", cluster, address().getAddress().getHostAddress(),
                address().getPort(), lease.toMillis(),
                stateFile == null ? ", grants in memory only" : ", grants saved in " + stateFile);
        return this;
    }

    /** The bound address. */
    public synchronized InetSocketAddress address() {
        return responder == null ? bind : responder.address();
    }

    private SealedExchange.Reply handle(SealedExchange.Message m) {
        ByteBuffer in = ByteBuffer.wrap(m.payload());
        if (in.remaining() < 8 || m.sender().isEmpty() || m.sender().chars().anyMatch(c -> Character.isWhitespace(c))) {
            return null;
        }
        long nodeLease = Math.max(0, Math.min(in.getLong(), Duration.ofHours(1).toMillis())) * 1_000_000L;
        long now = System.nanoTime();
        synchronized (this) {
            switch (m.op()) {
                case REPORT -> {
                    // dated when the answering thread had it from the socket, not after the checks and a wait for
                    // this lock: the node was alive then, and its lease runs from there
                    long heard = m.received() > 0 && m.received() <= now ? m.received() : now;
                    WitnessState.Reported r = state.report(m.sender(), m.incarnation(), m.value(), nodeLease, heard);
                    if (r.notice() == null) {
                        return new SealedExchange.Reply(r.seen(), new byte[0]);
                    }
                    byte[] text = r.notice().text().getBytes(StandardCharsets.UTF_8);
                    return new SealedExchange.Reply(r.seen(), ByteBuffer.allocate(8 + text.length)
                            .putLong(r.notice().generation()).put(text).array());
                }
                case ASK -> {
                    String peer = StandardCharsets.UTF_8.decode(in).toString();
                    if (peer.isEmpty()) {
                        return null;
                    }
                    WitnessState.Answer a = state.ask(m.sender(), peer, m.value(), nodeLease, now);
                    if (a.answer() != Verdict.Answer.PEER_ALIVE) {
                        LOG.info("witness: {} asked about {} at generation {}: {} ({})", m.sender(), peer, m.value(),
                                a.answer(), a.reason());
                    }
                    byte[] reason = a.reason().getBytes(StandardCharsets.UTF_8);
                    ByteBuffer out = ByteBuffer.allocate(1 + reason.length);
                    out.put(code(a.answer())).put(reason);
                    return new SealedExchange.Reply(a.generation(), out.array());
                }
                default -> {
                    return null;
                }
            }
        }
    }

    /** RealtimeScheduling's sentence ("node witness: realtime.x: ...") for this witness. */
    private static String reword(String why, String who) {
        return why.startsWith("node witness: ") ? who + ": " + why.substring("node witness: ".length())
                : who + ": " + why;
    }

    /** The wire code of an answer (fixed, independent of the enum's order). */
    static byte code(Verdict.Answer a) {
        return switch (a) {
            case PEER_ALIVE -> 1;
            case PEER_DEAD -> 2;
            case WE_LOST -> 3;
            case UNKNOWN -> 4;
        };
    }

    /** The answer of a wire code, or {@code null}. */
    static Verdict.Answer answer(int code) {
        return switch (code) {
            case 1 -> Verdict.Answer.PEER_ALIVE;
            case 2 -> Verdict.Answer.PEER_DEAD;
            case 3 -> Verdict.Answer.WE_LOST;
            case 4 -> Verdict.Answer.UNKNOWN;
            default -> null;
        };
    }

    /** The grants so far, by generation (for tests and operators). */
    synchronized Map<Long, String> grants() {
        return state == null ? Map.of() : state.grants();
    }

    private String save(long seen, NavigableMap<Long, String> grants) {
        if (stateFile == null) {
            return null;
        }
        StringBuilder b = new StringBuilder("# Tandem witness state: the highest generation seen and the takeovers granted\n");
        b.append("seen ").append(seen).append('\n');
        grants.forEach((g, n) -> b.append("grant ").append(g).append(' ').append(n).append('\n'));
        Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
        try {
            if (stateFile.getParent() != null) {
                Files.createDirectories(stateFile.getParent());
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = StandardCharsets.UTF_8.encode(b.toString());
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.error("witness: cannot save {}: {}", stateFile, e.toString());
            return "cannot write " + stateFile + ": " + e.getMessage();
        }
    }

    /** Stops answering. */
    @Override
    public synchronized void close() {
        if (responder != null) {
            responder.close();
        }
    }
}
