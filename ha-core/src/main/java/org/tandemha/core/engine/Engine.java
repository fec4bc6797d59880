package org.tandemha.core.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.ResourceStatus;
import org.tandemha.api.Severity;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Action.CheckKind;
import org.tandemha.core.engine.Action.ResourceOp;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * The decision logic of one node: a deterministic function of its state and the {@link Input}s it is given,
 * returning the {@link Action}s to take. No threads, sockets, devices or clocks: time is the {@code now} passed
 * in, so whole clusters run in simulated time.
 *
 * <h2>Who may start a group</h2>
 * A node starts a group only after (1) it is the group's target (the handoff node of the latest planned release,
 * else the first eligible node in the group's priority list), (2) it has claimed a new generation (one above every
 * generation it knows of), and (3) every other node of the group has either acknowledged that exact claim in its
 * announcement, or been declared dead or fenced by the safety check. A node acknowledges only while the group is
 * offline there, and only the claim of highest precedence. Two claimers therefore cannot both collect every
 * acknowledgement: each would need the other's. A silent peer the safety check calls alive, or does not know
 * about, blocks every claim: safety over liveness.
 *
 * <p>A node that finds another node holding the group at a higher generation stops at once: the generation is a
 * fencing token. A stop that fails leaves the group FAILED here, which blocks every other node until this one is
 * fenced or an operator clears it.
 *
 * <p>The per-group transition table is on {@link LocalState}.
 */
public final class Engine {
    /** Grace the engine adds to an action's timeout before it declares the timeout itself. */
    static final long DEADLINE_GRACE_MS = 1000;

    enum StopReason { CLEARED, CLEANUP, SWITCHOVER, SWITCHBACK, FAILOVER, START_FAILED, STAND_DOWN, LOST_GENERATION, SHUTDOWN, QUORUM }

    private enum PendingKind { RESOURCE, CHECK, SAFETY, FENCE }

    private record Pending(PendingKind kind, String group, String resource, long epoch, long deadline, ResourceOp op,
                           CheckKind check, String peer, Duration timeout) {
    }

    private static final class Peer {
        final String id;
        boolean reachable;
        boolean everHeard;
        long incarnation;
        Announcement ann;
        long unreachableSince = -1;
        boolean deadOrFenced;
        String deadReason;
        long safetyId;
        long nextSafetyAt;
        long backoff;
        boolean degradedReported;
        long fenceId;
        long nextFenceAt;
        long fenceBackoff;
        boolean fingerprintWarned;
        /** Fenced by this cluster's fencing (not merely declared dead by an arbiter). */
        boolean fenced;
        /**
         * The facts of its latest announcement (its MACs, ...), kept when the announcement itself is forgotten
         * (a rejoin, a pause): a resource taking over from it after it died needs them most then.
         */
        Map<String, String> facts = Map.of();
        /** Groups this peer last announced active or claimed: what may still run there after its daemon died. */
        final java.util.Set<String> mayRun = new java.util.TreeSet<>();
        /** It said it left, with nothing running. */
        boolean leftCleanly;
        /** Groups this peer last announced FAILED (a stop failed there): kept while it is silent. */
        final java.util.Set<String> failed = new java.util.TreeSet<>();
        /** Until when this peer counts as duplicated (two copies heard at once); -1: not duplicated. */
        long duplicateUntil = -1;
        long duplicateNewer;
        /** Until when a peer that just restarted is not trusted (it may be a second copy, not a restart). */
        long settleUntil;

        Peer(String id) {
            this.id = id;
        }
    }

    private static final class Res {
        final ResourceSpec spec;
        boolean running;
        long nextQuick = Long.MAX_VALUE;
        long nextDeep = Long.MAX_VALUE;
        long quickId;
        long deepId;
        boolean failing;
        final Deque<Long> failures = new ArrayDeque<>();
        CheckResult last;
        long lastAt = -1;

        Res(ResourceSpec spec) {
            this.spec = spec;
        }
    }

    private static final class Waiter {
        final long commandId;
        final String target;
        final long sinceGen;
        final long startedAt;
        final long deadline;

        Waiter(long commandId, String target, long sinceGen, long startedAt, long deadline) {
            this.commandId = commandId;
            this.target = target;
            this.sinceGen = sinceGen;
            this.startedAt = startedAt;
            this.deadline = deadline;
        }
    }

    private static final class Group {
        final GroupSpec spec;
        final Map<String, Res> res = new LinkedHashMap<>();
        LocalState state = LocalState.UNKNOWN;
        long gen;
        /** The highest generation known from before this node's last start (persisted by the runtime). */
        long floor;
        long claimGen;
        long prevGen;
        String ackNode;
        long ackGen;
        String handoff;
        boolean blocked;
        String blockedReason;
        boolean fatal;
        long maintVer;
        String maintNode;
        boolean maintOn;
        long clearVer;
        boolean byAdmin;
        StopReason stopReason;
        StopReason stopAfter;
        int seq;
        long seqId;
        long epoch;
        String transition = "start";
        long transitionAt;
        String detail = "not yet started";
        String switchbackCandidate;
        long switchbackSince;
        final List<Waiter> waiters = new ArrayList<>();

        Group(GroupSpec spec) {
            this.spec = spec;
            for (ResourceSpec r : spec.resources()) {
                res.put(r.id(), new Res(r));
            }
        }

        Res resAt(int i) {
            return res.get(spec.resources().get(i).id());
        }
    }

    private final ClusterSpec spec;
    private final String self;
    private final LongFunction<Instant> wallClock;
    private final boolean canFence;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<String, String> facts = new TreeMap<>();
    /** Quorum devices (witnesses) and whether they are reachable from here. */
    private final Map<String, Boolean> devices = new TreeMap<>();
    private final Map<Long, Waiter> remoteCommands = new HashMap<>();
    private long now;
    private long bootAt = -1;
    private boolean booted;
    private boolean shuttingDown;
    private boolean left;
    /** Whether the last announcement said "leaving": only when nothing of any group may still run here. */
    private boolean leftCleanly;
    /** This process's heartbeat incarnation (0: not known), to tell which of two copies of this node it is. */
    private long incarnation;
    /** Why this copy of the node must not take part (a newer duplicate of a running node), or null. */
    private String duplicateReason;
    /** This process is the older of two copies of this node and has said so. */
    private boolean olderCopyWarned;
    /** Why generations cannot be made durable now, or null. */
    private String notDurable;
    private boolean selfFenced;
    private String selfFencedReason;
    private long quorumLostAt = -1;
    /** Why this node must be reset (a stop failed while it had to let go), or null. */
    private String resetReason;
    /** The highest generation an arbiter reported: claims go above it (see {@link Verdict#generation()}). */
    private long generationFloor;
    private boolean hadQuorum;
    private boolean quorumMaintWarned;
    private long nextId = 1;
    private long eventSeq;
    private long announceVersion;
    private Announcement lastAnnounced;
    private List<Action> out = new ArrayList<>();

    /**
     * @param spec      the cluster configuration (the same on every node)
     * @param self      this node's id
     * @param canFence  whether fencing methods are configured (a failed stop elsewhere can then be fenced)
     * @param wallClock turns the engine's monotonic milliseconds into wall time for events
     */
    public Engine(ClusterSpec spec, String self, boolean canFence, LongFunction<Instant> wallClock) {
        this.spec = spec;
        this.self = self;
        this.canFence = canFence;
        this.wallClock = wallClock;
        for (String n : spec.nodeIds()) {
            if (!n.equals(self)) {
                peers.put(n, new Peer(n));
            }
        }
        for (GroupSpec g : spec.groups()) {
            groups.put(g.id(), new Group(g));
        }
    }

    public String self() {
        return self;
    }

    // ------------------------------------------------------------------ input

    /** Where each kind of input goes (a new kind fails to compile here until it is given a place). */
    private final Input.Handler inputs = new Input.Handler() {
        @Override
        public void tick(Input.Tick in) {
            // time passed: the reconciliation below does the rest
        }

        @Override
        public void boot(Input.Boot in) {
            incarnation = in.incarnation();
            Engine.this.boot(in.generations());
        }

        @Override
        public void shutdown(Input.Shutdown in) {
            Engine.this.shutdown();
        }

        @Override
        public void peerReachable(Input.PeerReachable in) {
            Engine.this.peerReachable(in.peer(), in.incarnation());
        }

        @Override
        public void peerUnreachable(Input.PeerUnreachable in) {
            Engine.this.peerUnreachable(in.peer(), in.reason());
        }

        @Override
        public void peerState(Input.PeerState in) {
            Engine.this.peerState(in.peer(), in.incarnation(), in.announcement());
        }

        @Override
        public void peerMessage(Input.PeerMessage in) {
            Engine.this.peerMessage(in.peer(), in.message());
        }

        @Override
        public void actionDone(Input.ActionDone in) {
            Engine.this.actionDone(in.id(), in.result());
        }

        @Override
        public void checkDone(Input.CheckDone in) {
            Engine.this.checkDone(in.id(), in.result());
        }

        @Override
        public void safetyDone(Input.SafetyDone in) {
            Engine.this.safetyDone(in.id(), in.verdict());
        }

        @Override
        public void fenceDone(Input.FenceDone in) {
            Engine.this.fenceDone(in.id(), in.result());
        }

        @Override
        public void resumed(Input.Resumed in) {
            Engine.this.resumed(in.pausedMs());
        }

        @Override
        public void quorumDevice(Input.QuorumDevice in) {
            devices.put(in.device(), in.reachable());
        }

        @Override
        public void fact(Input.Fact in) {
            facts.put(in.key(), in.value());
        }

        @Override
        public void selfFenced(Input.SelfFenced in) {
            standDown("this node was fenced off shared storage: " + in.reason());
        }

        @Override
        public void generationsDurable(Input.GenerationsDurable in) {
            Engine.this.generationsDurable(in.durable(), in.reason());
        }

        @Override
        public void duplicateNode(Input.DuplicateNode in) {
            Engine.this.duplicateNode(in.node(), in.older(), in.newer());
        }

        @Override
        public void command(Input.Command in) {
            Engine.this.command(in);
        }
    };

    /** Handles one input at time {@code nowMs} (monotonic milliseconds) and returns what to do. */
    public List<Action> handle(Input input, long nowMs) {
        out = new ArrayList<>();
        now = Math.max(now, nowMs);
        input.dispatch(inputs);
        if (booted && !left) {
            expireDeadlines();
            maybeEndStandDown();
            reconcilePeers();
            checkQuorum();
            for (int round = 0; round < 8; round++) {
                boolean changed = false;
                for (Group g : groups.values()) {
                    changed |= reconcile(g);
                }
                if (!changed) {
                    break;
                }
            }
            runDueChecks();
            finishWaiters();
            maybeLeave();
        }
        announceIfChanged();
        return out;
    }

    /**
     * The next time the engine wants a {@link Input.Tick}, or {@link Long#MAX_VALUE}. Everything due at or before
     * {@code now} was evaluated by the last {@link #handle}; what is still waiting then needs another input, so
     * only future times count (a past time would spin the caller).
     */
    public long nextWakeup() {
        if (!booted || left) {
            return Long.MAX_VALUE;
        }
        long t = Long.MAX_VALUE;
        for (long c : wakeupTimes()) {
            if (c > now && c < t) {
                t = c;
            }
        }
        return t;
    }

    private List<Long> wakeupTimes() {
        List<Long> t = new ArrayList<>();
        for (Pending p : pending.values()) {
            t.add(p.deadline);
        }
        for (Group g : groups.values()) {
            if (g.state == LocalState.ONLINE) {
                for (Res r : g.res.values()) {
                    if (r.quickId == 0) {
                        t.add(r.nextQuick);
                    }
                    if (r.deepId == 0) {
                        t.add(r.nextDeep);
                    }
                }
                if (g.switchbackCandidate != null) {
                    t.add(g.switchbackSince + g.spec.settle().toMillis());
                }
            }
            for (Waiter w : g.waiters) {
                t.add(w.deadline);
            }
        }
        for (Waiter w : remoteCommands.values()) {
            t.add(w.deadline);
        }
        for (Peer p : peers.values()) {
            if (duplicated(p)) {
                t.add(p.duplicateUntil);
            }
            t.add(p.settleUntil);
            if (p.deadOrFenced) {
                for (Group g : groups.values()) {
                    t.add(watchdogResetBy(p, g));
                }
            }
        }
        for (Peer p : peers.values()) {
            if (!p.reachable && !p.deadOrFenced && p.safetyId == 0) {
                t.add(Math.max(p.nextSafetyAt, p.everHeard ? 0 : bootAt + spec.timing().startupWait().toMillis()));
            }
        }
        if (quorumLostAt >= 0) {
            t.add(quorumLostAt + spec.quorum().lossGrace().toMillis());
        }
        for (Peer p : peers.values()) {
            if (p.fenceBackoff > 0 && p.fenceId == 0 && !p.fenced) {
                t.add(p.nextFenceAt);
            }
        }
        if (!hadQuorum) {
            t.add(bootAt + spec.timing().startupWait().toMillis());
        }
        return t;
    }

    // ------------------------------------------------------------------ lifecycle

    private void boot(Map<String, Long> remembered) {
        if (booted) {
            return;
        }
        booted = true;
        for (Group g : groups.values()) {
            g.floor = Math.max(0, remembered.getOrDefault(g.spec.id(), 0L));
        }
        bootAt = now;
        for (Peer p : peers.values()) {
            p.nextSafetyAt = now + spec.timing().startupWait().toMillis();
            p.backoff = spec.timing().safetyRetryMin().toMillis();
        }
        emit(EventKind.NODE_STARTED, Level.INFO, null, null, "node " + self + " started; making sure no group runs here"
                + " before joining", Map.of());
    }

    private void shutdown() {
        if (shuttingDown) {
            return;
        }
        shuttingDown = true;
        emit(EventKind.NODE_STOPPED, Level.INFO, null, null, "node " + self + " shutting down: stopping its groups", Map.of());
        for (Group g : groups.values()) {
            requestStop(g, StopReason.SHUTDOWN);
        }
        if (!booted) {
            left = true;
            out.add(new Action.Left());
        }
    }

    /**
     * Leaves once every group is stopped. A group whose stop failed may still run here: the node then does not say
     * it left (its peers would take that for "dead or fenced"). It stays in the cluster announcing the group FAILED,
     * so that its peers hear it and keep the group blocked until it is fenced or an operator clears it; the runtime
     * exits without leaving once its shutdown bound runs out (and a watchdog, if configured, resets the node).
     */
    private void maybeLeave() {
        if (!shuttingDown || left) {
            return;
        }
        List<String> failed = new ArrayList<>();
        for (Group g : groups.values()) {
            if (g.state == LocalState.FAILED) {
                failed.add(g.spec.id());
            } else if (g.state != LocalState.OFFLINE && g.state != LocalState.UNKNOWN) {
                return;
            }
        }
        if (failed.isEmpty()) {
            left = true;
            leftCleanly = true;
            emit(EventKind.NODE_STOPPED, Level.INFO, null, null, "node " + self + " left the cluster; its groups are stopped", Map.of());
            out.add(new Action.Left());
        } else if (!failed.equals(failedAtShutdown)) {
            failedAtShutdown = failed;
            emit(EventKind.NODE_STOPPED, Level.ERROR, null, null, "node " + self + " cannot leave the cluster cleanly:"
                    + " group" + (failed.size() > 1 ? "s " : " ") + String.join(", ", failed) + " failed to stop here and"
                    + " may still run; it stays to tell its peers, which keep " + (failed.size() > 1 ? "them" : "it")
                    + " blocked until " + self + " is fenced or an operator clears " + (failed.size() > 1 ? "them" : "it")
                    + " (after making sure it is stopped)", Map.of("failed", String.join(",", failed)));
        }
    }

    /** The groups that failed to stop during this node's shutdown, as last reported. */
    private List<String> failedAtShutdown = List.of();

    private void resumed(long pausedMs) {
        // The pause is not the actions' fault: their results may be waiting in the queue. Widen every deadline.
        pending.replaceAll((id, p) -> new Pending(p.kind, p.group, p.resource, p.epoch, p.deadline + pausedMs, p.op,
                p.check, p.peer, p.timeout));
        if (pausedMs < spec.timing().pauseThreshold().toMillis()) {
            emit(EventKind.NODE_WARNING, Level.WARNING, null, null, "node " + self + " was frozen for "
                    + Durations.format(Duration.ofMillis(pausedMs)) + " (a long pause or a starved thread)", Map.of("pausedMs", String.valueOf(pausedMs)));
            return;
        }
        boolean any = groups.values().stream().anyMatch(g -> g.state.active());
        emit(EventKind.STAND_DOWN, Level.ERROR, null, null, "node " + self + " was frozen for "
                + Durations.format(Duration.ofMillis(pausedMs)) + ", longer than the pause threshold "
                + Durations.format(spec.timing().pauseThreshold()) + ": a peer may have taken over"
                + (any ? "; stopping its groups before touching anything shared" : ""), Map.of("pausedMs", String.valueOf(pausedMs)));
        for (Group g : groups.values()) {
            if (g.state.active() && g.state != LocalState.FAILED && !g.maintOn) {
                requestStop(g, StopReason.STAND_DOWN);
            }
        }
        for (Peer p : peers.values()) {
            p.ann = null; // what we knew is old; wait for fresh announcements
        }
        out.add(new Action.RefreshPeerStates()); // and ask for them: an unchanged state is not sent again by itself
        forgetVerdicts();
    }

    /**
     * Verdicts taken before now no longer count: a node that stands down (it was fenced, it lost, it was frozen)
     * ends its stand-down only on fresh ones. Being fenced even proves that some peer is alive.
     */
    private void forgetVerdicts() {
        for (Peer p : peers.values()) {
            if (!p.reachable && p.deadOrFenced) {
                // (a peer that left cleanly may have come back unheard: whoever fenced this node is alive)
                p.deadOrFenced = false;
                p.fenced = false;
                p.leftCleanly = false;
                p.deadReason = null;
                p.nextSafetyAt = now;
                p.backoff = spec.timing().safetyRetryMin().toMillis();
            }
        }
    }

    private void standDown(String reason) {
        boolean first = !selfFenced;
        if (first) {
            forgetVerdicts();
        }
        if (!selfFenced) {
            emit(EventKind.STAND_DOWN, Level.ERROR, null, null, reason + "; stopping every group at once and taking over"
                    + " nothing until the peers are heard again", Map.of());
        }
        selfFenced = true;
        selfFencedReason = reason;
        for (Group g : groups.values()) {
            if (g.maintOn && g.state.active()) {
                if (first) {
                    emit(EventKind.MAINTENANCE, Level.WARNING, g.spec.id(), null, "group " + g.spec.id() + " is in maintenance:"
                            + " left running on " + self + " although this node stands down; the operator decides", Map.of());
                }
            } else if (g.state.active() && g.state != LocalState.FAILED && g.state != LocalState.UNKNOWN) {
                requestStop(g, StopReason.STAND_DOWN);
            } else if (g.state == LocalState.CLAIMING) {
                withdraw(g, "standing down");
            }
        }
    }

    private void checkQuorum() {
        if (quorate()) {
            if (quorumLostAt >= 0) {
                emit(EventKind.NODE_WARNING, Level.INFO, null, null, "quorum regained", Map.of());
            }
            quorumLostAt = -1;
            quorumMaintWarned = false;
            hadQuorum = true;
            return;
        }
        if (!hadQuorum && now - bootAt < spec.timing().startupWait().toMillis()) {
            return; // still gathering peers after start: not a loss
        }
        if (quorumLostAt < 0) {
            quorumLostAt = now;
            emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "quorum lost: " + reachableVotes() + " of "
                    + (spec.nodes().size() + witnessVotes()) + (witnessVotes() == 0 ? " nodes" : " votes (nodes and witness)")
                    + " reachable; groups stop after " + Durations.format(spec.quorum().lossGrace())
                    + " unless it comes back", Map.of());
        }
        if (now - quorumLostAt >= spec.quorum().lossGrace().toMillis()) {
            for (Group g : groups.values()) {
                if (g.maintOn) {
                    if (g.state.active() && !quorumMaintWarned) {
                        emit(EventKind.MAINTENANCE, Level.WARNING, g.spec.id(), null, "group " + g.spec.id() + " is in"
                                + " maintenance: left running on " + self + " although quorum is lost; the operator decides", Map.of());
                    }
                    continue; // hands off
                }
                if (g.state.active() && g.state != LocalState.FAILED && g.state != LocalState.UNKNOWN && g.state != LocalState.STOPPING) {
                    requestStop(g, StopReason.QUORUM);
                }
            }
            quorumMaintWarned = true;
        }
    }

    private int reachableVotes() {
        int n = 1;
        for (Peer p : peers.values()) {
            if (p.reachable) {
                n++;
            }
        }
        if (spec.quorum().witnessVote()) {
            n += Math.min(witnessVotes(), (int) devices.values().stream().filter(Boolean::booleanValue).count());
        }
        return n;
    }

    /** Configured witnesses, each a vote when {@code quorum.witnessVote} is on. */
    private int witnessVotes() {
        return spec.quorum().witnessVote() ? (int) spec.arbiters().stream().filter(a -> a.type().equals("witness")).count() : 0;
    }

    /**
     * Two nodes: the arbiters decide. Three or more: a majority of the votes (the configured nodes, plus each
     * witness when {@code quorum.witnessVote} is on) must be reachable.
     */
    private boolean quorate() {
        if (spec.nodes().size() <= 2) {
            return true;
        }
        return reachableVotes() * 2 > spec.nodes().size() + witnessVotes();
    }

    // ------------------------------------------------------------------ peers

    private void peerReachable(String id, long incarnation) {
        Peer p = peers.get(id);
        if (p == null) {
            return;
        }
        if (p.incarnation != 0 && incarnation != p.incarnation) {
            emit(EventKind.PEER_RESTARTED, Level.WARNING, null, null, "node " + id + " restarted (incarnation "
                    + p.incarnation + " -> " + incarnation + ")", Map.of("peer", id));
            p.ann = null;
            // A new incarnation may be a second copy rather than a restart: the heartbeats tell only once the old
            // incarnation keeps talking. Until then the newcomer acknowledges nothing.
            p.settleUntil = now + RESTART_SETTLE_MS;
            out.add(new Action.PeerRejoined(id));
        }
        boolean was = p.reachable;
        p.incarnation = incarnation;
        p.reachable = true;
        if (!was) {
            String after = p.unreachableSince >= 0 ? " after " + Durations.format(Duration.ofMillis(now - p.unreachableSince)) : "";
            emit(EventKind.PEER_REACHABLE, Level.INFO, null, null, "node " + id + " is reachable" + after, Map.of("peer", id));
            if (p.everHeard) {
                out.add(new Action.PeerRejoined(id));
            }
            p.ann = null; // what it said before the silence is old: wait for a fresh announcement
            p.unreachableSince = -1;
            p.deadOrFenced = false;
            p.fenced = false;
            p.leftCleanly = false;
            p.deadReason = null;
            p.degradedReported = false;
            p.backoff = spec.timing().safetyRetryMin().toMillis();
            if (p.safetyId != 0) {
                pending.remove(p.safetyId);
                p.safetyId = 0;
            }
        }
        p.everHeard = true;
    }

    /**
     * A node that stood down takes part in decisions again once every peer is heard again or declared dead, and
     * once what it was stopping is stopped (a group whose stop failed keeps it out: it must be reset).
     */
    private void maybeEndStandDown() {
        if (!selfFenced || notDurable != null || duplicateReason != null
                || !peers.values().stream().allMatch(q -> q.reachable || q.deadOrFenced)) {
            return;
        }
        for (Group g : groups.values()) {
            if (g.state.active() && !g.maintOn) {
                return;
            }
        }
        selfFenced = false;
        for (Peer q : peers.values()) {
            if (q.reachable) {
                // Plugins that fenced themselves off (a preempted SCSI key) wait for a peer's return to register
                // again; a peer that never went silent from this side never "returns": tell them now.
                out.add(new Action.PeerRejoined(q.id));
            }
        }
        boolean allHeard = peers.values().stream().allMatch(q -> q.reachable);
        emit(EventKind.NODE_WARNING, allHeard ? Level.INFO : Level.WARNING, null, null, (allHeard ? "every peer is reachable again"
                : "every silent peer is now dead or fenced") + " and this node's groups are stopped; node " + self
                + " takes part in decisions again (it stood down: " + selfFencedReason + ")", Map.of());
    }

    private void peerUnreachable(String id, String reason) {
        Peer p = peers.get(id);
        if (p == null || !p.reachable) {
            return;
        }
        p.reachable = false;
        p.unreachableSince = now;
        if (p.ann != null && p.ann.leaving() && p.ann.groups().stream().noneMatch(GroupAnn::active)) {
            p.deadOrFenced = true;
            p.leftCleanly = true;
            p.deadReason = "it left the cluster cleanly";
            emit(EventKind.PEER_UNREACHABLE, Level.INFO, null, null, "node " + id + " left the cluster", Map.of("peer", id));
            return;
        }
        p.nextSafetyAt = now;
        emit(EventKind.PEER_UNREACHABLE, Level.WARNING, null, null, "node " + id + " is unreachable on every path ("
                + reason + ")" + (p.deadOrFenced ? "; it was fenced" : "; running the safety check"), Map.of("peer", id));
    }

    private void peerState(String id, long incarnation, Announcement a) {
        Peer p = peers.get(id);
        if (p == null) {
            return;
        }
        if (p.incarnation != incarnation) {
            peerReachable(id, incarnation);
        }
        if (p.ann != null && a.version() <= p.ann.version()) {
            return; // late copy over a slower path
        }
        if (!spec.fingerprint().equals(a.fingerprint()) && !p.fingerprintWarned) {
            p.fingerprintWarned = true;
            emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "node " + id + " runs a different configuration"
                    + " (fingerprint " + a.fingerprint() + ", ours " + spec.fingerprint() + "): it is not trusted to"
                    + " acknowledge takeovers; give every node the same configuration file", Map.of("peer", id));
        }
        p.ann = a;
        p.facts = a.facts();
        for (Group g : groups.values()) {
            GroupAnn ga = a.group(g.spec.id());
            if (ga != null) {
                if (ga.state() == LocalState.FAILED) {
                    p.failed.add(g.spec.id());
                } else {
                    p.failed.remove(g.spec.id());
                }
                if (ga.active() || ga.state() == LocalState.CLAIMING) {
                    p.mayRun.add(g.spec.id());
                } else {
                    p.mayRun.remove(g.spec.id());
                }
                adoptRegisters(g, ga);
            }
        }
    }

    private boolean trusted(Peer p) {
        return p.ann != null && spec.fingerprint().equals(p.ann.fingerprint()) && !duplicated(p) && now >= p.settleUntil;
    }

    /**
     * When a peer declared dead, but not fenced, is surely reset by its watchdog (SBD's rule): its daemon stopped
     * feeding the watchdog at the latest when it went silent, so {@code watchdog.timeout} after that, whatever it
     * left running is gone. -1 when there is nothing to wait for: no watchdog configured, the peer fenced or gone
     * cleanly, or a peer heard with nothing of this group.
     */
    private long watchdogResetBy(Peer p, Group g) {
        if (!spec.watchdog().enabled() || p.fenced || p.leftCleanly || (p.everHeard && !p.mayRun.contains(g.spec.id()))) {
            return -1;
        }
        long since = p.unreachableSince >= 0 ? p.unreachableSince : bootAt;
        return since + spec.watchdog().timeout().toMillis();
    }

    private boolean duplicated(Peer p) {
        return p.duplicateUntil >= 0 && now < p.duplicateUntil;
    }

    /** How long a restarted peer is not trusted: longer than the heartbeats' grace before they report two copies. */
    static final long RESTART_SETTLE_MS = 2_000;

    /** How long a peer heard as two copies stays untrusted after the last report of it. */
    static final long DUPLICATE_HOLD_MS = 10_000;

    private void duplicateNode(String node, long older, long newer) {
        if (node.equals(self)) {
            duplicateOfSelf(older, newer);
            return;
        }
        Peer p = peers.get(node);
        if (p == null) {
            return;
        }
        boolean first = !duplicated(p);
        p.duplicateUntil = now + DUPLICATE_HOLD_MS;
        p.duplicateNewer = newer;
        if (first) {
            emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "two copies of node " + node + " are running"
                    + " (incarnations " + older + " and " + newer + " heard at once): " + node + " is not trusted to"
                    + " start or acknowledge anything, and the newer copy is told to stand down; stop one of them"
                    + " (a node started twice, or a cloned machine)", Map.of("peer", node, "older", String.valueOf(older),
                    "newer", String.valueOf(newer)));
        }
        out.add(new Action.Send(node, new Wire.DuplicateSeen(node, older, newer)));
    }

    private void duplicateOfSelf(long older, long newer) {
        if (incarnation == 0) {
            return;
        }
        if (incarnation == newer && duplicateReason == null) {
            duplicateReason = "another copy of node " + self + " (incarnation " + older + ") was already running when"
                    + " this one (incarnation " + newer + ") started";
            standDown(duplicateReason + "; this copy is the newer one: it stands down for good; stop it");
            for (Group g : groups.values()) {
                g.ackNode = null; // it speaks for nobody
                g.ackGen = 0;
            }
        } else if (incarnation == older && !olderCopyWarned) {
            olderCopyWarned = true;
            emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "a second copy of node " + self + " (incarnation "
                    + newer + ") runs beside this one (" + older + "): it was told to stand down; stop it", Map.of());
        }
    }

    private void generationsDurable(boolean durable, String reason) {
        if (!durable) {
            // It claims and starts nothing until a write works again. It still acknowledges other nodes' claims:
            // those generations are theirs, written ahead on their disks; a node whose disk failed must not keep
            // a healthy peer from taking over.
            boolean first = notDurable == null;
            notDurable = reason;
            if (first) {
                standDown("node " + self + " cannot make its generations durable (" + reason + "): a generation a restart"
                        + " could forget must not be acted on");
            }
        } else if (notDurable != null) {
            notDurable = null;
            emit(EventKind.NODE_WARNING, Level.INFO, null, null, "node " + self + " saves its generations again", Map.of());
        }
    }

    private void reconcilePeers() {
        for (Peer p : peers.values()) {
            if (p.reachable || p.deadOrFenced || p.safetyId != 0) {
                continue;
            }
            long due = p.everHeard ? p.nextSafetyAt : Math.max(p.nextSafetyAt, bootAt + spec.timing().startupWait().toMillis());
            if (now < due) {
                continue;
            }
            long id = nextId++;
            p.safetyId = id;
            Duration to = spec.timing().safetyTimeout();
            pending.put(id, new Pending(PendingKind.SAFETY, null, null, 0, now + to.toMillis() + DEADLINE_GRACE_MS, null, null, p.id, to));
            out.add(new Action.RunSafetyCheck(id, p.id, knownMaxGeneration(), to));
        }
    }

    private void safetyDone(long id, Verdict verdict) {
        Pending pd = pending.remove(id);
        if (pd == null) {
            return;
        }
        Peer p = peers.get(pd.peer);
        if (p == null || p.safetyId != id) {
            return;
        }
        p.safetyId = 0;
        generationFloor = Math.max(generationFloor, verdict.generation());
        if (p.reachable) {
            return;
        }
        String silent = p.everHeard
                ? "every path to " + p.id + " down for " + Durations.format(Duration.ofMillis(now - p.unreachableSince))
                : p.id + " not heard since this node started " + Durations.format(Duration.ofMillis(now - bootAt)) + " ago";
        Map<String, String> d = Map.of("peer", p.id, "verdict", verdict.answer().name());
        switch (verdict.answer()) {
            case PEER_DEAD -> {
                p.deadOrFenced = true;
                p.deadReason = verdict.reason();
                emit(EventKind.SAFETY_CHECK, Level.WARNING, null, null, silent + "; " + verdict.reason()
                        + "; node " + p.id + " is dead or fenced: its groups may be taken over"
                        + (p.failed.isEmpty() ? "" : ", except " + String.join(", ", p.failed) + ", FAILED there (a stop"
                        + " failed): blocked until " + p.id + " is fenced or an operator clears it")
                        + (spec.watchdog().enabled() && !p.mayRun.isEmpty() ? " once its watchdog has reset it ("
                        + Durations.format(spec.watchdog().timeout()) + " after it went silent)" : ""), d);
            }
            case PEER_ALIVE -> {
                emit(EventKind.SAFETY_CHECK, Level.WARNING, null, null, silent + "; " + verdict.reason()
                        + "; node " + p.id + " is alive: nothing moves", d);
                if (!p.degradedReported) {
                    p.degradedReported = true;
                    emit(EventKind.CLUSTER_DEGRADED, Level.WARNING, null, null, "cluster degraded: node " + p.id
                            + " is alive but unreachable on every heartbeat path; groups stay where they are; repair"
                            + " the heartbeat paths", d);
                }
                retryLater(p);
            }
            case UNKNOWN -> {
                emit(EventKind.SAFETY_CHECK, Level.WARNING, null, null, silent + "; " + verdict.reason()
                        + "; no arbiter could tell: not taking over; asking again in "
                        + Durations.format(Duration.ofMillis(p.backoff)), d);
                retryLater(p);
            }
            case WE_LOST -> {
                emit(EventKind.SAFETY_CHECK, Level.ERROR, null, null, silent + "; " + verdict.reason()
                        + "; this node lost", d);
                standDown("lost the safety check against " + p.id + ": " + verdict.reason());
                retryLater(p);
            }
        }
    }

    private void retryLater(Peer p) {
        p.nextSafetyAt = now + p.backoff;
        p.backoff = Math.min(p.backoff * 2, spec.timing().safetyRetryMax().toMillis());
    }

    private void fenceDone(long id, ActionResult result) {
        Pending pd = pending.remove(id);
        if (pd == null) {
            return;
        }
        Peer p = peers.get(pd.peer);
        if (p == null) {
            return;
        }
        p.fenceId = 0;
        if (result.isDone()) {
            p.fenceBackoff = 0;
            p.fenced = true;
            p.failed.clear(); // what failed to stop there is stopped now
            p.deadOrFenced = true;
            p.deadReason = "fenced: " + result.reason();
            emit(EventKind.FENCE, Level.WARNING, null, null, "node " + p.id + " fenced: " + result.reason(), Map.of("peer", p.id));
        } else {
            p.fenceBackoff = p.fenceBackoff == 0 ? spec.timing().safetyRetryMin().toMillis()
                    : Math.min(p.fenceBackoff * 2, spec.timing().safetyRetryMax().toMillis());
            p.nextFenceAt = now + p.fenceBackoff;
            emit(EventKind.FENCE, Level.ERROR, null, null, "fencing node " + p.id + " failed: " + result.reason()
                    + "; its failed groups stay blocked; trying again in "
                    + Durations.format(Duration.ofMillis(p.fenceBackoff)), Map.of("peer", p.id));
        }
    }

    // ------------------------------------------------------------------ groups

    private long knownGen(Group g) {
        long k = Math.max(Math.max(Math.max(g.gen, g.claimGen), g.ackGen), g.floor);
        for (Peer p : peers.values()) {
            if (p.ann != null) {
                GroupAnn a = p.ann.group(g.spec.id());
                if (a != null) {
                    k = Math.max(k, Math.max(a.gen(), a.ackGen()));
                }
            }
        }
        return k;
    }

    private long knownMaxGeneration() {
        long k = 0;
        for (Group g : groups.values()) {
            k = Math.max(k, knownGen(g));
        }
        return k;
    }

    private GroupAnn ann(Peer p, Group g) {
        return p.ann == null ? null : p.ann.group(g.spec.id());
    }

    /** Last-writer-wins registers (maintenance, clear) travel with announcements. */
    private void adoptRegisters(Group g, GroupAnn a) {
        if (a.maintVer() > g.maintVer || (a.maintVer() == g.maintVer && a.maintNode() != null && g.maintNode != null
                && a.maintNode().compareTo(g.maintNode) > 0)) {
            boolean was = g.maintOn;
            g.maintVer = a.maintVer();
            g.maintNode = a.maintNode();
            g.maintOn = a.maintOn();
            if (was != g.maintOn) {
                emit(EventKind.MAINTENANCE, Level.WARNING, g.spec.id(), null, "group " + g.spec.id()
                        + (g.maintOn ? " is in maintenance (unmanaged)" : " is managed again") + ", set on " + a.maintNode(), Map.of());
            }
        }
        if (a.clearVer() > g.clearVer) {
            g.clearVer = a.clearVer();
            applyClear(g);
        }
    }

    private void applyClear(Group g) {
        boolean any = g.blocked || g.fatal || g.state == LocalState.FAILED;
        for (Peer p : peers.values()) {
            if (!p.reachable && p.failed.remove(g.spec.id())) {
                any = true; // the operator says what failed to stop on that silent node is stopped
            }
        }
        g.blocked = false;
        g.blockedReason = null;
        g.fatal = false;
        for (Res r : g.res.values()) {
            r.failures.clear();
            r.failing = false;
        }
        if (g.state == LocalState.FAILED) {
            // The resources may still run here: stop them again; the group is offline only once that works.
            emit(EventKind.GROUP_STATE, Level.WARNING, g.spec.id(), null, "group " + g.spec.id() + " cleared on " + self
                    + " after a failed stop: stopping it again before anyone may start it", Map.of());
            beginStop(g, StopReason.CLEARED);
        }
        if (any) {
            emit(EventKind.GROUP_STATE, Level.INFO, g.spec.id(), null, "failures of group " + g.spec.id() + " cleared on " + self, Map.of());
        }
    }

    private boolean anyFatal(Group g) {
        if (g.fatal) {
            return true;
        }
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (p.reachable && a != null && a.fatal()) {
                return true;
            }
        }
        return false;
    }

    private boolean eligible(Group g, String n) {
        if (n.equals(self)) {
            return booted && !g.blocked && !selfFenced && !shuttingDown && quorate();
        }
        Peer p = peers.get(n);
        if (p == null || p.deadOrFenced || !p.reachable || !trusted(p) || p.ann.leaving() || p.ann.standingDown()) {
            return false;
        }
        GroupAnn a = ann(p, g);
        return a != null && !a.blocked() && a.state() != LocalState.FAILED && a.state() != LocalState.UNKNOWN;
    }

    /** The highest generation anyone has held (claims do not count: they are only requests). */
    private long heldGen(Group g) {
        long k = Math.max(g.gen, g.floor);
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (a != null && a.state() != LocalState.CLAIMING) {
                k = Math.max(k, a.gen());
            }
        }
        return k;
    }

    /** The handoff target of the latest planned release, if no generation was held since. */
    private String latestHandoff(Group g) {
        long k = heldGen(g);
        if (g.state == LocalState.OFFLINE && g.handoff != null && g.gen == k) {
            return g.handoff;
        }
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (p.reachable && a != null && a.state() == LocalState.OFFLINE && a.handoff() != null && a.gen() == k) {
                return a.handoff();
            }
        }
        return null;
    }

    private String target(Group g) {
        String h = latestHandoff(g);
        if (h != null && eligible(g, h)) {
            return h;
        }
        return firstEligible(g);
    }

    private int precedence(Group g, String node, String handoff) {
        return node.equals(handoff) ? -1 : g.spec.priority(node);
    }

    /** Where the group is active (as far as this node knows): itself, a reachable peer, or null. */
    private String holder(Group g) {
        if (g.state == LocalState.ONLINE || g.state == LocalState.RECOVERING || g.state == LocalState.STARTING) {
            return self;
        }
        String best = null;
        long bestGen = -1;
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (p.reachable && a != null && (a.state() == LocalState.ONLINE || a.state() == LocalState.RECOVERING
                    || a.state() == LocalState.STARTING) && a.gen() > bestGen) {
                best = p.id;
                bestGen = a.gen();
            }
        }
        return best;
    }

    /** Why this node may not claim the group now, or null if it may. */
    private String claimBlocker(Group g) {
        if (!booted || shuttingDown) {
            return "node not running";
        }
        if (selfFenced) {
            return "this node stood down";
        }
        if (notDurable != null) {
            return "its generations cannot be saved: " + notDurable;
        }
        if (g.blocked) {
            return "blocked on this node: " + g.blockedReason;
        }
        if (anyFatal(g)) {
            return "a configuration error stops it everywhere";
        }
        if (g.maintOn) {
            return "in maintenance";
        }
        if (!quorate()) {
            return "no quorum";
        }
        String t = target(g);
        if (!self.equals(t)) {
            return t == null ? "no eligible node" : t + " is the target";
        }
        String handoff = latestHandoff(g);
        for (String n : g.spec.nodes()) {
            if (n.equals(self)) {
                continue;
            }
            Peer p = peers.get(n);
            if (p.deadOrFenced) {
                if (p.failed.contains(g.spec.id()) && !p.fenced) {
                    return n + " was last heard with " + g.spec.id() + " FAILED (a stop failed there) and is not fenced:"
                            + " waiting until it is fenced or an operator clears " + g.spec.id();
                }
                long resetBy = watchdogResetBy(p, g);
                if (resetBy > now) {
                    return n + " is declared dead but not fenced: waiting " + Durations.format(Duration.ofMillis(resetBy - now))
                            + " more for its watchdog to reset it";
                }
                continue;
            }
            if (!p.reachable) {
                return n + " is silent and not declared dead";
            }
            if (duplicated(p)) {
                return "two copies of " + n + " are running";
            }
            GroupAnn a = ann(p, g);
            if (a == null || !trusted(p)) {
                return n + "'s state is not known yet";
            }
            if (a.active()) {
                return n + " holds it (" + a.state() + ")";
            }
            if (a.state() == LocalState.CLAIMING && precedence(g, n, handoff) < precedence(g, self, handoff)) {
                return n + " claims it with precedence";
            }
        }
        return null;
    }

    private boolean reconcile(Group g) {
        String id = g.spec.id();
        switch (g.state) {
            case UNKNOWN -> {
                beginStop(g, StopReason.CLEANUP);
                return true;
            }
            case OFFLINE -> {
                if (claimBlocker(g) == null) {
                    g.claimGen = Math.max(knownGen(g), generationFloor) + 1;
                    // What was held before (a claim this node acknowledged counts: its claimer may have started
                    // it unseen), captured before this node's own acknowledgement is dropped.
                    g.prevGen = Math.max(heldGen(g), g.ackGen);
                    g.ackNode = null;
                    g.ackGen = 0;
                    setState(g, LocalState.CLAIMING, "claiming generation " + g.claimGen);
                    emit(EventKind.GROUP_CLAIMED, Level.INFO, id, null, self + " claims group " + id + " for generation "
                            + g.claimGen, Map.of("generation", String.valueOf(g.claimGen)));
                    return true;
                }
                updateAck(g);
                maybeFence(g);
                return false;
            }
            case CLAIMING -> {
                if (g.claimGen <= heldGen(g)) {
                    withdraw(g, "generation " + g.claimGen + " was already held elsewhere");
                    return true;
                }
                String why = claimBlocker(g);
                if (why != null) {
                    withdraw(g, why);
                    return true;
                }
                if (allAcked(g)) {
                    beginStart(g);
                    return true;
                }
                return false;
            }
            case ONLINE -> {
                if (g.maintOn) {
                    return false;
                }
                String higher = higherGenerationElsewhere(g);
                if (higher != null) {
                    emit(EventKind.STAND_DOWN, Level.ERROR, id, null, "group " + id + " runs on " + higher
                            + " at a higher generation than ours (" + g.gen + "): stopping it here at once", Map.of());
                    beginStop(g, StopReason.LOST_GENERATION);
                    return true;
                }
                return maybeSwitchback(g);
            }
            case STARTING, RECOVERING -> {
                String higher = higherGenerationElsewhere(g);
                if (higher != null && g.stopAfter == null) {
                    g.stopAfter = StopReason.LOST_GENERATION;
                }
                return false;
            }
            case STOPPING, FAILED -> {
                return false;
            }
        }
        return false;
    }

    private String higherGenerationElsewhere(Group g) {
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (p.reachable && a != null && a.active() && a.state() != LocalState.STOPPING && a.gen() > g.gen) {
                return p.id;
            }
        }
        return null;
    }

    private void withdraw(Group g, String why) {
        setState(g, LocalState.OFFLINE, "claim withdrawn: " + why);
        emit(EventKind.GROUP_CLAIMED, Level.INFO, g.spec.id(), null, self + " withdraws its claim on group " + g.spec.id()
                + ": " + why, Map.of());
        g.claimGen = 0;
        updateAck(g);
    }

    private boolean allAcked(Group g) {
        for (String n : g.spec.nodes()) {
            if (n.equals(self)) {
                continue;
            }
            Peer p = peers.get(n);
            if (p.deadOrFenced) {
                continue;
            }
            GroupAnn a = ann(p, g);
            if (!p.reachable || a == null || a.active() || !self.equals(a.ackNode()) || a.ackGen() != g.claimGen) {
                return false;
            }
        }
        return true;
    }

    private void updateAck(Group g) {
        if (g.state != LocalState.OFFLINE) {
            return;
        }
        if (duplicateReason != null) {
            // the newer copy of a node that already runs: its acknowledgements would speak for the other copy
            g.ackNode = null;
            g.ackGen = 0;
            return;
        }
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (p.reachable && !p.deadOrFenced && a != null && a.active()) {
                // This node still hears p holding the group: whoever claims it (their arbiter may be wrong) gets
                // no acknowledgement from here.
                return;
            }
        }
        String handoff = latestHandoff(g);
        boolean handoffValid = handoff != null && eligible(g, handoff);
        String best = null;
        long bestGen = 0;
        int bestPrec = Integer.MAX_VALUE;
        long known = heldGen(g);
        for (Peer p : peers.values()) {
            GroupAnn a = ann(p, g);
            if (!p.reachable || p.deadOrFenced || !trusted(p) || a == null || a.state() != LocalState.CLAIMING
                    || a.gen() <= known || g.spec.priority(p.id) < 0) {
                continue;
            }
            if (handoffValid && !p.id.equals(handoff)) {
                continue;
            }
            int prec = precedence(g, p.id, handoffValid ? handoff : null);
            if (prec < bestPrec || (prec == bestPrec && a.gen() > bestGen)) {
                best = p.id;
                bestGen = a.gen();
                bestPrec = prec;
            }
        }
        if (best != null && (!best.equals(g.ackNode) || bestGen != g.ackGen)) {
            g.ackNode = best;
            g.ackGen = bestGen;
        }
    }

    private void maybeFence(Group g) {
        if (!canFence || !self.equals(firstEligible(g))) {
            return;
        }
        for (String n : g.spec.nodes()) {
            Peer p = peers.get(n);
            if (p == null || p.fenced || p.fenceId != 0 || now < p.nextFenceAt) {
                continue;
            }
            GroupAnn a = ann(p, g);
            // a reachable node says FAILED; a silent one declared dead was last heard FAILED (it may still run it)
            boolean failedThere = p.reachable ? !p.deadOrFenced && a != null && a.state() == LocalState.FAILED
                    : p.deadOrFenced && p.failed.contains(g.spec.id());
            if (failedThere) {
                long id = nextId++;
                p.fenceId = id;
                Duration to = spec.timing().fenceTimeout();
                pending.put(id, new Pending(PendingKind.FENCE, g.spec.id(), null, 0, now + to.toMillis() + DEADLINE_GRACE_MS, null, null, n, to));
                emit(EventKind.FENCE, Level.WARNING, g.spec.id(), null, "group " + g.spec.id() + " failed to stop on " + n
                        + ": fencing " + n + " so that it can run here", Map.of("peer", n));
                out.add(new Action.FencePeer(id, n, to));
            }
        }
    }

    /** The first node of the group's priority list that may run it now, or null. */
    private String firstEligible(Group g) {
        for (String n : g.spec.nodes()) {
            if (eligible(g, n)) {
                return n;
            }
        }
        return null;
    }

    private boolean maybeSwitchback(Group g) {
        if (g.spec.switchback() != SwitchbackPolicy.AUTOMATIC || g.byAdmin) {
            g.switchbackCandidate = null;
            return false;
        }
        String pref = null;
        for (String n : g.spec.nodes()) {
            if (n.equals(self)) {
                break;
            }
            if (eligible(g, n)) {
                pref = n;
                break;
            }
        }
        if (pref == null) {
            g.switchbackCandidate = null;
            return false;
        }
        if (!pref.equals(g.switchbackCandidate)) {
            g.switchbackCandidate = pref;
            g.switchbackSince = now;
            return false;
        }
        if (now - g.switchbackSince < g.spec.settle().toMillis()) {
            return false;
        }
        g.switchbackCandidate = null;
        emit(EventKind.SWITCHOVER_STARTED, Level.INFO, g.spec.id(), null, "automatic switchback of group " + g.spec.id()
                + " to " + pref + " (available for " + Durations.format(g.spec.settle()) + ")", Map.of("target", pref));
        g.handoff = pref;
        beginStop(g, StopReason.SWITCHBACK);
        return true;
    }

    // ------------------------------------------------------------------ start / stop sequences

    private void beginStart(Group g) {
        String id = g.spec.id();
        String handoff = latestHandoff(g);
        long prevGen = Math.max(heldGen(g), g.prevGen);
        g.byAdmin = self.equals(handoff);
        boolean heldHereLast = g.gen > 0 && g.gen == prevGen; // restarting what this node itself held
        boolean someoneGaveUp = !takeoverReasons(g).isEmpty();
        g.transition = self.equals(handoff) ? "switchover" : prevGen > 0 && !heldHereLast && someoneGaveUp ? "failover" : "start";
        g.transitionAt = now;
        g.gen = g.claimGen;
        g.claimGen = 0;
        g.handoff = null;
        g.ackNode = null;
        g.ackGen = 0;
        g.stopAfter = null;
        g.epoch++;
        g.seq = 0;
        setState(g, LocalState.STARTING, "starting, generation " + g.gen);
        if (g.transition.equals("failover")) {
            emit(EventKind.FAILOVER_STARTED, Level.WARNING, id, null, "taking over group " + id + ", generation " + g.gen
                    + " (was " + prevGen + ")" + takeoverReasons(g), Map.of("generation", String.valueOf(g.gen)));
        }
        startNext(g);
    }

    private String takeoverReasons(Group g) {
        StringBuilder sb = new StringBuilder();
        for (String n : g.spec.nodes()) {
            Peer p = peers.get(n);
            if (p != null && p.deadOrFenced) {
                sb.append("; ").append(n).append(": ").append(p.deadReason);
            } else if (p != null) {
                GroupAnn a = ann(p, g);
                if (a != null && a.blocked()) {
                    sb.append("; ").append(n).append(" gave it up");
                }
            }
        }
        return sb.toString();
    }

    private void startNext(Group g) {
        if (g.stopAfter != null) {
            StopReason r = g.stopAfter;
            g.stopAfter = null;
            beginStop(g, r);
            return;
        }
        if (g.seq >= g.spec.resources().size()) {
            setState(g, LocalState.ONLINE, "online, generation " + g.gen);
            long took = now - g.transitionAt;
            String id = g.spec.id();
            Map<String, String> d = Map.of("generation", String.valueOf(g.gen), "durationMs", String.valueOf(took));
            switch (g.transition) {
                case "failover" -> emit(EventKind.FAILOVER_FINISHED, Level.WARNING, id, null, "group " + id
                        + " is online on " + self + " after failover in " + took + " ms, generation " + g.gen, d);
                case "switchover" -> emit(EventKind.SWITCHOVER_FINISHED, Level.INFO, id, null, "group " + id
                        + " is online on " + self + " after switchover, generation " + g.gen, d);
                default -> { } // setState reported it
            }
            return;
        }
        Res r = g.resAt(g.seq);
        issueResource(g, r, ResourceOp.START, r.spec.startTimeout(), null);
    }

    private void issueResource(Group g, Res r, ResourceOp op, Duration timeout, CheckResult cause) {
        long id = nextId++;
        g.seqId = id;
        pending.put(id, new Pending(PendingKind.RESOURCE, g.spec.id(), r.spec.id(), g.epoch,
                now + timeout.toMillis() + DEADLINE_GRACE_MS, op, null, null, timeout));
        out.add(new Action.RunResource(id, op, g.spec.id(), r.spec.id(), g.gen, timeout, cause));
    }

    /** Stop now, or after the action in flight when starting or recovering. */
    private void requestStop(Group g, StopReason reason) {
        switch (g.state) {
            case ONLINE -> beginStop(g, reason);
            case STARTING, RECOVERING -> g.stopAfter = reason;
            case CLAIMING -> withdraw(g, reason.name().toLowerCase().replace('_', ' '));
            case UNKNOWN, OFFLINE, STOPPING, FAILED -> { }
        }
    }

    private void beginStop(Group g, StopReason reason) {
        g.stopReason = reason;
        g.stopAfter = null;
        g.epoch++;
        g.seq = g.spec.resources().size() - 1;
        g.transitionAt = now;
        for (Res r : g.res.values()) {
            r.quickId = 0;
            r.deepId = 0;
            r.nextQuick = Long.MAX_VALUE;
            r.nextDeep = Long.MAX_VALUE;
        }
        setState(g, LocalState.STOPPING, "stopping: " + describe(reason));
        stopNext(g);
    }

    private static String describe(StopReason r) {
        return switch (r) {
            case CLEANUP -> "clean-up at start";
            case CLEARED -> "stopping again after the operator cleared a failed stop";
            case SWITCHOVER -> "switchover";
            case SWITCHBACK -> "switchback";
            case FAILOVER -> "failing over";
            case START_FAILED -> "start failed";
            case STAND_DOWN -> "standing down";
            case LOST_GENERATION -> "another node holds a newer generation";
            case SHUTDOWN -> "node shutting down";
            case QUORUM -> "quorum is lost";
        };
    }

    private void stopNext(Group g) {
        if (g.seq < 0) {
            finishStop(g);
            return;
        }
        Res r = g.resAt(g.seq);
        issueResource(g, r, ResourceOp.STOP, r.spec.stopTimeout(), null);
    }

    private void finishStop(Group g) {
        String id = g.spec.id();
        StopReason reason = g.stopReason;
        setState(g, LocalState.OFFLINE, reason == StopReason.CLEANUP ? "offline" : "offline after " + describe(reason));
        g.byAdmin = false;
        switch (reason) {
            case CLEANUP -> { }
            case SWITCHOVER, SWITCHBACK -> emit(EventKind.GROUP_STATE, Level.INFO, id, null, "group " + id
                    + " stopped on " + self + " in " + (now - g.transitionAt) + " ms; handing it to " + g.handoff, Map.of());
            case FAILOVER, START_FAILED -> {
                String next = target(g);
                emit(EventKind.FAILOVER_STARTED, Level.ERROR, id, null, "group " + id + " left " + self + " ("
                        + g.blockedReason + "); " + (next == null ? "no other node can run it now" : "next node: " + next),
                        Map.of());
            }
            default -> emit(EventKind.GROUP_STATE, Level.WARNING, id, null, "group " + id + " stopped on " + self
                    + ": " + describe(reason), Map.of());
        }
        if (reason != StopReason.SWITCHOVER && reason != StopReason.SWITCHBACK) {
            g.handoff = null;
        }
        updateAck(g);
    }

    private void actionDone(long id, ActionResult result) {
        Pending pd = pending.remove(id);
        if (pd == null || pd.kind != PendingKind.RESOURCE) {
            return;
        }
        Group g = groups.get(pd.group);
        if (g == null || pd.epoch != g.epoch || g.seqId != id) {
            return;
        }
        Res r = g.res.get(pd.resource);
        String gid = g.spec.id();
        Map<String, String> d = Map.of("durationMs", String.valueOf(result.duration().toMillis()), "outcome", result.outcome().name());
        switch (pd.op) {
            case START -> {
                if (result.isDone()) {
                    r.running = true;
                    r.nextQuick = now + r.spec.quickInterval().toMillis();
                    r.nextDeep = now + r.spec.deepInterval().toMillis();
                    r.failing = false;
                    emit(EventKind.RESOURCE_STARTED, Level.INFO, gid, r.spec.id(), "started " + r.spec.id() + ": " + result.reason(), d);
                    g.seq++;
                    startNext(g);
                } else {
                    emit(EventKind.RESOURCE_START_FAILED, Level.ERROR, gid, r.spec.id(), "start of " + r.spec.id()
                            + " failed on " + self + ": " + result.reason() + tail(result.output()), d);
                    block(g, "start of " + r.spec.id() + " failed: " + result.reason(), result.severity());
                    beginStop(g, StopReason.START_FAILED);
                }
            }
            case STOP -> {
                if (result.isDone()) {
                    r.running = false;
                    if (g.stopReason != StopReason.CLEANUP) {
                        emit(EventKind.RESOURCE_STOPPED, Level.INFO, gid, r.spec.id(), "stopped " + r.spec.id(), d);
                    }
                    g.seq--;
                    stopNext(g);
                } else {
                    if (g.stopReason == StopReason.STAND_DOWN || g.stopReason == StopReason.LOST_GENERATION
                            || g.stopReason == StopReason.QUORUM || g.stopReason == StopReason.SHUTDOWN) {
                        // Another node may take this group now: this node must stop touching it, whatever it takes.
                        resetReason = "cannot stop group " + gid + " (" + r.spec.id() + ": " + result.reason() + ") while "
                                + describe(g.stopReason);
                        emit(EventKind.STAND_DOWN, Level.ERROR, gid, r.spec.id(), resetReason + (spec.watchdog().enabled()
                                ? "; letting the watchdog reset this node" : "; no watchdog is configured: reset this node by hand"), Map.of());
                    }
                    setState(g, LocalState.FAILED, "stop of " + r.spec.id() + " failed: " + result.reason());
                    emit(EventKind.RESOURCE_STOP_FAILED, Level.ERROR, gid, r.spec.id(), "stop of " + r.spec.id()
                            + " failed on " + self + ": " + result.reason() + "; group " + gid + " is FAILED here and will"
                            + " not start elsewhere until " + self + " is fenced or an operator clears it"
                            + tail(result.output()), d);
                    for (Waiter w : g.waiters) {
                        complete(w.commandId, CommandResult.refused("stop of " + r.spec.id() + " failed on " + self
                                + ": " + result.reason() + "; the group is FAILED"));
                    }
                    g.waiters.clear();
                }
            }
            case RECOVER -> {
                if (result.isDone()) {
                    setState(g, LocalState.ONLINE, "online, generation " + g.gen + " (recovered " + r.spec.id() + ")");
                    r.nextQuick = now + r.spec.quickInterval().toMillis();
                    r.nextDeep = now + r.spec.deepInterval().toMillis();
                    r.running = true;
                    emit(EventKind.RECOVERY_SUCCEEDED, Level.WARNING, gid, r.spec.id(), "local recovery of " + r.spec.id()
                            + " worked in " + result.duration().toMillis() + " ms: " + result.reason(), d);
                    if (g.stopAfter != null) {
                        StopReason sr = g.stopAfter;
                        g.stopAfter = null;
                        beginStop(g, sr);
                    }
                } else {
                    emit(EventKind.RECOVERY_FAILED, Level.ERROR, gid, r.spec.id(), "local recovery of " + r.spec.id()
                            + " failed: " + result.reason() + "; failing over" + tail(result.output()), d);
                    block(g, "local recovery of " + r.spec.id() + " failed", result.severity());
                    beginStop(g, StopReason.FAILOVER);
                }
            }
        }
    }

    private static String tail(List<String> output) {
        if (output.isEmpty()) {
            return "";
        }
        return "; output: " + String.join(" | ", output.subList(Math.max(0, output.size() - 3), output.size()));
    }

    private void block(Group g, String reason, Severity severity) {
        g.blocked = true;
        g.blockedReason = reason;
        if (severity == Severity.FATAL) {
            g.fatal = true;
            emit(EventKind.GROUP_STATE, Level.ERROR, g.spec.id(), null, "group " + g.spec.id() + " has a configuration"
                    + " error and will run nowhere until it is fixed and cleared: " + reason, Map.of());
        }
    }

    // ------------------------------------------------------------------ checks

    private void runDueChecks() {
        for (Group g : groups.values()) {
            if (g.state != LocalState.ONLINE) {
                continue;
            }
            for (Res r : g.res.values()) {
                if (r.quickId == 0 && now >= r.nextQuick) {
                    r.quickId = issueCheck(g, r, CheckKind.QUICK, r.spec.quickTimeout());
                }
                if (r.deepId == 0 && now >= r.nextDeep) {
                    r.deepId = issueCheck(g, r, CheckKind.DEEP, r.spec.deepTimeout());
                }
            }
        }
    }

    private long issueCheck(Group g, Res r, CheckKind kind, Duration timeout) {
        long id = nextId++;
        pending.put(id, new Pending(PendingKind.CHECK, g.spec.id(), r.spec.id(), g.epoch,
                now + timeout.toMillis() + DEADLINE_GRACE_MS, null, kind, null, timeout));
        out.add(new Action.RunCheck(id, kind, g.spec.id(), r.spec.id(), g.gen, timeout));
        return id;
    }

    private void checkDone(long id, CheckResult result) {
        Pending pd = pending.remove(id);
        if (pd == null || pd.kind != PendingKind.CHECK) {
            return;
        }
        Group g = groups.get(pd.group);
        if (g == null || pd.epoch != g.epoch) {
            return;
        }
        Res r = g.res.get(pd.resource);
        if (pd.check == CheckKind.QUICK) {
            r.quickId = 0;
            r.nextQuick = now + r.spec.quickInterval().toMillis();
        } else {
            r.deepId = 0;
            r.nextDeep = now + r.spec.deepInterval().toMillis();
        }
        r.last = result;
        r.lastAt = now;
        String gid = g.spec.id();
        String kind = pd.check == CheckKind.QUICK ? "quick" : "deep";
        if (result.healthy()) {
            if (r.failing) {
                r.failing = false;
                emit(EventKind.CHECK_RECOVERED, Level.INFO, gid, r.spec.id(), kind + " check of " + r.spec.id() + " passes again", Map.of());
            }
            return;
        }
        if (g.state != LocalState.ONLINE) {
            return;
        }
        r.failing = true;
        Map<String, String> d = Map.of("check", kind, "health", result.health().name(), "severity", result.severity().name());
        if (g.maintOn) {
            emit(EventKind.CHECK_FAILED, Level.WARNING, gid, r.spec.id(), kind + " check of " + r.spec.id() + " failed: "
                    + result.reason() + " (group in maintenance: no action)", d);
            return;
        }
        emit(EventKind.CHECK_FAILED, Level.WARNING, gid, r.spec.id(), kind + " check of " + r.spec.id() + " failed on "
                + self + ": " + result.reason() + tail(result.output()), d);
        if (result.severity() != Severity.SOFT) {
            block(g, kind + " check of " + r.spec.id() + " failed (" + result.severity().name().toLowerCase()
                    + "): " + result.reason(), result.severity());
            beginStop(g, StopReason.FAILOVER);
            return;
        }
        long window = g.spec.recoveryWindow().toMillis();
        while (!r.failures.isEmpty() && now - r.failures.peekFirst() >= window) {
            r.failures.removeFirst();
        }
        if (r.failures.size() >= g.spec.maxRecoveries()) {
            block(g, "local recovery limit reached for " + r.spec.id() + ": " + r.failures.size() + " attempts in "
                    + Durations.format(g.spec.recoveryWindow()), Severity.SOFT);
            beginStop(g, StopReason.FAILOVER);
            return;
        }
        r.failures.addLast(now);
        g.epoch++; // results of other checks in flight no longer count
        for (Res o : g.res.values()) {
            o.quickId = 0;
            o.deepId = 0;
        }
        setState(g, LocalState.RECOVERING, "recovering " + r.spec.id());
        emit(EventKind.RECOVERY_ATTEMPTED, Level.WARNING, gid, r.spec.id(), "recovering " + r.spec.id() + " locally (attempt "
                + r.failures.size() + " of " + g.spec.maxRecoveries() + " in " + Durations.format(g.spec.recoveryWindow()) + ")", d);
        issueResource(g, r, ResourceOp.RECOVER, r.spec.recoverTimeout(), result);
    }

    private void expireDeadlines() {
        List<Map.Entry<Long, Pending>> due = new ArrayList<>();
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            if (now >= e.getValue().deadline) {
                due.add(e);
            }
        }
        due.sort(Map.Entry.comparingByKey());
        for (Map.Entry<Long, Pending> e : due) {
            Pending p = e.getValue();
            switch (p.kind) {
                case RESOURCE -> actionDone(e.getKey(), ActionResult.timeout(p.timeout));
                case CHECK -> checkDone(e.getKey(), CheckResult.timeout(p.timeout));
                case SAFETY -> safetyDone(e.getKey(), Verdict.of(Verdict.Answer.UNKNOWN, "the safety check did not answer within "
                        + Durations.format(p.timeout)));
                case FENCE -> fenceDone(e.getKey(), ActionResult.timeout(p.timeout));
            }
        }
    }

    // ------------------------------------------------------------------ commands

    private void command(Input.Command c) {
        Group g = groups.get(c.group());
        if (g == null) {
            refuse(c.id(), "no group named '" + c.group() + "'; groups: " + String.join(", ", groups.keySet()));
            return;
        }
        if (!booted) {
            refuse(c.id(), "node " + self + " is not running");
            return;
        }
        if (shuttingDown && (c.kind() == Input.Command.Kind.SWITCHOVER || c.kind() == Input.Command.Kind.SWITCHBACK)) {
            // (clear and maintenance still work: a node kept up by a group that failed to stop is cleared here)
            refuse(c.id(), "node " + self + " is shutting down; give the command on another node");
            return;
        }
        switch (c.kind()) {
            case SWITCHOVER -> switchover(c.id(), g, c.target(), "switchover");
            case SWITCHBACK -> {
                String pref = firstEligible(g);
                if (pref == null) {
                    refuse(c.id(), "no node can take group " + g.spec.id() + " now");
                } else {
                    switchover(c.id(), g, pref, "switchback");
                }
            }
            case MAINTENANCE_ON, MAINTENANCE_OFF -> {
                String unknown = registersUnknown();
                if (unknown != null) {
                    refuse(c.id(), unknown);
                    return;
                }
                boolean on = c.kind() == Input.Command.Kind.MAINTENANCE_ON;
                long v = g.maintVer;
                for (Peer p : peers.values()) {
                    GroupAnn a = ann(p, g);
                    if (a != null) {
                        v = Math.max(v, a.maintVer());
                    }
                }
                g.maintVer = v + 1;
                g.maintNode = self;
                boolean was = g.maintOn;
                g.maintOn = on;
                if (was != on) {
                    emit(EventKind.MAINTENANCE, Level.WARNING, g.spec.id(), null, "group " + g.spec.id()
                            + (on ? " put in maintenance: the cluster no longer starts, stops or recovers it; checks still report"
                                  : " is managed again"), Map.of());
                }
                complete(c.id(), CommandResult.ok("group " + g.spec.id() + (on ? " is in maintenance" : " is managed again"), Duration.ZERO));
            }
            case CLEAR -> {
                String unknown = registersUnknown();
                if (unknown != null) {
                    refuse(c.id(), unknown);
                    return;
                }
                long v = g.clearVer;
                for (Peer p : peers.values()) {
                    GroupAnn a = ann(p, g);
                    if (a != null) {
                        v = Math.max(v, a.clearVer());
                    }
                }
                g.clearVer = v + 1;
                applyClear(g);
                complete(c.id(), CommandResult.ok("failures of group " + g.spec.id() + " cleared on every reachable node", Duration.ZERO));
            }
        }
    }

    /**
     * Why this node cannot set a register (maintenance, clear) now, or null: it must know its peers' versions first,
     * or its write would lose against a higher one it has not seen and be undone after it was answered "done".
     */
    private String registersUnknown() {
        for (Peer p : peers.values()) {
            boolean waiting = p.reachable ? p.ann == null
                    : !p.everHeard && !p.deadOrFenced && now - bootAt < spec.timing().startupWait().toMillis();
            if (waiting) {
                return "node " + self + " does not know " + p.id + "'s state yet (it started "
                        + Durations.format(Duration.ofMillis(now - bootAt)) + " ago); try again in a few seconds, or give"
                        + " the command on another node";
            }
        }
        return null;
    }

    private void switchover(long cmdId, Group g, String target, String what) {
        String gid = g.spec.id();
        if (target == null || g.spec.priority(target) < 0) {
            refuse(cmdId, "node '" + target + "' may not run group " + gid + "; its nodes are " + g.spec.nodes());
            return;
        }
        if (g.maintOn) {
            refuse(cmdId, "group " + gid + " is in maintenance; take it out of maintenance first");
            return;
        }
        String holder = holder(g);
        if (holder == null) {
            refuse(cmdId, "group " + gid + " is not online anywhere (here: " + g.state + "); nothing to move");
            return;
        }
        if (holder.equals(target)) {
            refuse(cmdId, "group " + gid + " already runs on " + target);
            return;
        }
        if (!eligible(g, target)) {
            refuse(cmdId, cannotTake(g, target));
            return;
        }
        Waiter w = new Waiter(cmdId, target, knownGen(g), now, now + spec.timing().commandTimeout().toMillis());
        if (holder.equals(self)) {
            if (g.state != LocalState.ONLINE) {
                refuse(cmdId, "group " + gid + " is " + g.state + " here; try again when it is online");
                return;
            }
            g.waiters.add(w);
            startSwitchover(g, target, what);
        } else {
            remoteCommands.put(cmdId, w);
            remoteGroup.put(cmdId, gid);
            out.add(new Action.Send(holder, new Wire.SwitchoverRequest(cmdId, gid, target)));
            emit(EventKind.SWITCHOVER_STARTED, Level.INFO, gid, null, what + " of group " + gid + " to " + target
                    + " requested from " + holder, Map.of("target", target));
        }
    }

    /** Why {@code node} may not take the group now, for a refused command. */
    private String cannotTake(Group g, String node) {
        Peer p = peers.get(node);
        if (p != null && p.reachable && now < p.settleUntil) {
            return "node " + node + " restarted moments ago and is trusted again in "
                    + Durations.format(Duration.ofMillis(p.settleUntil - now)) + "; try again then";
        }
        return "node " + node + " cannot take group " + g.spec.id() + " now (unreachable, blocked or standing down)";
    }

    private void startSwitchover(Group g, String target, String what) {
        emit(EventKind.SWITCHOVER_STARTED, Level.INFO, g.spec.id(), null, what + " of group " + g.spec.id() + " from "
                + self + " to " + target + ": stopping it here (top-down)", Map.of("target", target));
        g.handoff = target;
        beginStop(g, what.equals("switchback") ? StopReason.SWITCHBACK : StopReason.SWITCHOVER);
    }

    private void peerMessage(String peer, Wire.Message m) {
        if (m instanceof Wire.SwitchoverRequest r) {
                Group g = groups.get(r.group());
                String problem = null;
                if (g == null) {
                    problem = "no group named '" + r.group() + "' on " + self;
                } else if (g.state != LocalState.ONLINE) {
                    problem = "group " + r.group() + " is " + g.state + " on " + self;
                } else if (g.maintOn) {
                    problem = "group " + r.group() + " is in maintenance";
                } else if (!eligible(g, r.target())) {
                    problem = cannotTake(g, r.target());
                }
                if (problem != null) {
                    out.add(new Action.Send(peer, new Wire.CommandReply(r.requestId(), false, problem)));
                } else {
                    out.add(new Action.Send(peer, new Wire.CommandReply(r.requestId(), true, "stopping")));
                    startSwitchover(g, r.target(), "switchover");
                }
        } else if (m instanceof Wire.DuplicateSeen d) {
            if (d.node().equals(self)) {
                duplicateOfSelf(d.older(), d.newer());
            }
        } else if (m instanceof Wire.CommandReply r) {
                if (!r.accepted() && remoteCommands.remove(r.requestId()) != null) {
                    remoteGroup.remove(r.requestId());
                    refuse(r.requestId(), r.message());
                }
        }
    }

    private void finishWaiters() {
        for (Group g : groups.values()) {
            for (var it = g.waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (settle(w, g)) {
                    it.remove();
                }
            }
        }
        for (var it = remoteCommands.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Group g = groups.get(remoteGroup.get(e.getKey()));
            if (g == null || settle(e.getValue(), g)) {
                it.remove();
                remoteGroup.remove(e.getKey());
            }
        }
    }

    /** The group of each command forwarded to another node, by command id. */
    private final Map<Long, String> remoteGroup = new HashMap<>();

    /** Completes a waiter when the group is online on a newer generation, or its deadline passed. */
    private boolean settle(Waiter w, Group g) {
        String holder = holder(g);
        long gen = holder == null ? 0 : holder.equals(self) ? g.gen : ann(peers.get(holder), g).gen();
        boolean onlineSomewhere = holder != null && (holder.equals(self) ? g.state == LocalState.ONLINE
                : ann(peers.get(holder), g).state() == LocalState.ONLINE);
        if (onlineSomewhere && gen > w.sinceGen) {
            Duration took = Duration.ofMillis(now - w.startedAt);
            if (holder.equals(w.target)) {
                complete(w.commandId, CommandResult.ok("group " + g.spec.id() + " now runs on " + holder + " (generation "
                        + gen + "), moved in " + took.toMillis() + " ms", took));
            } else {
                complete(w.commandId, CommandResult.refused("group " + g.spec.id() + " did not start on " + w.target
                        + "; it runs on " + holder + " now"));
            }
            return true;
        }
        if (now >= w.deadline) {
            complete(w.commandId, CommandResult.refused("group " + g.spec.id() + " did not reach " + w.target + " within "
                    + Durations.format(spec.timing().commandTimeout()) + "; here it is " + g.state));
            return true;
        }
        return false;
    }

    private void refuse(long id, String why) {
        emit(EventKind.COMMAND_REFUSED, Level.WARNING, null, null, "command refused: " + why, Map.of());
        complete(id, CommandResult.refused(why));
    }

    private void complete(long id, CommandResult r) {
        if (id > 0) {
            out.add(new Action.CompleteCommand(id, r));
        }
    }

    // ------------------------------------------------------------------ output

    private void setState(Group g, LocalState s, String detail) {
        LocalState was = g.state;
        g.state = s;
        g.detail = detail;
        if (was != s && s != LocalState.CLAIMING && was != LocalState.CLAIMING) {
            Level l = s == LocalState.FAILED ? Level.ERROR : Level.INFO;
            emit(EventKind.GROUP_STATE, l, g.spec.id(), null, "group " + g.spec.id() + " on " + self + ": " + was.toApi()
                    + " -> " + s.toApi() + " (" + detail + ")", Map.of("from", was.name(), "to", s.name()));
        }
    }

    private void emit(EventKind kind, Level level, String group, String resource, String message, Map<String, String> details) {
        out.add(new Action.Emit(new ClusterEvent(++eventSeq, wallClock.apply(now), kind, level, self, group, resource, message, details)));
    }

    private void announceIfChanged() {
        List<GroupAnn> gs = new ArrayList<>();
        for (Group g : groups.values()) {
            // Idle, a node announces the highest generation it holds or remembers, so that claims go above it.
            long gen = g.state == LocalState.CLAIMING ? g.claimGen : g.state.active() ? g.gen : Math.max(g.gen, g.floor);
            gs.add(new GroupAnn(g.spec.id(), g.state, gen, g.ackNode, g.ackGen, g.handoff, g.blocked, g.fatal,
                    g.maintVer, g.maintNode, g.maintOn, g.clearVer, g.byAdmin));
        }
        boolean leaving = leftCleanly;
        Announcement a = new Announcement(announceVersion + 1, spec.fingerprint(), leaving, selfFenced, Map.copyOf(facts), gs);
        if (lastAnnounced != null && lastAnnounced.groups().equals(gs) && lastAnnounced.leaving() == leaving
                && lastAnnounced.standingDown() == selfFenced && lastAnnounced.facts().equals(a.facts())) {
            return;
        }
        announceVersion++;
        lastAnnounced = a;
        out.add(new Action.Announce(a));
    }

    // ------------------------------------------------------------------ views

    /**
     * The highest generation this node knows for each group (held, claimed, acknowledged or seen). The runtime
     * persists it before it carries out the actions of the same step, and gives it back at the next {@link Input.Boot}.
     */
    public Map<String, Long> knownGenerations() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Group g : groups.values()) {
            m.put(g.spec.id(), knownGen(g));
        }
        return m;
    }

    /**
     * Why this node must be reset, or {@code null}: it had to let go of a group (standing down, quorum lost, a
     * newer generation elsewhere) and its stop failed. The runtime then stops feeding the watchdog.
     */
    public String mustReset() {
        return resetReason;
    }

    /** The local state of a group (for tests and the runtime). */
    public LocalState state(String group) {
        return groups.get(group).state;
    }

    /** Whether the group is in maintenance (unmanaged) as this node knows it. */
    public boolean maintenance(String group) {
        return groups.get(group).maintOn;
    }

    public long generation(String group) {
        return groups.get(group).gen;
    }

    public boolean peerDeadOrFenced(String peer) {
        Peer p = peers.get(peer);
        return p != null && p.deadOrFenced;
    }

    public Map<String, String> peerFacts(String peer) {
        Peer p = peers.get(peer);
        return p == null ? Map.of() : p.facts;
    }

    public boolean hasLeft() {
        return left;
    }

    /**
     * Whether a group is between states here (starting, recovering, stopping): a process that exits now leaves it
     * half done. Each such action has its deadline, so this ends by itself.
     */
    public boolean inTransition() {
        for (Group g : groups.values()) {
            if (g.state == LocalState.STOPPING || g.state == LocalState.STARTING || g.state == LocalState.RECOVERING) {
                return true;
            }
        }
        return false;
    }

    public Announcement lastAnnouncement() {
        return lastAnnounced;
    }

    /** A snapshot for the status view; paths are added by the runtime. */
    public ClusterStatus status(Instant time) {
        List<NodeStatus> nodes = new ArrayList<>();
        for (String n : spec.nodeIds()) {
            if (n.equals(self)) {
                nodes.add(new NodeStatus(n, NodeState.LOCAL, 0, selfFenced ? "stood down: " + selfFencedReason
                        : shuttingDown ? "shutting down" : quorate() ? "running" : "no quorum"));
                continue;
            }
            Peer p = peers.get(n);
            NodeState st = p.reachable ? NodeState.REACHABLE : p.deadOrFenced ? NodeState.DEAD : p.everHeard
                    ? NodeState.UNREACHABLE : NodeState.UNKNOWN;
            String detail = switch (st) {
                case REACHABLE -> "heard";
                case DEAD -> "dead or fenced: " + p.deadReason;
                case UNREACHABLE -> "silent for " + Durations.format(Duration.ofMillis(now - p.unreachableSince))
                        + (p.degradedReported ? "; alive per the safety check" : "");
                default -> "not heard yet";
            };
            nodes.add(new NodeStatus(n, st, p.incarnation, detail));
        }
        List<GroupStatus> gs = new ArrayList<>();
        for (Group g : groups.values()) {
            List<ResourceStatus> rs = new ArrayList<>();
            for (Res r : g.res.values()) {
                rs.add(new ResourceStatus(r.spec.id(), r.spec.type(), r.running && g.state.active(), r.last,
                        r.lastAt < 0 ? null : wallClock.apply(r.lastAt), r.failures.size()));
            }
            List<String> blockedOn = new ArrayList<>();
            if (g.blocked) {
                blockedOn.add(self);
            }
            for (Peer p : peers.values()) {
                GroupAnn a = ann(p, g);
                if (a != null && a.blocked()) {
                    blockedOn.add(p.id);
                }
            }
            String holder = holder(g);
            long gen = Math.max(g.gen, holder != null && !holder.equals(self) ? ann(peers.get(holder), g).gen() : 0);
            gs.add(new GroupStatus(g.spec.id(), g.state.toApi(), holder, gen, g.spec.nodes(), g.spec.switchback().name(),
                    !g.maintOn, Collections.unmodifiableList(blockedOn), rs, g.detail));
        }
        return new ClusterStatus(spec.cluster(), self, time, nodes, List.of(), gs);
    }
}
