package org.tandemha.core.engine;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.EventKind;
import org.tandemha.api.Durations;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;

/**
 * The decision logic of one node: a deterministic function of its state and the {@link Input}s it is given,
 * returning the {@link Action}s to take. No threads, sockets, devices or clocks: time is the {@code now} passed
 * in, so whole clusters run in simulated time.
 *
 * <p>This class only dispatches: each input goes to the part that decides it, and after every input the parts
 * reconcile in a fixed order. The parts, each deciding one thing:
 * <ul>
 *   <li>{@link NodeLifecycle}: whether this node takes part (start, shutdown, standing down and back);</li>
 *   <li>{@link PeerTracker}: what it believes about each peer, and the safety check about silent ones;</li>
 *   <li>{@link Fencing}: when to fence a peer where a group failed to stop;</li>
 *   <li>{@link Quorum}: whether it has quorum, and stopping its groups when it is lost;</li>
 *   <li>{@link Placement}: where a group should run (target, handoff, switchback);</li>
 *   <li>{@link Ownership} ({@link AcknowledgedOwnership}, or {@link LeaseOwnership} with a coordination service):
 *   who may run a group, and its generation;</li>
 *   <li>{@link Sequencer}: the start and stop sequences of a group and what a finished action means;</li>
 *   <li>{@link HealthPolicy}: checks, local recovery and its limits;</li>
 *   <li>{@link Commands}: the operator's commands;</li>
 *   <li>{@link StatusView}: the announcement to peers and the status view.</li>
 * </ul>
 * The per-group transition table is on {@link LocalState}. The state itself ({@link EngineState}) can be copied out
 * as an {@link EngineSnapshot} and an engine built back from it.
 */
public final class Engine {
    private final EngineState s;
    private final StatusView view;

    /**
     * @param spec      the cluster configuration (the same on every node)
     * @param self      this node's id
     * @param canFence  whether fencing methods are configured (a failed stop elsewhere can then be fenced)
     * @param wallClock turns the engine's monotonic milliseconds into wall time for events
     */
    public Engine(ClusterSpec spec, String self, boolean canFence, LongFunction<Instant> wallClock) {
        this(new EngineState(spec, self, canFence, wallClock));
    }

    private Engine(EngineState s) {
        this.s = s;
        s.quorum = new Quorum(s);
        s.peerTracker = new PeerTracker(s);
        s.fencing = new Fencing(s);
        s.placement = new Placement(s);
        s.ownership = s.spec.coordinated() ? new LeaseOwnership(s) : new AcknowledgedOwnership(s);
        s.sequencer = new Sequencer(s);
        s.health = new HealthPolicy(s);
        s.commands = new Commands(s);
        s.lifecycle = new NodeLifecycle(s);
        s.standbys = new Standbys(s);
        s.dr = new DisasterRecovery(s);
        s.oneWayCut = new OneWayCut(s);
        this.view = new StatusView(s);
    }

    // What lets a quiet input (see EngineState.quiet) skip the full pass: the next time of the parts it skips, as
    // of the last full pass, and the generations then (unchanged by quiet inputs).
    private long restWakeup;
    private boolean restValid;
    private boolean lastQuiet;
    private Map<String, Long> generations;
    private Map<String, Long> comparedWith;
    private boolean comparedEqual;

    /** An engine that goes on exactly where the one that took {@code snapshot} stood. */
    public static Engine restore(ClusterSpec spec, EngineSnapshot snapshot, LongFunction<Instant> wallClock) {
        return new Engine(snapshot.toState(spec, wallClock));
    }

    /** This engine's state as a value (see {@link EngineSnapshot}); taking it changes nothing. */
    public EngineSnapshot snapshot() {
        return EngineSnapshot.of(s);
    }

    public String self() {
        return s.self;
    }

    /** Handles one input at time {@code nowMs} (monotonic milliseconds) and returns what to do. */
    public List<Action> handle(Input input, long nowMs) {
        s.out = new ArrayList<>();
        s.now = Math.max(s.now, nowMs);
        s.quiet = false;
        input.dispatch(inputs);
        if (s.running()) {
            boolean expired = expireDeadlines();
            if (s.quiet && !expired && restValid && s.now < restWakeup) {
                // A tick or a passing check changed nothing the parts below read, and none of their times came:
                // they would decide exactly what they decided after the last input. Only the checks' rhythm goes on.
                // (With thousands of resources, most inputs are these, and the full pass is O(groups).)
                s.health.runDueChecks();
                lastQuiet = true;
                return s.out;
            }
            s.oneWayCut.reconcile();
            s.lifecycle.maybeEndStandDown();
            s.peerTracker.runDueSafetyChecks();
            s.quorum.check();
            for (int round = 0; round < 8; round++) {
                boolean changed = false;
                for (GroupRecord g : s.groups.values()) {
                    changed |= reconcile(g);
                    changed |= s.standbys.reconcile(g);
                }
                if (!changed) {
                    break;
                }
            }
            s.health.runDueChecks();
            s.standbys.runDueChecks();
            s.commands.finishWaiters();
            s.lifecycle.maybeLeave();
        }
        view.announceIfChanged();
        lastQuiet = false;
        generations = null;
        restWakeup = restWakeupTime();
        restValid = true;
        return s.out;
    }

    /** Where each kind of input goes (a new kind fails to compile here until it is given a place). */
    private final Input.Handler inputs = new Input.Handler() {
        @Override
        public void tick(Input.Tick in) {
            // time passed: the reconciliation after every input does the rest (if any of its times came)
            s.quiet = true;
        }

        @Override
        public void boot(Input.Boot in) {
            s.lifecycle.boot(in.generations(), in.incarnation());
        }

        @Override
        public void shutdown(Input.Shutdown in) {
            s.lifecycle.shutdown();
        }

        @Override
        public void peerReachable(Input.PeerReachable in) {
            s.peerTracker.reachable(in.peer(), in.incarnation());
        }

        @Override
        public void peerUnreachable(Input.PeerUnreachable in) {
            s.peerTracker.unreachable(in.peer(), in.reason());
        }

        @Override
        public void peerState(Input.PeerState in) {
            s.peerTracker.state(in.peer(), in.incarnation(), in.announcement());
        }

        @Override
        public void peerMessage(Input.PeerMessage in) {
            s.commands.peerMessage(in.peer(), in.message());
        }

        @Override
        public void actionDone(Input.ActionDone in) {
            s.sequencer.actionDone(in.id(), in.result());
        }

        @Override
        public void checkDone(Input.CheckDone in) {
            s.health.checkDone(in.id(), in.result());
        }

        @Override
        public void safetyDone(Input.SafetyDone in) {
            s.peerTracker.safetyDone(in.id(), in.verdict());
        }

        @Override
        public void fenceDone(Input.FenceDone in) {
            s.fencing.fenceDone(in.id(), in.result());
        }

        @Override
        public void resumed(Input.Resumed in) {
            s.lifecycle.resumed(in.pausedMs());
        }

        @Override
        public void quorumDevice(Input.QuorumDevice in) {
            s.devices.put(in.device(), in.reachable());
        }

        @Override
        public void fact(Input.Fact in) {
            s.facts.put(in.key(), in.value());
        }

        @Override
        public void selfFenced(Input.SelfFenced in) {
            s.lifecycle.standDown("this node was fenced off shared storage: " + in.reason());
        }

        @Override
        public void generationsDurable(Input.GenerationsDurable in) {
            s.lifecycle.generationsDurable(in.durable(), in.reason());
        }

        @Override
        public void duplicateNode(Input.DuplicateNode in) {
            if (in.node().equals(s.self)) {
                s.lifecycle.duplicateOfSelf(in.older(), in.newer());
            } else {
                s.peerTracker.duplicate(in.node(), in.older(), in.newer());
            }
        }

        @Override
        public void command(Input.Command in) {
            s.commands.command(in);
        }

        @Override
        public void leaseGranted(Input.LeaseGranted in) {
            GroupRecord g = s.groups.get(in.group());
            if (g != null) {
                s.ownership.leaseGranted(g, in.token());
            }
        }

        @Override
        public void leaseLost(Input.LeaseLost in) {
            GroupRecord g = s.groups.get(in.group());
            if (g != null) {
                s.ownership.leaseLost(g, in.reason());
            }
        }

        @Override
        public void sessionSuspended(Input.SessionSuspended in) {
            s.ownership.sessionSuspended(in.reason());
        }

        @Override
        public void sessionVerified(Input.SessionVerified in) {
            s.ownership.sessionVerified(in.leases());
        }

        @Override
        public void foundRunning(Input.FoundRunning in) {
            GroupRecord g = s.groups.get(in.group());
            if (g != null && g.res.containsKey(in.resource())) {
                s.sequencer.foundRunning(g, in.resource(), in.reason());
            }
        }
    };

    /** One group's step of the per-group state machine ({@link LocalState}); true when its state changed. */
    private boolean reconcile(GroupRecord g) {
        // a switch expression: a new LocalState fails to compile here until it is given its step
        return switch (g.state) {
            case UNKNOWN -> {
                s.sequencer.beginStop(g, StopReason.CLEANUP);
                yield true;
            }
            case OFFLINE -> {
                if (g.standby.busy()) {
                    yield false; // a standby being started or stopped is not claimed meanwhile
                }
                if (s.ownership.offline(g)) {
                    yield true;
                }
                s.fencing.maybeFence(g);
                yield false;
            }
            case CLAIMING -> s.ownership.claiming(g);
            case ONLINE -> online(g);
            case STARTING, RECOVERING -> {
                if (g.stopAfter == null && s.ownership.newerElsewhere(g) != null) {
                    g.stopAfter = StopReason.LOST_GENERATION;
                }
                yield false;
            }
            case STOPPING, FAILED -> false;
        };
    }

    private boolean online(GroupRecord g) {
        if (g.maintOn) {
            return false;
        }
        String lost = s.ownership.lostRight(g);
        if (lost != null) {
            // a lease lost without the loss reaching this group (e.g. while it was in maintenance, left running then)
            s.emit(EventKind.STAND_DOWN, Level.ERROR, g.id(), null, "node " + s.self + " " + lost + ": stopping "
                    + g.id() + " here at once", Map.of());
            s.sequencer.beginStop(g, StopReason.LEASE_LOST);
            return true;
        }
        String newer = s.ownership.newerElsewhere(g);
        if (newer != null) {
            s.emit(EventKind.STAND_DOWN, Level.ERROR, g.id(), null, "group " + g.id() + " runs on " + newer
                    + " at a higher generation than ours (" + g.gen + "): stopping it here at once", Map.of());
            s.sequencer.beginStop(g, StopReason.LOST_GENERATION);
            return true;
        }
        return s.placement.maybeSwitchback(g);
    }

    /** Actions past their deadline (timeout plus grace) end as timed out. */
    private boolean expireDeadlines() {
        List<Map.Entry<Long, EngineState.Pending>> due = new ArrayList<>();
        for (long id : s.pending.dueIds(s.now)) {
            due.add(Map.entry(id, s.pending.get(id)));
        }
        for (Map.Entry<Long, EngineState.Pending> e : due) {
            EngineState.Pending p = e.getValue();
            switch (p.kind()) {
                case RESOURCE -> s.sequencer.actionDone(e.getKey(), ActionResult.timeout(p.timeout()));
                case CHECK -> s.health.checkDone(e.getKey(), CheckResult.timeout(p.timeout()));
                case SAFETY -> s.peerTracker.safetyDone(e.getKey(), Verdict.of(Verdict.Answer.UNKNOWN,
                        "the safety check did not answer within " + Durations.format(p.timeout())));
                case FENCE -> s.fencing.fenceDone(e.getKey(), ActionResult.timeout(p.timeout()));
            }
        }
        return !due.isEmpty();
    }

    /**
     * The next time the engine wants a {@link Input.Tick}, or {@link Long#MAX_VALUE}. Everything due at or before
     * {@code now} was evaluated by the last {@link #handle}; what is still waiting then needs another input, so
     * only future times count (a past time would spin the caller).
     */
    public long nextWakeup() {
        if (!s.running()) {
            return Long.MAX_VALUE;
        }
        NextWakeup t = new NextWakeup(s.now);
        t.add(s.pending.nextDeadlineAfter(s.now));
        s.health.wakeups(t);
        if (!restValid) {
            restWakeup = restWakeupTime();
            restValid = true;
        }
        t.add(restWakeup);
        return t.earliest();
    }

    /** The next time of everything but the actions in flight and the checks (which keep their own). */
    private long restWakeupTime() {
        if (!s.running()) {
            return Long.MIN_VALUE; // (not running: nothing is skipped)
        }
        NextWakeup t = new NextWakeup(s.now);
        wakeupTimes(t);
        return t.earliest();
    }

    private void wakeupTimes(NextWakeup t) {
        s.standbys.wakeups(t);
        for (GroupRecord g : s.groups.values()) {
            if (g.state == LocalState.ONLINE) {
                t.add(s.placement.switchbackAt(g));
            } else if (g.state == LocalState.CLAIMING) {
                t.add(s.ownership.decidesAt(g));
            }
        }
        s.commands.wakeups(t);
        t.add(s.oneWayCut.wakeup());
        for (PeerRecord p : s.peers.values()) {
            if (s.peerTracker.duplicated(p)) {
                t.add(p.duplicateUntil);
            }
            t.add(p.settleUntil);
            if (p.silentSince >= 0) {
                t.add(p.silentSince + OneWayCut.GRACE_MS); // its silence counts as consent to a claim from then on
            }
            if (p.deadOrFenced) {
                for (GroupRecord g : s.groups.values()) {
                    t.add(s.peerTracker.watchdogResetBy(p, g));
                }
            }
            if (!p.reachable && !p.deadOrFenced && p.safetyId == 0) {
                t.add(s.peerTracker.safetyDue(p));
            }
            t.add(s.fencing.retryAt(p));
            if (s.selfFenced && !p.reachable && p.leftCleanly && !p.fenced) {
                // when NodeLifecycle.maybeEndStandDown stops trusting "it left" (it may have come back unheard)
                t.add(p.unreachableSince + s.spec.timing().startupWait().toMillis());
            }
        }
        t.add(s.quorum.stopsGroupsAt());
        if (!s.hadQuorum) {
            t.add(s.bootAt + s.spec.timing().startupWait().toMillis());
        }
    }

    // ------------------------------------------------------------------ views

    /**
     * The highest generation this node knows for each group (held, claimed, acknowledged or seen). The runtime
     * persists it before it carries out the actions of the same step, and gives it back at the next {@link Input.Boot}.
     */
    public Map<String, Long> knownGenerations() {
        if (lastQuiet && generations != null) {
            return generations; // a quiet input changes no generation (and the caller compares by identity first)
        }
        Map<String, Long> m = new LinkedHashMap<>();
        for (GroupRecord g : s.groups.values()) {
            m.put(g.id(), s.ownership.knownGeneration(g));
        }
        generations = java.util.Collections.unmodifiableMap(m);
        return generations;
    }

    /**
     * Whether {@link #knownGenerations()} equals {@code saved}, without building it: the runtime asks after every
     * step, and building the map there cost a fifth of the engine thread's allocation at 1,000 resources.
     */
    public boolean knownGenerationsEqual(Map<String, Long> saved) {
        if (lastQuiet && saved == comparedWith) {
            return comparedEqual; // a quiet input changes no generation
        }
        comparedWith = saved;
        comparedEqual = sameGenerations(saved);
        return comparedEqual;
    }

    private boolean sameGenerations(Map<String, Long> saved) {
        if (saved.size() != s.groups.size()) {
            return false;
        }
        for (GroupRecord g : s.groups.values()) {
            Long v = saved.get(g.id());
            if (v == null || v != s.ownership.knownGeneration(g)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why this node must be reset, or {@code null}: it had to let go of a group (standing down, quorum lost, a
     * newer generation elsewhere) and its stop failed. The runtime then stops feeding the watchdog.
     */
    public String mustReset() {
        return s.resetReason;
    }

    /** The local state of a group (for tests and the runtime). */
    public LocalState state(String group) {
        return s.groups.get(group).state;
    }

    /** Whether the group is in maintenance (unmanaged) as this node knows it. */
    public boolean maintenance(String group) {
        return s.groups.get(group).maintOn;
    }

    /** A promotable group's standby on this node (NONE for other groups, or where it is primary). */
    public StandbyState standby(String group) {
        return s.groups.get(group).standby;
    }

    public long generation(String group) {
        return s.groups.get(group).gen;
    }

    public boolean peerDeadOrFenced(String peer) {
        PeerRecord p = s.peers.get(peer);
        return p != null && p.deadOrFenced;
    }

    public Map<String, String> peerFacts(String peer) {
        PeerRecord p = s.peers.get(peer);
        return p == null ? Map.of() : p.facts;
    }

    public boolean hasLeft() {
        return s.left;
    }

    /**
     * Whether a group is between states here (starting, recovering, stopping): a process that exits now leaves it
     * half done. Each such action has its deadline, so this ends by itself.
     */
    public boolean inTransition() {
        for (GroupRecord g : s.groups.values()) {
            if (g.state == LocalState.STOPPING || g.state == LocalState.STARTING || g.state == LocalState.RECOVERING
                    || g.standby.busy()) {
                return true;
            }
        }
        return false;
    }

    public Announcement lastAnnouncement() {
        return s.lastAnnounced;
    }

    /** A snapshot for the status view; paths are added by the runtime. */
    public ClusterStatus status(Instant time) {
        return view.status(time);
    }
}
