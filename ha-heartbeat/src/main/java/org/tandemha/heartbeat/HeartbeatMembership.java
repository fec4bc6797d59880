package org.tandemha.heartbeat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Membership;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;

/**
 * Heartbeats over several paths. One single-threaded event loop (thread {@code tandem-heartbeat-<node>}) owns every
 * channel, every failure detector and all peer state: it sends heartbeats on time, decodes what arrives and calls
 * the listener. {@link #announce} and {@link #send} may be called from any thread.
 */
final class HeartbeatMembership implements Membership {
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatMembership.class);
    private static final AtomicLong LAST_INCARNATION = new AtomicLong();

    private final ClusterConfig config;
    private final String local;
    private final byte[] localId;
    private final List<PathRuntime> paths = new ArrayList<>();
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final List<Link> links = new ArrayList<>();
    private final Peer[] peerArray;
    private final long incarnation;
    private final FrameCodec codec;
    private final FrameCodec.Frame frame = new FrameCodec.Frame();
    final byte[] scratchIn = new byte[FrameCodec.MAX_FRAME + 1];
    private final byte[] scratchOut = new byte[FrameCodec.MAX_FRAME];
    private final byte[] templateScratch = new byte[FrameCodec.MAX_FRAME];
    private final AtomicLongArray drops = new AtomicLongArray(Drop.values().length);
    private final AtomicLong heartbeatsSent = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong heartbeatsReceived = new AtomicLong();
    /** The shortest wait between two wake-ups of the heartbeat thread. */
    private static final long MIN_TICK_NANOS = 200_000L;
    private final long minIntervalNanos;

    private volatile Announced announced = new Announced(0, new byte[0]);
    private volatile Listener listener;
    private volatile boolean closed;
    private EventLoopGroup group;
    private ScheduledFuture<?> ticker;
    private long sequence;
    private long lastTick;
    private long announceVersion;

    private record Announced(long version, byte[] bytes) {
    }

    HeartbeatMembership(ClusterConfig config, List<PathSpec> specs) {
        this(config, specs, null);
    }

    /** With {@code stateDirectory}, the incarnation also stays above the last one saved there (clock steps back). */
    HeartbeatMembership(ClusterConfig config, List<PathSpec> specs, java.nio.file.Path stateDirectory) {
        this.config = config;
        this.local = config.localNode();
        this.localId = FrameCodec.utf8(local);
        this.codec = new FrameCodec(config.cluster(), config.key());
        this.incarnation = Incarnations.next(stateDirectory, local);
        for (ClusterConfig.Node n : config.peers()) {
            peers.put(n.id(), new Peer(n.id()));
        }
        peerArray = peers.values().toArray(new Peer[0]);
        long min = Long.MAX_VALUE;
        long start = System.nanoTime();
        for (PathSpec s : specs) {
            PathRuntime p = PathRuntime.of(s, this);
            paths.add(p);
            min = Math.min(min, s.intervalNanos);
            for (Peer peer : peerArray) {
                Link l = new Link(p, peer, s.peers.get(peer.id), start);
                p.links.add(l);
                peer.links.add(l);
                links.add(l);
            }
        }
        minIntervalNanos = min == Long.MAX_VALUE ? 100_000_000L : min;
    }

    /** New at each start, increasing across restarts: wall-clock microseconds, made strictly increasing. */
    static long nextIncarnation() {
        long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        return LAST_INCARNATION.updateAndGet(prev -> Math.max(prev + 1, micros));
    }

    String localNode() {
        return local;
    }

    @Override
    public void refreshStates() {
        EventLoopGroup g = group;
        if (g == null || closed) {
            return;
        }
        try {
            g.execute(() -> {
                for (Peer p : peers.values()) {
                    p.stateDelivered = false; // the next heartbeat with a state delivers it again
                }
            });
        } catch (RuntimeException e) {
            // closing: nothing to refresh
        }
    }

    @Override
    public long incarnation() {
        return incarnation;
    }

    @Override
    public synchronized void start(Listener l) {
        if (listener != null) {
            throw new IllegalStateException("membership of " + local + " is already started");
        }
        if (closed) {
            throw new IllegalStateException("membership of " + local + " is closed");
        }
        listener = java.util.Objects.requireNonNull(l, "listener");
        DefaultThreadFactory tf = new DefaultThreadFactory("tandem-heartbeat-" + local, true, Thread.MAX_PRIORITY);
        group = PathRuntime.EPOLL ? new EpollEventLoopGroup(1, tf) : new NioEventLoopGroup(1, tf);
        ClusterConfig.Realtime rt = RealTime.effective(config.realtime());
        if (rt.enabled()) {
            // on the heartbeat thread itself (the priority is per thread); waited for, so that a required setting
            // that is not permitted fails the start
            List<String> failed;
            try {
                failed = group.submit(() -> RealTime.applyToCurrentThread(rt, local)).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                failed = List.of("node " + local + ": real-time settings could not be applied: " + e);
            }
            if (!failed.isEmpty() && rt.required()) {
                close();
                throw new IllegalStateException("heartbeats of " + local + " not started (realtime.required is true): "
                        + String.join("; ", failed) + "; or set realtime.required: false to run without them");
            }
        }
        try {
            for (PathRuntime p : paths) {
                p.start(group);
            }
        } catch (Exception e) {
            close();
            throw e instanceof IllegalStateException ise ? ise
                    : new IllegalStateException("heartbeats of " + local + " could not start: " + PathRuntime.why(e), e);
        }
        long now = System.nanoTime();
        for (PathRuntime p : paths) {
            p.nextSendAt = now;
        }
        lastTick = now;
        ticker = group.schedule(this::tick, 0, TimeUnit.NANOSECONDS);
        LOG.info("heartbeats of {} started: incarnation {}, {} transport, paths {}", local, incarnation,
                PathRuntime.EPOLL ? "epoll" : "NIO", paths.stream().map(p -> p.spec.name + " (" + p.spec.transport + ", "
                        + p.spec.intervalNanos / 1_000_000 + " ms x " + p.spec.misses + ")").toList());
    }

    /**
     * The scheduling policy of the heartbeat thread (0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR; -1 unknown or not
     * started), for benchmarks and tests.
     */
    int heartbeatThreadPolicy() {
        EventLoopGroup g = group;
        if (g == null || closed) {
            return -1;
        }
        try {
            return g.submit(RealTime::currentPolicy).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return -1;
        }
    }

    @Override
    public void announce(byte[] state) {
        byte[] copy = state == null ? new byte[0] : state.clone();
        if (copy.length > FrameCodec.MAX_PAYLOAD) {
            throw new IllegalArgumentException("announced state of " + copy.length + " bytes exceeds the heartbeat limit of "
                    + FrameCodec.MAX_PAYLOAD + " bytes (frames are at most " + FrameCodec.MAX_FRAME + " bytes)");
        }
        synchronized (this) {
            announced = new Announced(++announceVersion, copy);
        }
    }

    @Override
    public boolean send(String peer, byte[] message) {
        Peer p = peers.get(peer);
        if (p == null) {
            throw new IllegalArgumentException("unknown peer '" + peer + "'; known peers: " + peers.keySet());
        }
        if (message.length > FrameCodec.MAX_PAYLOAD) {
            throw new IllegalArgumentException("message of " + message.length + " bytes exceeds the limit of "
                    + FrameCodec.MAX_PAYLOAD + " bytes");
        }
        EventLoopGroup g = group;
        if (g == null || closed) {
            return false;
        }
        Link best = bestLink(p);
        if (best == null) {
            return false;
        }
        byte[] copy = message.clone();
        try {
            g.execute(() -> sendMessage(p, copy));
        } catch (RuntimeException e) {
            return false; // shutting down
        }
        return true;
    }

    /** The up network path with the lowest priority number (paths are kept sorted by priority). */
    private static Link bestLink(Peer p) {
        for (Link l : p.links) {
            if (l.state == PathState.UP && l.path.spec.network()) {
                return l;
            }
        }
        return null;
    }

    private void sendMessage(Peer p, byte[] message) {
        Link l = bestLink(p);
        if (l == null) {
            LOG.debug("message to {} dropped: no path up", p.id);
            return;
        }
        long now = System.nanoTime();
        int len = codec.encode(scratchOut, FrameCodec.MESSAGE, localId, p.idBytes, l.path.spec.nameBytes, incarnation,
                ++sequence, 0, System.currentTimeMillis(), now, 0, 0, 0, message, 0, message.length);
        l.path.send(l, scratchOut, len);
    }

    @Override
    public List<PathStatus> paths() {
        List<PathStatus> out = new ArrayList<>(links.size());
        for (Link l : links) {
            long rtt = l.rttNanos;
            long seen = l.lastSeenWall;
            out.add(new PathStatus(l.path.spec.name, l.peer.id, l.path.spec.transport, l.path.spec.priority, l.state,
                    rtt < 0 ? null : Duration.ofNanos(rtt), l.lossPercent, seen == 0 ? null : Instant.ofEpochMilli(seen)));
        }
        return out;
    }

    /** Packets dropped so far, by reason (only reasons seen). */
    Map<Drop, Long> dropped() {
        Map<Drop, Long> m = new EnumMap<>(Drop.class);
        for (Drop d : Drop.values()) {
            long n = drops.get(d.ordinal());
            if (n > 0) {
                m.put(d, n);
            }
        }
        return m;
    }

    /** How often the heartbeat thread found itself stalled (and widened its patience). */
    long stalls() {
        return stalls.get();
    }

    long heartbeatsSent() {
        return heartbeatsSent.get();
    }

    long heartbeatsReceived() {
        return heartbeatsReceived.get();
    }

    /**
     * Takes a path out of service or puts it back, as an operator would for maintenance of a NIC or a drill: out of
     * service, the path neither sends nor accepts heartbeats (the same edge as {@link #cut}), so it goes down on both
     * sides like a cut cable, and comes back up by itself once it is back in service.
     */
    @Override
    public boolean setPathEnabled(String path, boolean enabled) {
        for (PathRuntime p : paths) {
            if (p.spec.name.equals(path)) {
                if (p.cut == enabled) {
                    LOG.warn("heartbeat path `{}` on {}: {} by the operator", path, local,
                            enabled ? "put back in service" : "taken out of service");
                }
                p.cut = !enabled;
                return true;
            }
        }
        return false;
    }

    /** Test hook at the socket edge: cuts (or restores) one path in both directions. */
    void cut(String path, boolean cut) {
        for (PathRuntime p : paths) {
            if (p.spec.name.equals(path)) {
                p.cut = cut;
                return;
            }
        }
        throw new IllegalArgumentException("no path named " + path);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        EventLoopGroup g = group;
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (g != null) {
            for (PathRuntime p : paths) { // from this thread: closing waits, which the event loop may not do
                try {
                    p.close();
                } catch (RuntimeException e) {
                    LOG.warn("heartbeat path `{}`: close failed: {}", p.spec.name, PathRuntime.why(e));
                }
            }
            g.shutdownGracefully(0, 500, TimeUnit.MILLISECONDS).awaitUninterruptibly(3000);
        } else {
            paths.forEach(PathRuntime::close);
        }
        LOG.info("heartbeats of {} stopped", local);
    }

    // ---- heartbeat thread ----

    /**
     * One wake-up of the heartbeat thread: sends what is due, declares down what went silent, and schedules the next
     * wake-up exactly when something is next due (a send, or a path's timeout), at least once an interval. Not a
     * fixed tick: a node idling at 100 ms heartbeats wakes about ten times a second per path, not a hundred times
     * (the fixed 10 ms tick, not the packets, was most of an idle node's CPU).
     */
    private void tick() {
        long now = System.nanoTime();
        try {
            long late = now - lastTick;
            lastTick = now;
            if (late > Math.max(minIntervalNanos, 50_000_000L)) {
                stalls.incrementAndGet();
                LOG.warn("heartbeats of {}: the heartbeat thread was stalled for {} ms (GC pause or CPU starvation?); "
                        + "giving peers one more interval before declaring a path down", local, late / 1_000_000);
                for (Link l : links) {
                    l.detector.stalled(now);
                }
            }
            for (int i = 0; i < paths.size(); i++) {
                PathRuntime p = paths.get(i);
                if (due(p, now)) {
                    sendPath(p, now);
                }
            }
            for (int i = 0; i < links.size(); i++) {
                Link l = links.get(i);
                if (l.detector.tick(now) == FailureDetector.Change.DOWN) {
                    pathChanged(l, l.detector.downReason(now));
                    updatePeer(l.peer, now);
                }
            }
        } catch (Throwable t) {
            LOG.error("heartbeats of {}: tick failed (will go on): {}", local, PathRuntime.why(t), t);
        } finally {
            scheduleNextTick(now);
        }
    }

    /**
     * How early a network path's heartbeat may go out when the heartbeat thread is awake anyway: half its interval.
     * Waking up is most of an idle node's cost (a wake-up costs as much as the work it does), and without this every
     * path's sends and every peer's heartbeats each woke the thread on their own schedule: two paths to one peer, 12
     * wake-ups a second. With it, a slower path goes out with a faster one's heartbeat, and a node answers a peer's
     * heartbeat with its own when its own is due within half an interval, which brings two nodes' rhythms together
     * (after one exchange the phases differ by less than half an interval, so one of them always answers the other):
     * 5 to 10 wake-ups a second. A path never sends more often than twice its rate (after an early heartbeat the next
     * is due a whole interval later), and never later than its interval: a peer's failure detector, which counts
     * missed intervals, sees no difference. Extension paths (a disk) keep their exact schedule: a write is not free.
     */
    private static long early(PathRuntime p) {
        return p.spec.intervalNanos / 2;
    }

    /** Whether {@code p}'s heartbeat goes out at {@code now}: due, or within {@link #early} of it for a network path. */
    private static boolean due(PathRuntime p, long now) {
        return now - p.nextSendAt >= (p.spec.network() ? -early(p) : 0);
    }

    /** Sends {@code p}'s heartbeat to every peer now, and sets its next one (fixed rate when on time, else from now). */
    private void sendPath(PathRuntime p, long now) {
        long late = now - p.nextSendAt;
        p.nextSendAt = late < 0 || late > p.spec.intervalNanos ? now + p.spec.intervalNanos
                : p.nextSendAt + p.spec.intervalNanos;
        if (p.spec.network()) {
            for (int j = 0; j < p.links.size(); j++) {
                sendHeartbeat(p.links.get(j), now);
            }
        } else {
            p.beat(incarnation, ++sequence);
        }
    }

    /**
     * After frames were read (the thread woke for them): the network paths' heartbeats due within {@link #early} go
     * out now, and the next wake-up moves to what is due then. Heartbeat thread only.
     */
    void readComplete() {
        if (closed || ticker == null) {
            return;
        }
        try {
            long now = System.nanoTime();
            boolean sent = false;
            for (int i = 0; i < paths.size(); i++) {
                PathRuntime p = paths.get(i);
                if (p.spec.network() && due(p, now)) {
                    sendPath(p, now);
                    sent = true;
                }
            }
            if (sent && ticker.cancel(false)) {
                scheduleNextTick(now);
            }
        } catch (Throwable t) {
            LOG.error("heartbeats of {}: answering a heartbeat failed (will go on): {}", local, PathRuntime.why(t), t);
        }
    }

    /** The next wake-up: the earliest send or path timeout still ahead, at the latest one interval from now. */
    private void scheduleNextTick(long now) {
        if (closed) {
            return;
        }
        long next = now + minIntervalNanos;
        for (int i = 0; i < paths.size(); i++) {
            next = Math.min(next, paths.get(i).nextSendAt);
        }
        for (int i = 0; i < links.size(); i++) {
            FailureDetector d = links.get(i).detector;
            if (d.state() != PathState.DOWN) {
                next = Math.min(next, d.deadline());
            }
        }
        long at = System.nanoTime();
        long delay = Math.max(next - at, MIN_TICK_NANOS);
        lastTick = at + delay; // when the wake-up is due: how late it comes is a stall
        try {
            ticker = group.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    private void sendHeartbeat(Link l, long now) {
        Announced a = announced;
        if (l.frameStateVersion != a.version) {
            int len = codec.template(templateScratch, FrameCodec.HEARTBEAT, localId, l.peer.idBytes, l.path.spec.nameBytes,
                    a.bytes, 0, a.bytes.length);
            l.frame = Arrays.copyOf(templateScratch, len);
            l.frameLen = len;
            l.longsAt = FrameCodec.longsOffset(FrameCodec.utf8(config.cluster()).length, localId.length,
                    l.peer.idBytes.length, l.path.spec.nameBytes.length);
            l.frameStateVersion = a.version;
        }
        long hold = l.lastPeerMono == 0 ? 0 : now - l.lastPeerMonoAt;
        codec.seal(l.frame, l.frameLen, l.longsAt, incarnation, ++sequence, ++l.pathSeqOut, System.currentTimeMillis(),
                now, l.lastPeerMono, hold, a.version);
        if (l.path.send(l, l.frame, l.frameLen)) {
            heartbeatsSent.incrementAndGet();
        }
    }

    void drop(Drop d, PathRuntime p) {
        long n = drops.incrementAndGet(d.ordinal());
        if (d == Drop.SELF || d == Drop.NOT_FOR_US) {
            return;
        }
        if (Long.bitCount(n) == 1) { // 1st, 2nd, 4th, 8th...: bounded logging under a flood
            LOG.warn("heartbeat path `{}` on {}: dropped a packet: {} ({} so far)", p.spec.name, local, d.text, n);
        }
    }

    private Peer peerOf(FrameCodec.Frame f) {
        for (Peer p : peerArray) {
            if (f.senderIs(p.idBytes)) {
                return p;
            }
        }
        return null;
    }

    /** A datagram or TCP frame arrived on {@code path}. Never throws. */
    void onFrame(PathRuntime path, byte[] buf, int len) {
        try {
            FrameCodec.Frame f = frame;
            Drop d = codec.decode(buf, len, f);
            if (d != null) {
                drop(d, path);
                return;
            }
            if (f.senderIs(localId)) {
                if (f.incarnation != incarnation && f.incarnation != 0) {
                    // An authenticated frame from our own node id and another process: a second copy of this node.
                    reportDuplicate(self, localName(), Math.min(f.incarnation, incarnation), Math.max(f.incarnation, incarnation));
                }
                drop(Drop.SELF, path);
                return;
            }
            Peer p = peerOf(f);
            if (p == null) {
                drop(Drop.UNKNOWN_SENDER, path);
                return;
            }
            if (!f.destIsEveryone() && !f.destIs(localId)) {
                drop(Drop.NOT_FOR_US, path);
                return;
            }
            if (!f.pathIs(path.spec.nameBytes)) {
                drop(Drop.WRONG_PATH, path);
                return;
            }
            boolean switchedBack = false;
            if (f.incarnation < p.incarnation) {
                // A restarted peer's old process is gone: at most a few of its frames are still in flight. Fresh
                // frames (new sequence numbers) of the old incarnation well after the switch mean both still run.
                if (f.incarnation != p.prevIncarnation || f.sequence <= p.prevMaxSeq) {
                    drop(Drop.STALE_INCARNATION, path);
                    return;
                }
                p.prevMaxSeq = f.sequence;
                long nowNs = System.nanoTime();
                if (nowNs - p.lastCurrentAt <= path.spec.intervalNanos * path.spec.misses) {
                    if (nowNs - p.switchedAt > DUPLICATE_GRACE_NS) {
                        reportDuplicate(p, p.id, f.incarnation, p.incarnation);
                    }
                    drop(Drop.STALE_INCARNATION, path);
                    return;
                }
                // The newer copy went silent while the older one still talks (a second copy was stopped): follow
                // the older one again, as after a restart, so that its state is delivered afresh.
                LOG.warn("peer {}: incarnation {} went silent while {} still talks: following {} again", p.id,
                        p.incarnation, f.incarnation, f.incarnation);
                long newer = p.incarnation;
                long newerMax = p.maxSeq;
                p.incarnation = f.incarnation;
                p.prevIncarnation = newer;
                p.prevMaxSeq = newerMax;
                p.switchedAt = nowNs;
                p.maxSeq = 0;
                p.window.reset();
                for (Link o : p.links) {
                    o.detector.resetSequence();
                }
                p.stateVersion = -1;
                p.stateDelivered = false;
                switchedBack = true;
            }
            boolean restarted = switchedBack;
            if (f.incarnation > p.incarnation) {
                restarted = p.incarnation != 0;
                if (restarted) {
                    LOG.debug("peer {} restarted: incarnation {} -> {}", p.id, p.incarnation, f.incarnation);
                    p.prevIncarnation = p.incarnation;
                    p.prevMaxSeq = p.maxSeq;
                    p.switchedAt = System.nanoTime();
                }
                p.maxSeq = 0;
                p.incarnation = f.incarnation;
                p.window.reset();
                for (Link o : p.links) {
                    o.detector.resetSequence();
                }
                p.stateVersion = -1;
                p.stateDelivered = false;
            }
            if (!p.window.accept(f.sequence)) {
                drop(Drop.REPLAY, path);
                return;
            }
            p.maxSeq = Math.max(p.maxSeq, f.sequence);
            long now = System.nanoTime();
            p.lastCurrentAt = now;
            Link l = linkOf(path, p);
            if (f.type == FrameCodec.HEARTBEAT) {
                heartbeatsReceived.incrementAndGet();
                if (f.echoMono != 0) {
                    long rtt = now - f.echoMono - f.echoHold;
                    if (rtt >= 0 && rtt < 60_000_000_000L) {
                        l.rttNanos = rtt;
                    }
                }
                l.lastPeerMono = f.monoNanos;
                l.lastPeerMonoAt = now;
            }
            boolean wasReachable = p.reach == Peer.Reach.REACHABLE;
            heard(l, now, f.type == FrameCodec.HEARTBEAT ? f.pathSeq : -1);
            if (restarted && wasReachable) {
                Listener li = listener;
                try {
                    li.peerReachable(p.id, p.incarnation);
                } catch (RuntimeException e) {
                    LOG.error("listener failed on peerReachable({}): {}", p.id, PathRuntime.why(e), e);
                }
            }
            switch (f.type) {
                case FrameCodec.HEARTBEAT -> {
                    if (f.stateVersion != p.stateVersion) {
                        p.state = f.payload();
                        p.stateVersion = f.stateVersion;
                        p.stateDelivered = false;
                    }
                    if (!p.stateDelivered && p.reach == Peer.Reach.REACHABLE) {
                        p.stateDelivered = true;
                        try {
                            listener.peerState(p.id, p.incarnation, p.state.clone());
                        } catch (RuntimeException e) {
                            LOG.error("listener failed on peerState({}): {}", p.id, PathRuntime.why(e), e);
                        }
                    }
                }
                case FrameCodec.MESSAGE -> {
                    try {
                        listener.message(p.id, f.payload());
                    } catch (RuntimeException e) {
                        LOG.error("listener failed on message({}): {}", p.id, PathRuntime.why(e), e);
                    }
                }
                default -> {
                    // PROBE / PROBE_REPLY belong to the peer-probe arbiter, which has its own socket.
                }
            }
        } catch (RuntimeException e) {
            LOG.error("heartbeat path `{}`: unexpected error on a received frame (dropped): {}", path.spec.name,
                    PathRuntime.why(e), e);
        }
    }

    /** How long after a peer's restart frames of its old incarnation may still arrive without meaning a copy. */
    private static final long DUPLICATE_GRACE_NS = 1_000_000_000L;
    private final Peer self = new Peer("(self)");

    private String localName() {
        return new String(localId, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Tells the listener that two copies of {@code node} run, at most once a second per node. */
    private void reportDuplicate(Peer p, String node, long older, long newer) {
        long now = System.nanoTime();
        if (p.duplicateReportedAt != 0 && now - p.duplicateReportedAt < 1_000_000_000L) {
            return;
        }
        p.duplicateReportedAt = now;
        LOG.error("two copies of node {} are running: incarnations {} and {} are heard at once", node, older, newer);
        Listener li = listener;
        if (li != null) {
            try {
                li.duplicate(node, older, newer);
            } catch (RuntimeException e) {
                LOG.error("listener failed on duplicate({}): {}", node, PathRuntime.why(e), e);
            }
        }
    }

    /** A plugin path heard a peer's heartbeat. */
    void onHeard(PathRuntime path, String peer, long inc, long seq) {
        Peer p = peers.get(peer);
        if (p == null) {
            drop(Drop.UNKNOWN_SENDER, path);
            return;
        }
        if (inc < p.incarnation) {
            drop(Drop.STALE_INCARNATION, path);
            return;
        }
        if (p.incarnation == 0) {
            p.incarnation = inc;
        }
        heard(linkOf(path, p), System.nanoTime(), seq);
    }

    private static Link linkOf(PathRuntime path, Peer p) {
        for (int i = 0; i < path.links.size(); i++) {
            Link l = path.links.get(i);
            if (l.peer == p) {
                return l;
            }
        }
        throw new IllegalStateException("no link " + path.spec.name + " -> " + p.id);
    }

    private void heard(Link l, long now, long pathSeq) {
        l.lastSeenWall = System.currentTimeMillis();
        FailureDetector.Change c = l.detector.heard(now, pathSeq);
        l.lossPercent = l.detector.lossPercent();
        if (c == FailureDetector.Change.UP) {
            pathChanged(l, l.detector.upReason(now));
            updatePeer(l.peer, now);
        }
    }

    // Path and peer changes are logged at DEBUG only: the node runtime turns them into events (PATH_UP, PATH_DOWN,
    // PEER_REACHABLE, PEER_UNREACHABLE, PEER_RESTARTED), and each event is logged once, by the runtime.
    private void pathChanged(Link l, String reason) {
        l.state = l.detector.state();
        l.lossPercent = l.detector.lossPercent();
        PathState s = l.state;
        if (s == PathState.DOWN) {
            boolean other = l.peer.links.stream().anyMatch(o -> o != l && o.state == PathState.UP);
            if (other) {
                LOG.debug("path `{}` to {} down: {} (peer still reachable on another path)", l.path.spec.name, l.peer.id, reason);
            } else {
                LOG.debug("path `{}` to {} down: {}", l.path.spec.name, l.peer.id, reason);
            }
        } else {
            LOG.debug("path `{}` to {} up: {}", l.path.spec.name, l.peer.id, reason);
        }
        long seen = l.lastSeenWall;
        long rtt = l.rttNanos;
        PathStatus st = new PathStatus(l.path.spec.name, l.peer.id, l.path.spec.transport, l.path.spec.priority, s,
                rtt < 0 ? null : Duration.ofNanos(rtt), l.lossPercent, seen == 0 ? null : Instant.ofEpochMilli(seen));
        try {
            listener.pathChanged(st, reason);
        } catch (RuntimeException e) {
            LOG.error("listener failed on pathChanged: {}", PathRuntime.why(e), e);
        }
    }

    private void updatePeer(Peer p, long now) {
        boolean anyUp = false;
        boolean allDown = true;
        for (int i = 0; i < p.links.size(); i++) {
            Link l = p.links.get(i);
            anyUp |= l.state == PathState.UP;
            allDown &= l.state == PathState.DOWN;
        }
        if (anyUp && p.reach != Peer.Reach.REACHABLE) {
            p.reach = Peer.Reach.REACHABLE;
            p.stateDelivered = false;
            LOG.debug("peer {} reachable (incarnation {})", p.id, p.incarnation);
            try {
                listener.peerReachable(p.id, p.incarnation);
            } catch (RuntimeException e) {
                LOG.error("listener failed on peerReachable({}): {}", p.id, PathRuntime.why(e), e);
            }
        } else if (allDown && !p.links.isEmpty() && p.reach != Peer.Reach.UNREACHABLE) {
            p.reach = Peer.Reach.UNREACHABLE;
            StringBuilder why = new StringBuilder("silent on every path: ");
            for (int i = 0; i < p.links.size(); i++) {
                Link l = p.links.get(i);
                why.append(i == 0 ? "" : ", ").append(l.path.spec.name).append(" (").append(l.detector.downReason(now)).append(')');
            }
            LOG.debug("peer {} unreachable: {}", p.id, why);
            try {
                listener.peerUnreachable(p.id, why.toString());
            } catch (RuntimeException e) {
                LOG.error("listener failed on peerUnreachable({}): {}", p.id, PathRuntime.why(e), e);
            }
        }
    }
}
