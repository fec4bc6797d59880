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
 *   <li>A node that finds its key removed by a peer is fenced: it reports it at once to its listeners (the
 *       engine's {@code NodeContext.reportFenced}) and does not register again by itself ({@link #rejoin} allows
 *       it).</li>
 *   <li>A periodic check ({@link #startMonitor}) re-reads the keys and the reservation.</li>
 *   <li>Where the unit's REPORT CAPABILITIES sets PTPL_C, keys are registered with APTPL, so that the unit keeps
 *       them across its own restart. A unit that rejects REPORT CAPABILITIES (ILLEGAL REQUEST) counts as not
 *       capable; this is logged once.</li>
 * </ul>
 *
 * <h2>Our key is missing: preempted by a peer, or lost by the array?</h2>
 * An array that restarts or fails over to another controller without APTPL forgets every registration and the
 * reservation; nobody preempted anybody. Taking that for fencing made every node stand down. So a node that finds
 * its key missing reads the keys and the reservation and decides ({@link #onKeyMissing}, pure and tested alone):
 * <ol>
 *   <li><b>A peer's key or a reservation is there, and we held the reservation</b>: preempted (a PREEMPT of the
 *       holder moves the reservation to the preemptor in the same command, SPC-4 5.13.11.4.3). Stand down; the
 *       message names the keys and, when known, their nodes.</li>
 *   <li><b>No key and no reservation at all, and we held the reservation</b>: the array lost its registrations.
 *       Not a fence. The holder registers its key again and RESERVEs, then re-reads both: only if the reservation
 *       is ours and our key is registered does it go on; a RESERVE refused with RESERVATION CONFLICT, or a
 *       re-read showing another holder, means another node got there first, and this node stands down. RESERVE
 *       succeeds for one initiator only, so of two nodes doing this at once exactly one ends as holder. Until
 *       then no other node has the volume mounted (a standby mounts only after it holds the reservation), so the
 *       holder's writes in the gap (up to one check interval) meet no other writer.</li>
 *   <li><b>We did not hold it (a standby)</b>: it never reserves because keys vanished; only the holder of the
 *       group re-establishes. While the unit is empty it waits and does not even register (its key alone would
 *       look to the holder like a peer's preempt). Once something is registered again it registers its own key
 *       only on proof that nobody removed it: since a moment at which the unit was empty (seen by this node, or
 *       shown by the PRgeneration counter going backwards, which a power on sets to zero, SPC-4 6.16.2), every
 *       registration step is accounted for by a key still registered (generation steps = number of keys). A
 *       PREEMPT adds a step and removes a key, so it never passes. It re-reads after registering: a step it did not
 *       make in between means a peer acted meanwhile, and it unregisters and stands down. Without that proof (an
 *       array that does not reset the counter, more steps than keys) it stands down, the safe side.</li>
 *   <li><b>Asked about a silent peer ({@link #preemptPeer})</b> while the unit is empty: it registers and answers
 *       {@link Preempt#ASK_AGAIN} (the engine asks again after its back-off), taking nothing this time; the next
 *       round is the ordinary preempt race between registered keys, where exactly one node wins. A node that finds
 *       the peer's key already gone registers its own key once more before it answers: that step is the mark a
 *       standby cannot account for, so a peer that lost its key with the array cannot register again behind the
 *       back of a node that just declared it gone (the node re-reads after the mark and preempts the peer if its
 *       key came back).</li>
 * </ol>
 * <b>An array restart during a takeover</b> falls under the last rule for the node taking over and under rule 1 or 2
 * for the holder: if the taking-over node registers first, the old holder finds a peer's key and stands down; if the
 * old holder reserves first, the taking-over node's next round preempts it, as any takeover does. Either way one
 * holder remains, and the old holder stops writing when its key goes, as in any takeover.
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
        LOST,
        /**
         * The unit had lost every registration (a restart without APTPL): we registered our key again and took
         * nothing; the question must be asked again (see the class comment).
         */
        ASK_AGAIN
    }

    /** What a node does when its key is missing from the unit ({@link #onKeyMissing}). */
    enum Loss {
        /** Another key is registered or holds the reservation, and nothing shows the array lost it: stand down. */
        PREEMPTED,
        /** No key, no reservation, and this node held the reservation: register, reserve, re-read. */
        REESTABLISH,
        /** No key, no reservation, asked about a silent peer: register, and have the question asked again. */
        REGISTER_AND_ASK_AGAIN,
        /** No key, no reservation, and this node did not hold it: wait for the holder; do not register yet. */
        WAIT,
        /** Every registration since the unit was empty is a key still registered: register our key again. */
        REJOIN
    }

    /** The decision and its reason, for the log and the stand-down message. */
    record KeyLoss(Loss action, String why) {
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
    private final Map<Long, String> nodeOfKey = new ConcurrentHashMap<>();
    /** Whether to register with APTPL: {@code null} until REPORT CAPABILITIES answered. */
    private Boolean aptpl;
    /** The PRgeneration (unsigned) at our last read that listed our key, -1 if none yet. */
    private long lastGoodGeneration = -1;
    /** The PRgeneration at which we last saw the unit empty while our key was missing, -1 if not. */
    private long emptyAtGeneration = -1;
    /** Our key is missing and we wait for the holder (see the class comment). */
    private boolean keyLost;
    /** We registered again after the unit lost everything and still have to RESERVE. */
    private boolean reestablishing;
    private String lastLoss = "";
    private final AtomicLong reestablished = new AtomicLong();

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

    /** A lock over an open device (tests with a scripted transport). */
    static SharedLock over(ScsiDevice device, String cluster, String node) {
        SharedLock l = new SharedLock(device.target(), cluster, node, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY,
                Duration.ofSeconds(1), "iqn.test");
        l.device = device;
        return l;
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
        ScsiDevice d = device();
        if (keyLost) {
            // Our key went with an array restart: register only on the proof of the class comment.
            ScsiDevice.Keys keys = d.readKeys();
            if (!keys.contains(key)) {
                Loss l = handleMissing(d, keys, false);
                if (l == Loss.PREEMPTED) {
                    markFenced(lastLoss);
                    throw new ScsiException(ScsiException.Kind.RESERVATION_CONFLICT, "node " + node + " was fenced off " + shown
                            + " (" + lastLoss + ")");
                }
                if (l == Loss.WAIT) {
                    throw new ScsiException(ScsiException.Kind.RESERVATION_CONFLICT, "node " + node + " does not register on "
                            + shown + " yet: " + lastLoss);
                }
                return;
            }
            clearLoss(keys);
        }
        registerOwnKey(d);
        registered = true;
        ensureMonitor();
    }

    /** Allows a fenced node to register again (the peer was heard again and the cluster agreed). */
    public synchronized void rejoin() {
        fenced = false;
        fencedReason = "";
        registered = false;
        holding = false;
        keyLost = false;
        emptyAtGeneration = -1;
        reestablishing = false;
    }

    /**
     * Names the keys of these nodes in messages ("key 0x… (node2)"). The plugins pass the cluster's node list.
     */
    public void knowNodes(java.util.Collection<String> nodes) {
        for (String n : nodes) {
            nodeOfKey.put(keyFor(cluster, n), n);
        }
    }

    /** How many times this node registered and reserved again after the unit lost every registration. */
    public long reestablishments() {
        return reestablished.get();
    }

    /**
     * Registers our key, with APTPL where the unit can persist through power loss (asked once with REPORT
     * CAPABILITIES; a unit that rejects the command or the bit is taken as not capable, and told once).
     */
    private void registerOwnKey(ScsiDevice d) throws ScsiException {
        if (aptpl == null) {
            try {
                ScsiDevice.Capabilities caps = d.reportCapabilities();
                aptpl = caps.persistThroughPowerLoss();
                if (aptpl) {
                    LOG.info("{}: {} can persist reservations through power loss (PTPL_C): registering with APTPL, so that"
                            + " registrations survive a restart of the array", node, shown);
                } else {
                    LOG.info("{}: {} cannot persist reservations through power loss (PTPL_C not set): a restart of the array"
                            + " loses every registration; the holder then registers and reserves again", node, shown);
                }
            } catch (ScsiException e) {
                if (e.kind() != ScsiException.Kind.ILLEGAL_REQUEST) {
                    throw e;
                }
                aptpl = false;
                LOG.info("{}: {} does not support REPORT CAPABILITIES ({}): registering without APTPL; a restart of the array"
                        + " loses every registration, and the holder then registers and reserves again", node, shown, e.getMessage());
            }
        }
        if (aptpl) {
            try {
                d.registerAndIgnoreExistingKey(key, true);
                noteGeneration(d);
                return;
            } catch (ScsiException e) {
                if (e.kind() != ScsiException.Kind.ILLEGAL_REQUEST) {
                    throw e;
                }
                aptpl = false;
                LOG.warn("{}: {} reports PTPL_C but rejects APTPL ({}); registering without it", node, shown, e.getMessage());
            }
        }
        d.registerAndIgnoreExistingKey(key, false);
        noteGeneration(d);
    }

    /** Remembers the PRgeneration after our registration, the base that tells an array restart later. */
    private void noteGeneration(ScsiDevice d) throws ScsiException {
        ScsiDevice.Keys k = d.readKeys();
        if (k.contains(key)) {
            lastGoodGeneration = unsigned(k.generation());
        }
    }

    /** Whether registrations are made with APTPL ({@code null} before the first registration). */
    synchronized Boolean aptpl() {
        return aptpl;
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
        registerOwnKey(d);
        registered = true;
        keyLost = false;
        emptyAtGeneration = -1;
        reestablishing = false;
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
     * gets {@link Preempt#LOST} and is marked fenced. {@link Preempt#ASK_AGAIN} when the unit had lost every
     * registration (see the class comment).
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
            registerOwnKey(d);
            registered = true;
            ensureMonitor();
        }
        ScsiDevice.Keys keys = d.readKeys();
        if (!keys.contains(key)) {
            switch (handleMissing(d, keys, true)) {
                case PREEMPTED -> {
                    markFenced(lastLoss);
                    return Preempt.LOST;
                }
                case REGISTER_AND_ASK_AGAIN, WAIT -> {
                    return Preempt.ASK_AGAIN;
                }
                case REESTABLISH, REJOIN -> keys = d.readKeys();
            }
            if (!keys.contains(key)) {
                markFenced("our key " + ScsiDevice.hex(key) + " is gone again from " + shown + ": " + describe(keys, d.readReservation()));
                return Preempt.LOST;
            }
        }
        lastGoodGeneration = unsigned(keys.generation());
        Preempt result;
        if (!keys.contains(peerKey)) {
            // The peer's key is gone. One registration step of ours marks that we declare it gone: a peer whose key
            // went with an array restart cannot account for this step and will not register again behind our back.
            registerOwnKey(d);
            keys = d.readKeys();
            if (!keys.contains(key)) {
                markFenced("our key " + ScsiDevice.hex(key) + " was removed from " + shown + " while we took over from " + peer
                        + ": " + describe(keys, d.readReservation()));
                return Preempt.LOST;
            }
            lastGoodGeneration = unsigned(keys.generation());
            result = keys.contains(peerKey) ? null : Preempt.PEER_ALREADY_GONE;
        } else {
            result = null;
        }
        if (result == null) {
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
        try {
            if (!r.held()) {
                d.reserve(key, type);
            } else if (r.key() != key) {
                d.preemptAndAbortOrPreempt(key, r.key(), type);
            }
        } catch (ScsiException e) {
            if (e.kind() == ScsiException.Kind.RESERVATION_CONFLICT) {
                markFenced("another node took the reservation on " + shown + " while we took over from " + peer + ": "
                        + describe(d.readKeys(), d.readReservation()));
                return Preempt.LOST;
            }
            throw e;
        }
        holding = true;
        reestablishing = false;
        return result;
    }

    /**
     * The periodic check: re-reads the keys (and the reservation if we hold it). When our key is missing it tells
     * a preempt from an array that lost every registration (see the class comment): reports fencing for the first,
     * registers (and reserves, if we held it) again for the second. A target that does not answer is counted, not
     * taken for fencing.
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
                ScsiDevice.Keys keys = d.readKeys();
                if (!keys.contains(key)) {
                    if (handleMissing(d, keys, false) == Loss.PREEMPTED) {
                        reason = lastLoss;
                    }
                } else {
                    clearLoss(keys);
                    if (holding) {
                        ScsiDevice.Reservation r = d.readReservation();
                        if (!r.held() && reestablishing) {
                            reestablish(d); // our RESERVE after the array's restart did not get through: again
                            if (!holding) {
                                reason = lastLoss;
                            }
                        } else if (!r.held() || r.key() != key) {
                            reason = "the reservation on " + shown + " is no longer ours: " + describe(keys, r);
                        }
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

    private void clearLoss(ScsiDevice.Keys keys) {
        lastGoodGeneration = unsigned(keys.generation());
        if (keyLost) {
            LOG.info("{}: our key {} is registered on {} again", node, ScsiDevice.hex(key), shown);
        }
        keyLost = false;
        emptyAtGeneration = -1;
    }

    /**
     * Our key is missing: decides ({@link #onKeyMissing}) and acts. On {@link Loss#PREEMPTED} the reason is in
     * {@link #lastLoss} and the caller marks us fenced.
     */
    private Loss handleMissing(ScsiDevice d, ScsiDevice.Keys first, boolean takeover) throws ScsiException {
        // Keys and reservation as of one moment: a registration change between the reads moves the generation.
        ScsiDevice.Keys keys = first;
        ScsiDevice.Reservation r = null;
        for (int i = 0; i < 3 && r == null; i++) {
            ScsiDevice.Reservation read = d.readReservation();
            ScsiDevice.Keys again = d.readKeys();
            if (again.generation() == keys.generation()) {
                r = read;
            }
            keys = again;
        }
        if (r == null) {
            throw new ScsiException(ScsiException.Kind.CHECK_CONDITION, "the registrations on " + shown
                    + " kept changing while node " + node + " read them; deciding at the next check");
        }
        if (keys.contains(key)) {
            clearLoss(keys);
            return Loss.REJOIN;
        }
        KeyLoss k = onKeyMissing(key, holding, takeover, keys, r, lastGoodGeneration, emptyAtGeneration, this::nameOf);
        lastLoss = "our key " + ScsiDevice.hex(key) + " is missing from " + shown + ": " + k.why();
        switch (k.action()) {
            case PREEMPTED -> {
                return Loss.PREEMPTED;
            }
            case WAIT -> {
                emptyAtGeneration = unsigned(keys.generation());
                if (!keyLost) {
                    keyLost = true;
                    LOG.warn("{}: {}", node, lastLoss);
                }
                return Loss.WAIT;
            }
            case REGISTER_AND_ASK_AGAIN -> {
                LOG.warn("{}: {}", node, lastLoss);
                registerOwnKey(d);
                ScsiDevice.Keys now = d.readKeys();
                if (now.contains(key)) {
                    clearLoss(now);
                }
                return Loss.REGISTER_AND_ASK_AGAIN;
            }
            case REJOIN -> {
                long before = unsigned(keys.generation());
                registerOwnKey(d);
                ScsiDevice.Keys now = d.readKeys();
                if (now.contains(key) && unsigned(now.generation()) == before + 1) {
                    LOG.warn("{}: {}; registered our key again", node, lastLoss);
                    clearLoss(now);
                    return Loss.REJOIN;
                }
                // Someone else changed the registrations while we registered: a peer may have declared us gone.
                try {
                    d.register(key, 0);
                } catch (ScsiException e) {
                    LOG.debug("{}: unregistering after a refused rejoin: {}", node, e.getMessage());
                }
                lastLoss = "our key " + ScsiDevice.hex(key) + " was missing from " + shown + " and the registrations changed"
                        + " while this node registered again (PRgeneration " + before + " + 1 expected, now "
                        + unsigned(now.generation()) + "): a peer may have fenced it; " + describe(now, d.readReservation());
                return Loss.PREEMPTED;
            }
            case REESTABLISH -> {
                LOG.warn("{}: {}; this node held the reservation: registering and reserving again", node, lastLoss);
                registerOwnKey(d);
                reestablishing = true;
                reestablish(d);
                return holding ? Loss.REESTABLISH : Loss.PREEMPTED;
            }
            default -> throw new IllegalStateException(k.action().name());
        }
    }

    /** RESERVE after registering again, then the re-read that decides; {@link #holding} tells the outcome. */
    private void reestablish(ScsiDevice d) throws ScsiException {
        try {
            d.reserve(key, type);
        } catch (ScsiException e) {
            if (e.kind() != ScsiException.Kind.RESERVATION_CONFLICT) {
                throw e; // reestablishing stays set: the next check reserves again
            }
        }
        ScsiDevice.Keys keys = d.readKeys();
        ScsiDevice.Reservation r = d.readReservation();
        reestablishing = false;
        if (r.held() && r.key() == key && keys.contains(key)) {
            clearLoss(keys);
            reestablished.incrementAndGet();
            LOG.warn("{}: registered key {} and reserved {} again after the array lost every registration; this node"
                    + " holds the reservation", node, ScsiDevice.hex(key), shown);
            return;
        }
        holding = false;
        lastLoss = "the array lost every registration on " + shown + " and another node got the reservation first: "
                + describe(keys, r);
    }

    /**
     * What to do when our key is missing (the rules of the class comment), as a pure function of what the unit
     * shows.
     *
     * @param holding            whether this node held the reservation
     * @param takeover           whether this is the safety check about a silent peer ({@link #preemptPeer})
     * @param lastGoodGeneration the PRgeneration (unsigned) at our last read listing our key, -1 if none
     * @param emptyAtGeneration  the PRgeneration at which we saw the unit empty since, -1 if not
     * @param names              node id of a key, or {@code null}
     */
    static KeyLoss onKeyMissing(long ourKey, boolean holding, boolean takeover, ScsiDevice.Keys keys, ScsiDevice.Reservation r,
                                long lastGoodGeneration, long emptyAtGeneration, java.util.function.LongFunction<String> names) {
        long gen = unsigned(keys.generation());
        if (keys.keys().isEmpty() && !r.held()) {
            String lost = "the unit lists no key and no reservation (PRgeneration " + gen + "): the array lost every registration"
                    + " (a restart or controller failover without APTPL), no peer preempted us";
            if (holding) {
                return new KeyLoss(Loss.REESTABLISH, lost);
            }
            return takeover ? new KeyLoss(Loss.REGISTER_AND_ASK_AGAIN, lost + "; registering and asking again before taking over")
                    : new KeyLoss(Loss.WAIT, lost + "; waiting for the holder to reserve again before registering");
        }
        String there = describe(keys, r, names);
        if (holding) {
            return new KeyLoss(Loss.PREEMPTED, "preempted by a peer, which removed it: " + there);
        }
        long base = emptyAtGeneration >= 0 ? emptyAtGeneration
                : lastGoodGeneration >= 0 && gen < lastGoodGeneration ? 0 : -1;
        if (base < 0) {
            return new KeyLoss(Loss.PREEMPTED, "removed by a peer (nothing shows the array lost its registrations): " + there);
        }
        java.util.Set<Long> distinct = new java.util.HashSet<>(keys.keys());
        boolean accounted = !keys.truncated() && distinct.size() == keys.keys().size() && gen - base == keys.keys().size()
                && !distinct.contains(ourKey) && (!r.held() || r.key() == 0 || distinct.contains(r.key()));
        String since = emptyAtGeneration >= 0 ? "since this node saw the unit empty at PRgeneration " + base
                : "since the array restarted (PRgeneration went back from " + lastGoodGeneration + ")";
        if (!accounted) {
            return new KeyLoss(Loss.PREEMPTED, (gen - base) + " registration change(s) " + since + " for " + keys.keys().size()
                    + " key(s) now registered: a peer removed ours; " + there);
        }
        return new KeyLoss(Loss.REJOIN, "lost with the array's registrations " + since + "; every change since is a key"
                + " still registered: " + there);
    }

    private String describe(ScsiDevice.Keys keys, ScsiDevice.Reservation r) {
        return describe(keys, r, this::nameOf);
    }

    private static String describe(ScsiDevice.Keys keys, ScsiDevice.Reservation r, java.util.function.LongFunction<String> names) {
        StringBuilder b = new StringBuilder();
        if (r.held()) {
            b.append("the reservation (").append(r.type().shortName()).append(") is held by ").append(named(r.key(), names));
        } else {
            b.append("no reservation");
        }
        b.append(keys.keys().isEmpty() ? ", no key registered" : ", registered: ");
        for (int i = 0; i < keys.keys().size(); i++) {
            b.append(i == 0 ? "" : ", ").append(named(keys.keys().get(i), names));
        }
        return b.toString();
    }

    private static String named(long k, java.util.function.LongFunction<String> names) {
        String n = names == null ? null : names.apply(k);
        return "key " + ScsiDevice.hex(k) + (n == null ? "" : " (node " + n + ")");
    }

    private String nameOf(long k) {
        return nodeOfKey.get(k);
    }

    private static long unsigned(int generation) {
        return Integer.toUnsignedLong(generation);
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
