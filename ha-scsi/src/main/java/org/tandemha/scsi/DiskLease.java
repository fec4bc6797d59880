package org.tandemha.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.HeartbeatPath;
import org.tandemha.api.Verdict;

/**
 * A disk heartbeat and lease on shared storage (a file or a LUN): one block per node, as SBD and VCS do, so the
 * shared disk is a heartbeat path of another medium and a safety-check channel.
 *
 * <h2>Layout</h2>
 * Block 0 holds a header (magic, cluster name). Block {@code 1 + i} is the slot of the i-th node of the cluster
 * configuration, written only by that node: node id, state, a lease counter (incremented at every write), the
 * membership's heartbeat incarnation and sequence, the wall time of the write, and a claim (a target node and a
 * random ballot), protected by a CRC-32. Because each node writes only its own slot, no write of one node can tear
 * or undo a write of the other.
 *
 * <h2>Liveness</h2>
 * A background thread renews our slot every {@code interval} (unless the heartbeat path just wrote it) and reads
 * the peers' slots, noting on the monotonic clock when each peer's counter last changed. A peer whose counter has
 * not changed for {@code leaseTimeout} has an expired lease.
 *
 * <h2>Deciding about a silent peer ({@link #decide}) and why exactly one node wins</h2>
 * <ol>
 *   <li>Observe: if the peer's counter advances, the peer is alive: {@code PEER_ALIVE}. If it has not advanced for
 *       the lease timeout, go on. If the peer's slot claims us, go to (4).</li>
 *   <li>Claim: read the peer's slot (t0), then write our slot with a claim on the peer and a random ballot. If the
 *       write did not land within {@code D = settle / 2} of the read (we were paused, the disk was slow), withdraw
 *       and answer {@code UNKNOWN}: the timing argument below needs that bound.</li>
 *   <li>Settle and verify: wait {@code settle} (greater than D and at least two renewal intervals), read the peer
 *       again. If it claims us too, the higher ballot wins (ties: the smaller node id); both nodes compare the same
 *       two ballots, so they agree: the winner keeps its claim and answers {@code PEER_DEAD}, the loser answers
 *       {@code WE_LOST} and leaves its losing claim in place until {@link #rejoin} (withdrawing it would move its
 *       counter, which the winner, perhaps still verifying, would take for a live peer). Else, if its counter moved, it is alive: withdraw, {@code PEER_ALIVE}. Else
 *       the claim stands as a poison pill: {@code PEER_DEAD}.</li>
 *   <li>Claimed: if the peer claims us, wait up to {@code settle + 2 interval}: a peer that sees us renewing withdraws
 *       (then {@code PEER_ALIVE}); a claim still standing means the peer decided: {@code WE_LOST}.</li>
 * </ol>
 * Why two nodes cannot both win: suppose X's claim lands at time x and Y's at y ≥ x. X verifies at x + settle.
 * If y ≤ x + settle, X sees Y's claim, and Y (verifying at y + settle &gt; x) sees X's: both tie-break on the same
 * ballots and exactly one wins. If y &gt; x + settle, Y read X's slot at some r ≥ y - D &gt; x + settle - D &gt; x,
 * so Y saw X's claim before claiming and went to step 4 instead: it can only answer {@code WE_LOST} or, if X
 * withdrew, {@code PEER_ALIVE}. Step 2's measured bound is what makes "Y's read is at most D before its claim
 * lands" true even across a stop-the-world pause: a pause between read and write shows up as a write that took
 * longer than D, and that claim is withdrawn before anyone decides on it (the peer, seeing our claim appear and
 * vanish, waits in step 4 and then sees our counter move). The same ordering makes step 3's "counter moved" test
 * sound: a live peer renews at least once per interval, and the settle spans two intervals.
 *
 * <h2>Our own lease</h2>
 * {@link #ownLeaseExpired()} tells a node that wakes from a long pause (or whose writes failed) that its lease
 * lapsed: the peer may have declared it dead, so it must stand down. A peer's claim that stands against us longer
 * than the claim window makes this node "poisoned": {@link #onPoisoned} listeners hear it once (the engine's
 * {@code reportFenced}). Both are sticky until {@link #rejoin}, or until this handshake ends them: the poisoned
 * node writes its slot in state FENCED (it was told to stand down), the claimant then withdraws its claim, and the
 * poisoned node, seeing the claim gone after its acknowledgement, is whole again.
 *
 * <p>One instance per storage location and node is shared by the {@code disk} heartbeat path and the
 * {@code disk-lease} arbiter ({@link #onFile}, {@link #onLun}).
 */
public final class DiskLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskLease.class);
    private static final Map<String, DiskLease> SHARED = new ConcurrentHashMap<>();
    private static final byte[] HEADER_MAGIC = "TNDMLEAS".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SLOT_MAGIC = "TNDMSLOT".getBytes(StandardCharsets.US_ASCII);
    private static final int RECORD = 512;
    private static final int MAX_ID = 64;
    static final int MAX_NODES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Slot states. */
    static final int RUNNING = 1;
    static final int STOPPED = 2;
    /** Written by a poisoned node: "I saw your claim and stood down". */
    static final int FENCED = 3;

    /** Timing of a lease. */
    public record Settings(Duration interval, Duration leaseTimeout, Duration settle) {
        /** Problems with these settings, empty if none. */
        public List<String> problems() {
            List<String> p = new ArrayList<>();
            if (leaseTimeout.compareTo(interval.multipliedBy(3)) < 0) {
                p.add("leaseTimeout " + leaseTimeout.toMillis() + " ms must be at least 3 intervals (" + interval.multipliedBy(3).toMillis() + " ms)");
            }
            if (settle.compareTo(interval.multipliedBy(2)) < 0) {
                p.add("settle " + settle.toMillis() + " ms must be at least 2 intervals (" + interval.multipliedBy(2).toMillis() + " ms)");
            }
            return p;
        }

        /** Defaults from an interval: lease timeout 10 intervals, settle 3 intervals. */
        public static Settings of(Duration interval) {
            return new Settings(interval, interval.multipliedBy(10), interval.multipliedBy(3));
        }
    }

    /** One slot as read. */
    record Slot(String node, int state, long counter, long incarnation, long hbSequence, long wallMillis,
                String claimTarget, long claimBallot) {
        static final Slot EMPTY = new Slot("", 0, 0, 0, 0, 0, "", 0);

        boolean claims(String node) {
            return claimBallot != 0 && claimTarget.equals(node);
        }

        byte[] encode(int blockSize) {
            ByteBuffer b = ByteBuffer.allocate(RECORD);
            b.put(SLOT_MAGIC).putInt(1).putInt(state).putLong(counter).putLong(incarnation).putLong(hbSequence)
                    .putLong(wallMillis).putLong(claimBallot);
            putId(b, claimTarget);
            putId(b, node);
            CRC32 crc = new CRC32();
            crc.update(b.array(), 0, RECORD - 4);
            b.putInt(RECORD - 4, (int) crc.getValue());
            return Arrays.copyOf(b.array(), blockSize);
        }

        /** Parses a slot; {@code EMPTY} for a never-written (all zero) slot; throws for a corrupt one. */
        static Slot decode(byte[] d) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(d, 0, RECORD);
            byte[] magic = new byte[8];
            b.get(magic);
            if (!Arrays.equals(magic, SLOT_MAGIC)) {
                if (allZero(d, RECORD)) {
                    return EMPTY;
                }
                throw new IOException("slot has no Tandem lease magic (written by something else?)");
            }
            CRC32 crc = new CRC32();
            crc.update(d, 0, RECORD - 4);
            if ((int) crc.getValue() != ByteBuffer.wrap(d).getInt(RECORD - 4)) {
                throw new IOException("slot CRC mismatch (torn or corrupt write)");
            }
            b.getInt(); // version
            int state = b.getInt();
            long counter = b.getLong();
            long inc = b.getLong();
            long seq = b.getLong();
            long wall = b.getLong();
            long ballot = b.getLong();
            String target = getId(b);
            String node = getId(b);
            return new Slot(node, state, counter, inc, seq, wall, target, ballot);
        }

        private static void putId(ByteBuffer b, String s) {
            byte[] v = s.getBytes(StandardCharsets.UTF_8);
            int n = Math.min(v.length, MAX_ID);
            b.putShort((short) n).put(v, 0, n).position(b.position() + MAX_ID - n);
        }

        private static String getId(ByteBuffer b) {
            int n = Math.min(MAX_ID, Math.max(0, b.getShort()));
            byte[] v = new byte[MAX_ID];
            b.get(v);
            return new String(v, 0, n, StandardCharsets.UTF_8);
        }
    }

    /** What we know of a peer. */
    private static final class PeerView {
        final String node;
        final int index;
        long lastCounter = -1;
        long lastChangeNanos;
        long lastHbSequence = -1;
        long claimSinceNanos;
        Slot last = Slot.EMPTY;
        String readError;

        PeerView(String node, int index) {
            this.node = node;
            this.index = index;
        }
    }

    private final String location;
    private final String cluster;
    private final String me;
    private final int myIndex;
    private final Settings settings;
    private final Map<String, PeerView> peers = new ConcurrentHashMap<>();
    private final StoreOpener opener;
    private final List<HeartbeatPath.Receiver> receivers = new CopyOnWriteArrayList<>();
    private final List<Consumer<String>> poisonListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong writeFailures = new AtomicLong();
    private final Object io = new Object();
    private BlockStore store;
    private ScheduledExecutorService thread;
    private int users;

    // our slot, guarded by io
    private long counter;
    private long incarnation;
    private long hbSequence;
    private String claimTarget = "";
    private long claimBallot;
    private volatile long lastWriteNanos = System.nanoTime();
    private volatile boolean lapsed;
    private volatile String lapseReason = "";
    private volatile boolean poisoned;
    private volatile boolean pausedForTest;
    private volatile boolean lastWriteFailed;
    private volatile boolean acknowledged;

    /** Opens the storage on first use. */
    interface StoreOpener {
        BlockStore open() throws IOException;
    }

    DiskLease(String location, String cluster, String me, List<String> nodes, Settings settings, StoreOpener opener) {
        this.location = location;
        this.cluster = cluster;
        this.me = me;
        this.myIndex = nodes.indexOf(me);
        if (myIndex < 0) {
            throw new IllegalArgumentException("node " + me + " is not in the node list " + nodes);
        }
        if (nodes.size() > MAX_NODES) {
            throw new IllegalArgumentException("a disk lease holds at most " + MAX_NODES + " nodes");
        }
        for (int i = 0; i < nodes.size(); i++) {
            if (i != myIndex) {
                peers.put(nodes.get(i), new PeerView(nodes.get(i), i));
            }
        }
        this.settings = settings;
        this.opener = opener;
    }

    /**
     * The lease of {@code me} on a file, shared in this JVM by everything that names the same file and node.
     *
     * @param nodes every node of the cluster, in configuration order (the slot order)
     */
    public static DiskLease onFile(Path file, String cluster, String me, List<String> nodes, Settings settings) {
        String loc = "file:" + file.toAbsolutePath().normalize();
        return SHARED.computeIfAbsent(loc + "|" + me,
                k -> new DiskLease(loc, cluster, me, nodes, settings, () -> new FileBlockStore(file, 1 + MAX_NODES)));
    }

    /** The lease of {@code me} on a LUN (through this node's {@link SharedLock} session on it), shared likewise. */
    public static DiskLease onLun(String url, String cluster, String me, List<String> nodes, Settings settings, Duration ioTimeout) {
        return SHARED.computeIfAbsent(url + "|" + me, k -> new DiskLease(url, cluster, me, nodes, settings,
                () -> new LunBlockStore(SharedLock.shared(url, cluster, me, ioTimeout))));
    }

    /**
     * The leases of {@code node} open in this JVM (one per storage location), for an engine that checks
     * {@link #ownLeaseExpired()} when it wakes.
     */
    public static List<DiskLease> leasesOf(String node) {
        return SHARED.values().stream().filter(l -> l.me.equals(node)).toList();
    }

    /** The storage location ({@code file:/path} or the LUN's URL). */
    public String location() {
        return location;
    }

    /** This node. */
    public String node() {
        return me;
    }

    /** The timing. */
    public Settings settings() {
        return settings;
    }

    /** Writes that failed (disk unreachable). */
    public long writeFailures() {
        return writeFailures.get();
    }

    // ---- lifecycle ----

    /** Starts renewing our slot and reading the peers' (idempotent; counted, see {@link #close}). */
    public void start() {
        synchronized (this) {
            users++;
            if (thread != null) {
                return;
            }
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "disk-lease-" + me);
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(10, settings.interval().toMillis());
            long now = System.nanoTime();
            lastWriteNanos = now;
            for (PeerView p : peers.values()) {
                p.lastChangeNanos = now;
            }
            thread.scheduleWithFixedDelay(this::tick, 0, ms, TimeUnit.MILLISECONDS);
        }
    }

    /** Whether the background thread runs. */
    public synchronized boolean started() {
        return thread != null;
    }

    /** One round of the background thread: renew if due, read peers. Never throws. */
    private void tick() {
        try {
            long now = System.nanoTime();
            long gap = now - lastWriteNanos;
            if (gap > settings.leaseTimeout().toNanos()) {
                lapse("no successful lease write for " + gap / 1_000_000 + " ms (lease timeout "
                        + settings.leaseTimeout().toMillis() + " ms): a pause, or the disk is unreachable");
            }
            if (!pausedForTest && gap >= settings.interval().toNanos() * 3 / 4) {
                writeOwn();
            }
            readPeers();
        } catch (RuntimeException e) {
            LOG.warn("disk lease {} on {}: background round failed", me, location, e);
        }
    }

    private BlockStore store() throws IOException {
        synchronized (io) {
            if (store == null) {
                BlockStore s = opener.open();
                try {
                    checkHeader(s);
                } catch (IOException e) {
                    s.close();
                    throw e;
                }
                store = s;
                // carry on from the counter on disk, so a restarted node's counter still moves forward
                Slot mine = Slot.decode(s.read(1 + myIndex));
                counter = Math.max(counter, mine.counter());
            }
            return store;
        }
    }

    private void checkHeader(BlockStore s) throws IOException {
        byte[] h = s.read(0);
        byte[] name = cluster.getBytes(StandardCharsets.UTF_8);
        if (allZero(h, RECORD)) {
            // A fresh area: every slot block must be empty or a lease slot. Anything else (an ext4 superblock sits
            // at byte 1024) means this is somebody's data, which the lease must never overwrite.
            for (int i = 1; i <= MAX_NODES; i++) {
                byte[] blk = s.read(i);
                if (!allZero(blk, RECORD)) {
                    try {
                        Slot.decode(blk);
                    } catch (IOException e) {
                        throw new IOException(s.describe() + " holds other data in block " + i + " (a filesystem?); refusing to write a"
                                + " lease on it: give the lease a LUN or file of its own");
                    }
                }
            }
            ByteBuffer b = ByteBuffer.allocate(s.blockSize());
            b.put(HEADER_MAGIC).putInt(1).putShort((short) Math.min(name.length, MAX_ID)).put(name, 0, Math.min(name.length, MAX_ID));
            s.write(0, b.array());
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(h);
        byte[] magic = new byte[8];
        b.get(magic);
        if (!Arrays.equals(magic, HEADER_MAGIC)) {
            throw new IOException(s.describe() + " is not a Tandem lease area (block 0 holds other data); refusing to write it:"
                    + " give the lease a disk or file of its own");
        }
        b.getInt();
        int n = Math.min(MAX_ID, Math.max(0, b.getShort()));
        String owner = new String(h, b.position(), n, StandardCharsets.UTF_8);
        if (!owner.equals(cluster.length() > MAX_ID ? new String(name, 0, MAX_ID, StandardCharsets.UTF_8) : cluster)) {
            throw new IOException(s.describe() + " holds the lease of cluster '" + owner + "', not '" + cluster
                    + "': give each cluster its own lease area");
        }
    }

    /** Writes our slot with the current state. */
    private boolean writeOwn() {
        synchronized (io) {
            long t0 = System.nanoTime();
            try {
                BlockStore s = store();
                // acknowledge only if someone (the engine) was told to stand down
                boolean fencedState = poisoned && !poisonListeners.isEmpty();
                Slot mine = new Slot(me, fencedState ? FENCED : RUNNING, counter + 1, incarnation, hbSequence, System.currentTimeMillis(),
                        claimTarget, claimBallot);
                s.write(1 + myIndex, mine.encode(s.blockSize()));
                counter++;
                if (fencedState) {
                    acknowledged = true;
                }
                long gap = t0 - lastWriteNanos;
                if (gap > settings.leaseTimeout().toNanos()) {
                    lapse("our lease was not renewed for " + gap / 1_000_000 + " ms (lease timeout "
                            + settings.leaseTimeout().toMillis() + " ms)");
                }
                lastWriteNanos = System.nanoTime();
                lastWriteFailed = false;
                return true;
            } catch (IOException | RuntimeException e) {
                writeFailures.incrementAndGet();
                lastWriteFailed = true;
                LOG.warn("disk lease {}: cannot write our slot on {}: {}", me, location, e.getMessage());
                return false;
            }
        }
    }

    private void lapse(String reason) {
        if (!lapsed) {
            lapseReason = reason;
            lapsed = true;
            LOG.warn("disk lease {} on {}: {}", me, location, reason);
        }
    }

    private Slot readSlot(PeerView p) throws IOException {
        Slot s = Slot.decode(store().read(1 + p.index));
        if (s != Slot.EMPTY && !s.node().equals(p.node)) {
            throw new IOException("slot " + (1 + p.index) + " on " + location + " belongs to node '" + s.node() + "', expected '" + p.node
                    + "': every node must list the nodes in the same order");
        }
        observe(p, s);
        return s;
    }

    /** Updates what we know of a peer from a slot just read. */
    private void observe(PeerView p, Slot s) {
        long now = System.nanoTime();
        synchronized (p) {
            p.last = s;
            p.readError = null;
            if (s.counter() != p.lastCounter) {
                p.lastCounter = s.counter();
                p.lastChangeNanos = now;
            }
            if (s.claims(me)) {
                if (p.claimSinceNanos == 0) {
                    p.claimSinceNanos = now;
                }
            } else {
                p.claimSinceNanos = 0;
            }
        }
        boolean newBeat;
        synchronized (p) {
            newBeat = s.hbSequence() > 0 && s.hbSequence() != p.lastHbSequence;
            if (newBeat) {
                p.lastHbSequence = s.hbSequence();
            }
        }
        if (newBeat) {
            for (HeartbeatPath.Receiver r : receivers) {
                try {
                    r.heard(p.node, s.incarnation(), s.hbSequence(), s.wallMillis());
                } catch (RuntimeException e) {
                    LOG.warn("disk heartbeat receiver failed", e);
                }
            }
        }
        // a claim on us that outlived the claim window is the peer's decision: we are poisoned
        long window = settings.settle().toNanos() + 3 * settings.interval().toNanos();
        if (p.claimSinceNanos != 0 && now - p.claimSinceNanos > window && !winsAgainst(p.node, s)) {
            poison("node " + p.node + " declared this node dead on " + location + " (its claim stands)");
        }
        handshake(p, s);
    }

    /**
     * The end of a takeover, without help from the engine: the poisoned node writes its slot in state FENCED once it
     * has been told to stand down; the claimant, reading that, withdraws its claim; the poisoned node, reading the
     * withdrawal after its acknowledgement, is whole again (its engine was told it is fenced and stood down).
     */
    private void handshake(PeerView p, Slot s) {
        boolean withdraw = false;
        synchronized (io) {
            if (s.state() == FENCED && claimBallot != 0 && claimTarget.equals(p.node) && !poisoned) {
                claimTarget = "";
                claimBallot = 0;
                withdraw = true;
            }
        }
        if (withdraw) {
            LOG.info("disk lease {}: {} acknowledged that it stood down; claim withdrawn", me, p.node);
            writeOwn();
            return;
        }
        if (poisoned && acknowledged && !s.claims(me)) {
            synchronized (io) {
                poisoned = false;
                acknowledged = false;
                lapsed = false;
                lapseReason = "";
                claimTarget = "";
                claimBallot = 0;
            }
            synchronized (p) {
                p.claimSinceNanos = 0;
            }
            LOG.info("disk lease {}: {} withdrew its claim after our acknowledgement; lease valid again", me, p.node);
            writeOwn();
        }
    }

    private boolean winsAgainst(String peer, Slot peerSlot) {
        synchronized (io) {
            if (claimBallot == 0 || !claimTarget.equals(peer)) {
                return false;
            }
            return beats(me, claimBallot, peer, peerSlot.claimBallot());
        }
    }

    /** The tie-break both nodes compute the same way: the higher ballot, then the smaller node id. */
    static boolean beats(String a, long ballotA, String b, long ballotB) {
        if (ballotA != ballotB) {
            return Long.compareUnsigned(ballotA, ballotB) > 0;
        }
        return a.compareTo(b) < 0;
    }

    private void poison(String reason) {
        if (!poisoned) {
            poisoned = true;
            lapse(reason);
            LOG.warn("disk lease {}: {}", me, reason);
            for (Consumer<String> l : poisonListeners) {
                try {
                    l.accept("disk lease: " + reason);
                } catch (RuntimeException e) {
                    LOG.warn("poison listener failed", e);
                }
            }
        }
    }

    private void readPeers() {
        for (PeerView p : peers.values()) {
            try {
                readSlot(p);
            } catch (IOException | RuntimeException e) {
                synchronized (p) {
                    p.readError = e.getMessage();
                }
            }
        }
    }

    // ---- heartbeat path ----

    /** Writes our heartbeat now (the disk path's beat). */
    public boolean beat(long newIncarnation, long sequence) {
        synchronized (io) {
            incarnation = newIncarnation;
            hbSequence = sequence;
        }
        return writeOwn();
    }

    /** Adds a receiver of the peers' heartbeats. */
    public void addReceiver(HeartbeatPath.Receiver r) {
        receivers.add(r);
    }

    /** Removes a receiver. */
    public void removeReceiver(HeartbeatPath.Receiver r) {
        receivers.remove(r);
    }

    /** Called once when a peer's claim against this node stands: stand down (the engine's reportFenced). */
    public void onPoisoned(Consumer<String> listener) {
        poisonListeners.add(listener);
    }

    // ---- own lease ----

    /**
     * Whether this node's own lease lapsed: since the last {@link #rejoin}, our slot went unrenewed for longer than
     * the lease timeout (a long pause, a stopped process, a disk we could not write), or a peer's claim against us
     * stands. A node that finds this {@code true} on waking must stand down: the peer may have taken over.
     */
    public boolean ownLeaseExpired() {
        if (System.nanoTime() - lastWriteNanos > settings.leaseTimeout().toNanos() && started()) {
            lapse("our lease has not been renewed for " + (System.nanoTime() - lastWriteNanos) / 1_000_000 + " ms");
        }
        return lapsed || poisoned;
    }

    /** Why {@link #ownLeaseExpired()} is true, or empty. */
    public String ownLeaseReason() {
        return lapseReason;
    }

    /** Whether a peer's standing claim declared this node dead. */
    public boolean poisoned() {
        return poisoned;
    }

    /**
     * Clears the lapse and poison flags and withdraws our claims (the cluster is whole again: the peer was heard,
     * and this node stood down if it had to).
     */
    public void rejoin() {
        synchronized (io) {
            lapsed = false;
            poisoned = false;
            acknowledged = false;
            lapseReason = "";
            claimTarget = "";
            claimBallot = 0;
        }
        for (PeerView p : peers.values()) {
            synchronized (p) {
                p.claimSinceNanos = 0;
            }
        }
        writeOwn();
    }

    /** Withdraws a claim we placed on {@code peer} (it rejoined). */
    public void withdrawClaim(String peer) {
        synchronized (io) {
            if (claimTarget.equals(peer)) {
                claimTarget = "";
                claimBallot = 0;
            }
        }
        writeOwn();
    }

    // ---- the safety check ----

    /**
     * Decides about a silent peer within {@code timeout} (see the class comment for the protocol). Starts the
     * background renewal if it does not run yet. Never throws.
     */
    public Verdict decide(String peer, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        PeerView p = peers.get(peer);
        if (p == null) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: '" + peer + "' is not a node of this cluster");
        }
        if (!started()) {
            start();
        }
        try {
            store();
        } catch (IOException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease on " + location + " unreadable: " + e.getMessage());
        }
        if (poisoned) {
            return Verdict.of(Verdict.Answer.WE_LOST, "disk lease: " + lapseReason);
        }
        try {
            long askStart = System.nanoTime();
            Slot first = readSlot(p);
            if (first.claims(me)) {
                return claimed(p, deadline);
            }
            long startCounter = first.counter();
            long poll = Math.max(5, settings.interval().toMillis() / 2);
            while (true) {
                if (lastWriteFailed) {
                    return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: we cannot write our own slot on " + location
                            + " (" + writeFailures.get() + " failed writes); cannot judge the peer");
                }
                Slot s = readSlot(p);
                if (s.claims(me)) {
                    return claimed(p, deadline);
                }
                if (s.counter() != startCounter) {
                    return Verdict.of(Verdict.Answer.PEER_ALIVE, "disk lease: " + peer + " renewed its lease on " + location
                            + " (counter " + startCounter + " -> " + s.counter() + ")");
                }
                long staleFor = System.nanoTime() - lastChange(p);
                if (staleFor >= settings.leaseTimeout().toNanos()) {
                    return claim(p, deadline, staleFor);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: " + peer + " last renewed its lease "
                            + staleFor / 1_000_000 + " ms ago, not yet the lease timeout of " + settings.leaseTimeout().toMillis()
                            + " ms; asked for " + (System.nanoTime() - askStart) / 1_000_000 + " ms");
                }
                sleep(Math.min(poll, Math.max(1, left / 1_000_000)));
            }
        } catch (IOException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease on " + location + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: interrupted");
        }
    }

    private long lastChange(PeerView p) {
        synchronized (p) {
            return p.lastChangeNanos;
        }
    }

    private Verdict claim(PeerView p, long deadline, long staleFor) throws IOException, InterruptedException {
        long settle = settings.settle().toNanos();
        long bound = settle / 2;
        if (deadline - System.nanoTime() < settle + settings.interval().toNanos()) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: " + p.node + "'s lease expired, but the time left is shorter than the claim's settle time ("
                    + settings.settle().toMillis() + " ms); ask with a longer timeout");
        }
        long tRead = System.nanoTime();
        Slot p1 = readSlot(p);
        if (p1.claims(me)) {
            return claimed(p, deadline);
        }
        long ballot;
        synchronized (io) {
            do {
                ballot = RANDOM.nextLong();
            } while (ballot == 0);
            claimTarget = p.node;
            claimBallot = ballot;
        }
        boolean wrote = writeOwn();
        long took = System.nanoTime() - tRead;
        if (!wrote || took > bound) {
            withdraw(p.node, ballot);
            return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: our claim on " + p.node + " was not written within "
                    + bound / 1_000_000 + " ms of reading its slot (" + (wrote ? took / 1_000_000 + " ms" : "write failed") + "); withdrawn");
        }
        sleep(settle / 1_000_000);
        Slot p2 = readSlot(p);
        if (p2.claims(me)) {
            if (beats(me, ballot, p.node, p2.claimBallot())) {
                return Verdict.of(Verdict.Answer.PEER_DEAD, "disk lease: both nodes claimed; our ballot won, " + p.node + " stands down");
            }
            // Keep our (losing) claim until rejoin: withdrawing it would look to the winner, still verifying, like a
            // live peer's renewal, and both would stand down. The winner sees it, compares, and still wins.
            poison("both nodes claimed on " + location + " and " + p.node + "'s ballot won");
            return Verdict.of(Verdict.Answer.WE_LOST, "disk lease: both nodes claimed; " + p.node + "'s ballot won");
        }
        if (p2.counter() != p1.counter()) {
            withdraw(p.node, ballot);
            return Verdict.of(Verdict.Answer.PEER_ALIVE, "disk lease: " + p.node + " renewed its lease while we claimed (counter "
                    + p1.counter() + " -> " + p2.counter() + ")");
        }
        return Verdict.of(Verdict.Answer.PEER_DEAD, "disk lease: " + p.node + " did not renew its lease on " + location + " for "
                + (staleFor + settle) / 1_000_000 + " ms (lease timeout " + settings.leaseTimeout().toMillis() + " ms); claim placed");
    }

    private void withdraw(String peer, long ballot) {
        synchronized (io) {
            if (claimTarget.equals(peer) && claimBallot == ballot) {
                claimTarget = "";
                claimBallot = 0;
            }
        }
        writeOwn();
    }

    /** The peer claims us: wait for it to withdraw (it sees us alive) or to stand (it decided). */
    private Verdict claimed(PeerView p, long deadline) throws IOException, InterruptedException {
        long window = settings.settle().toNanos() + 3 * settings.interval().toNanos();
        long start = System.nanoTime();
        long poll = Math.max(5, settings.interval().toMillis() / 2);
        while (true) {
            Slot s = readSlot(p);
            if (!s.claims(me)) {
                return Verdict.of(Verdict.Answer.PEER_ALIVE, "disk lease: " + p.node + " claimed us, then withdrew: it is alive");
            }
            if (winsAgainst(p.node, s)) {
                return Verdict.of(Verdict.Answer.PEER_DEAD, "disk lease: both nodes claimed; our ballot won, " + p.node + " stands down");
            }
            long now = System.nanoTime();
            if (now - start > window) {
                poison("node " + p.node + " declared this node dead on " + location + " (its claim stands)");
                return Verdict.of(Verdict.Answer.WE_LOST, "disk lease: " + p.node + " claimed our lease and did not withdraw: it took over");
            }
            if (now >= deadline) {
                return Verdict.of(Verdict.Answer.UNKNOWN, "disk lease: " + p.node + " is claiming us; undecided at the timeout");
            }
            sleep(Math.min(poll, Math.max(1, (deadline - now) / 1_000_000)));
        }
    }

    private static void sleep(long ms) throws InterruptedException {
        Thread.sleep(Math.max(0, ms));
    }

    static boolean allZero(byte[] d, int len) {
        for (int i = 0; i < Math.min(len, d.length); i++) {
            if (d[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Stops renewing (test hook: simulates a paused or frozen node; reads continue). */
    void pauseRenewals(boolean paused) {
        pausedForTest = paused;
    }

    /**
     * Releases one user (see {@link #start}); the last one stops the thread, marks our slot stopped and closes the
     * storage.
     */
    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            users = Math.max(0, users - 1);
            if (users > 0) {
                return;
            }
            t = thread;
            thread = null;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (io) {
            if (store != null) {
                store.close();
                store = null;
            }
        }
        SHARED.values().remove(this);
    }
}
