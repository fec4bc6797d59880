package org.tandemha.scsi;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.NodeContext;

/**
 * This node's hold on a shared logical unit, through SCSI-3 persistent reservations.
 *
 * <ul>
 *   <li>Each node registers a key derived from the cluster name and its node id ({@link #keyFor}).</li>
 *   <li>The active node holds a Write Exclusive – Registrants Only reservation ({@link #acquire}).</li>
 *   <li>A takeover removes the peer's key with PREEMPT AND ABORT ({@link #preemptPeer}); the target serializes
 *       reservation commands, so of two nodes preempting each other exactly one succeeds: the other is no longer
 *       registered when its own command arrives, and gets RESERVATION CONFLICT.</li>
 *   <li>A node that finds its key gone is fenced: it reports it at once to its listeners (the engine's
 *       {@code NodeContext.reportFenced}) and does not register again by itself ({@link #rejoin} allows it).</li>
 *   <li>A periodic check ({@link #startMonitor}) re-reads the keys and the reservation.</li>
 * </ul>
 * Locks are shared per node and device ({@link #shared}), so that the volume, the arbiter and the fencer of one
 * node use one session. Methods are thread-safe.
 */
public final class SharedLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SharedLock.class);
    private static final Map<String, SharedLock> SHARED = new ConcurrentHashMap<>();

    /** The outcome of a preempt race. */
    public enum Preempt {
        /** Our PREEMPT AND ABORT removed the peer's key: we hold the reservation. */
        WON,
        /** The peer's key was already gone; we hold the reservation. */
        PEER_ALREADY_GONE,
        /** Our key was removed first: we are fenced. */
        LOST
    }

    private final String target;
    private final String shown;
    private final String cluster;
    private final String node;
    private final long key;
    private final String initiatorName;
    private final ReservationType type;
    private final Duration timeout;
    private final CopyOnWriteArrayList<Consumer<String>> fencedListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong checkFailures = new AtomicLong();
    private ScsiDevice device;
    private boolean registered;
    private boolean holding;
    private volatile boolean fenced;
    private volatile String fencedReason = "";
    private ScheduledExecutorService monitor;
    private ScheduledFuture<?> monitorTask;
    private Duration monitorInterval;
    private final java.util.Set<NodeContext> contexts = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

    SharedLock(String target, String cluster, String node, ReservationType type, Duration timeout, String initiatorName) {
        this.target = target;
        this.shown = LibIscsiTransport.redact(target);
        this.cluster = cluster;
        this.node = node;
        this.key = keyFor(cluster, node);
        this.type = type;
        this.timeout = timeout;
        this.initiatorName = initiatorName == null || initiatorName.isBlank() ? initiatorFor(cluster, node) : initiatorName;
    }

    /**
     * The lock of {@code node} on {@code target}, shared by every plugin of that node in this JVM. Opens nothing yet:
     * the first command connects.
     *
     * @param target  an {@code iscsi://} URL or a {@code /dev/} path
     * @param timeout the deadline of each SCSI command
     */
    public static SharedLock shared(String target, String cluster, String node, Duration timeout) {
        return SHARED.computeIfAbsent(target + "|" + cluster + "|" + node,
                k -> new SharedLock(target, cluster, node, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, timeout, null));
    }

    /** A lock of its own (not shared), with an explicit initiator name; for tools and tests. */
    public static SharedLock create(String target, String cluster, String node, Duration timeout, String initiatorName) {
        return new SharedLock(target, cluster, node, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, timeout, initiatorName);
    }

    /**
     * The reservation key of a node: the CRC-32 of the cluster name in the high 32 bits, of the node id in the low
     * 32 bits (never 0, which SPC-4 reserves for "unregister").
     */
    public static long keyFor(String cluster, String node) {
        long k = crc(cluster) << 32 | crc(node);
        return k == 0 ? 1 : k;
    }

    /** The default initiator IQN of a node: {@code iqn.2026-11.org.tandemha:<cluster>.<node>}. */
    public static String initiatorFor(String cluster, String node) {
        return "iqn.2026-11.org.tandemha:" + iqnPart(cluster) + "." + iqnPart(node);
    }

    private static String iqnPart(String s) {
        String v = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
        return v.isEmpty() ? "x" : v;
    }

    private static long crc(String s) {
        CRC32 c = new CRC32();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return c.getValue();
    }

    /** This node's key. */
    public long key() {
        return key;
    }

    /** The URL or device path. */
    public String target() {
        return shown;
    }

    /** The node id. */
    public String node() {
        return node;
    }

    /** The cluster name. */
    public String cluster() {
        return cluster;
    }

    /** Whether this node found its key removed (and has not {@link #rejoin rejoined}). */
    public boolean fenced() {
        return fenced;
    }

    /** Why this node is fenced, or empty. */
    public String fencedReason() {
        return fencedReason;
    }

    /** Periodic checks that failed for a reason other than fencing (target unreachable). */
    public long checkFailures() {
        return checkFailures.get();
    }

    /** Called once, on a lock thread, when this node finds itself fenced. */
    public void onFenced(Consumer<String> listener) {
        fencedListeners.add(listener);
    }

    /**
     * Reports fencing to this node's engine ({@link NodeContext#reportFenced}), once per context however many
     * plugins share the lock.
     */
    public void reportTo(NodeContext context) {
        synchronized (contexts) {
            if (contexts.add(context)) {
                onFenced(context::reportFenced);
            }
        }
    }

    /**
     * Sets the interval of the periodic check, which starts by itself at the first registration (building a
     * plugin must not touch the device). The shortest interval asked for wins.
     */
    public synchronized void monitorEvery(Duration interval) {
        if (monitorInterval == null || interval.compareTo(monitorInterval) < 0) {
            monitorInterval = interval;
        }
    }

    private void ensureMonitor() {
        if (monitorInterval != null && monitorTask == null) {
            startMonitor(monitorInterval);
        }
    }

    private ScsiDevice device() throws ScsiException {
        if (device == null) {
            device = ScsiDevice.open(target, initiatorName, timeout);
        }
        return device;
    }

    /** The driver under this lock (connecting if needed), for the disk lease on the same LUN and for tests. */
    public synchronized ScsiDevice scsi() throws ScsiException {
        return device();
    }

    /**
     * Registers this node's key (REGISTER AND IGNORE EXISTING KEY, so it works whatever was registered before).
     * Refused once fenced, until {@link #rejoin}.
     */
    public synchronized void register() throws ScsiException {
        if (fenced) {
            throw new ScsiException(ScsiException.Kind.RESERVATION_CONFLICT, "node " + node + " was fenced off " + shown
                    + " (" + fencedReason + "); it registers again only after rejoin()");
        }
        device().registerAndIgnoreExistingKey(key);
        registered = true;
        ensureMonitor();
    }

    /** Allows a fenced node to register again (the peer was heard again and the cluster agreed). */
    public synchronized void rejoin() {
        fenced = false;
        fencedReason = "";
        registered = false;
        holding = false;
    }

    /**
     * Takes the reservation for this node: registers, then reserves if nobody holds it, or preempts (and aborts)
     * the holder's key if another node holds it. Idempotent.
     */
    public synchronized void acquire() throws ScsiException {
        if (fenced) {
            rejoin(); // the engine decided to start the volume here: that is the rejoin
        }
        ScsiDevice d = device();
        d.registerAndIgnoreExistingKey(key);
        registered = true;
        ensureMonitor();
        ScsiDevice.Reservation r = d.readReservation();
        if (r.held() && r.key() == key) {
            holding = true;
            return;
        }
        if (!r.held()) {
            try {
                d.reserve(key, type);
            } catch (ScsiException e) {
                if (e.kind() != ScsiException.Kind.RESERVATION_CONFLICT) {
                    throw e;
                }
                r = d.readReservation(); // another node reserved between our read and our RESERVE
                if (!r.held() || r.key() == key) {
                    throw e;
                }
                d.preemptAndAbortOrPreempt(key, r.key(), type);
            }
        } else {
            LOG.info("{}: reservation on {} held by key {}; preempting it", node, shown, ScsiDevice.hex(r.key()));
            d.preemptAndAbortOrPreempt(key, r.key(), type);
        }
        ScsiDevice.Reservation now = d.readReservation();
        if (!now.held() || now.key() != key) {
            throw new ScsiException(ScsiException.Kind.RESERVATION_CONFLICT, "node " + node + " could not take the reservation on "
                    + shown + ": now " + now);
        }
        holding = true;
    }

    /**
     * Releases the reservation if this node holds it. Without I/O when this lock has not been used in this process
     * (the clean-up stop at start-up): a reservation an earlier run left under our key is taken over by the next
     * {@link #acquire}, or preempted by the peer.
     */
    public synchronized void release() throws ScsiException {
        if (!registered && !holding && device == null) {
            return;
        }
        ScsiDevice d = device();
        ScsiDevice.Reservation r = d.readReservation();
        if (r.held() && r.key() == key) {
            d.release(key, r.type());
        }
        holding = false;
    }

    /** Reads whether this node is registered and holds the reservation now. */
    public synchronized boolean holds() throws ScsiException {
        ScsiDevice d = device();
        ScsiDevice.Reservation r = d.readReservation();
        return r.held() && r.key() == key && d.readKeys().contains(key);
    }

    /**
     * The takeover race: removes the peer's key with PREEMPT AND ABORT and takes the reservation. Of two nodes
     * calling this at once, exactly one gets {@link Preempt#WON} (or {@link Preempt#PEER_ALREADY_GONE}); the other
     * gets {@link Preempt#LOST} and is marked fenced.
     *
     * @throws ScsiException when the target does not answer (the race is undecided: "unknown")
     */
    public synchronized Preempt preemptPeer(String peer) throws ScsiException {
        long peerKey = keyFor(cluster, peer);
        if (fenced) {
            return Preempt.LOST;
        }
        ScsiDevice d = device();
        if (!registered) {
            d.registerAndIgnoreExistingKey(key);
            registered = true;
            ensureMonitor();
        }
        ScsiDevice.Keys keys = d.readKeys();
        if (!keys.contains(key)) {
            markFenced("our key " + ScsiDevice.hex(key) + " is no longer registered on " + shown + " (preempted by the peer)");
            return Preempt.LOST;
        }
        Preempt result;
        if (!keys.contains(peerKey)) {
            result = Preempt.PEER_ALREADY_GONE;
        } else {
            try {
                d.preemptAndAbortOrPreempt(key, peerKey, type);
                result = Preempt.WON;
            } catch (ScsiException e) {
                if (e.kind() == ScsiException.Kind.RESERVATION_CONFLICT) {
                    markFenced("node " + peer + " preempted our key " + ScsiDevice.hex(key) + " on " + shown + " first");
                    return Preempt.LOST;
                }
                throw e;
            }
        }
        ScsiDevice.Reservation r = d.readReservation();
        if (!r.held()) {
            d.reserve(key, type);
        } else if (r.key() != key) {
            d.preemptAndAbortOrPreempt(key, r.key(), type);
        }
        holding = true;
        return result;
    }

    /**
     * The periodic check: re-reads the keys (and the reservation if we hold it). Reports fencing when our key is
     * gone; a target that does not answer is counted, not taken for fencing.
     *
     * @return {@code true} if this node is still in good standing (or has not registered yet)
     */
    public boolean check() {
        String reason = null;
        synchronized (this) {
            if (!registered || fenced) {
                return !fenced;
            }
            try {
                ScsiDevice d = device();
                if (!d.readKeys().contains(key)) {
                    reason = "our key " + ScsiDevice.hex(key) + " was removed from " + shown + " ("
                            + (d.lastUnitAttention().isEmpty() ? "preempted by the peer" : d.lastUnitAttention()) + ")";
                } else if (holding) {
                    ScsiDevice.Reservation r = d.readReservation();
                    if (!r.held() || r.key() != key) {
                        reason = "the reservation on " + shown + " is no longer ours: " + r;
                    }
                }
            } catch (ScsiException e) {
                if (e.kind() == ScsiException.Kind.RESERVATION_CONFLICT) {
                    reason = e.getMessage();
                } else {
                    checkFailures.incrementAndGet();
                    LOG.warn("{}: reservation check on {} failed: {}", node, shown, e.getMessage());
                    return true;
                }
            }
        }
        if (reason != null) {
            markFenced(reason);
            return false;
        }
        return true;
    }

    private void markFenced(String reason) {
        synchronized (this) {
            if (fenced) {
                return;
            }
            fenced = true;
            fencedReason = reason;
            holding = false;
        }
        LOG.warn("node {} is fenced: {}", node, reason);
        for (Consumer<String> l : fencedListeners) {
            try {
                l.accept("SCSI reservation lost: " + reason);
            } catch (RuntimeException e) {
                LOG.warn("fenced listener failed", e);
            }
        }
    }

    /** Starts (once) the periodic check, on a daemon thread. */
    public synchronized void startMonitor(Duration interval) {
        if (monitorTask != null) {
            return;
        }
        monitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scsi-lock-" + node);
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(50, interval.toMillis());
        monitorTask = monitor.scheduleWithFixedDelay(() -> {
            try {
                check();
            } catch (RuntimeException e) {
                checkFailures.incrementAndGet();
                LOG.warn("{}: reservation check crashed", node, e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Stops the monitor and closes the session (the registration stays on the target). */
    @Override
    public void close() {
        ScheduledExecutorService m;
        synchronized (this) {
            m = monitor;
            monitor = null;
            monitorTask = null;
            if (device != null) {
                device.close();
                device = null;
            }
        }
        if (m != null) {
            m.shutdownNow();
        }
        SHARED.values().remove(this);
    }

    @Override
    public String toString() {
        return "SharedLock[" + node + " key " + ScsiDevice.hex(key) + " on " + shown + "]";
    }
}
