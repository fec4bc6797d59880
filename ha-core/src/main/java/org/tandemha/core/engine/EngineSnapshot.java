package org.tandemha.core.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.tandemha.api.CheckResult;
import org.tandemha.core.config.ClusterSpec;

/**
 * One node's engine state as an immutable value: everything its decisions depend on besides the configuration.
 * {@link Engine#restore} builds an engine that makes the same decisions as the one that took it;
 * {@link SnapshotJson} writes and reads it (with a format version). The configuration is not part of it: a snapshot
 * is restored only with a configuration of the same {@link #fingerprint()}.
 *
 * @param format the snapshot format ({@link #FORMAT} for snapshots taken by this version)
 */
public record EngineSnapshot(int format, String cluster, String self, String fingerprint, boolean canFence, Node node,
                             List<Peer> peers, List<Group> groups, List<PendingAction> pending,
                             List<Waiter> remoteCommands) {
    /** The format snapshots are taken in; readers refuse newer ones. */
    public static final int FORMAT = 1;

    public EngineSnapshot {
        peers = List.copyOf(peers);
        groups = List.copyOf(groups);
        pending = List.copyOf(pending);
        remoteCommands = List.copyOf(remoteCommands);
    }

    /**
     * Node-wide state: lifecycle, stand-down, quorum, counters and what it last announced. {@code wallMs} is the
     * wall time (epoch ms) of {@code now}: engines of different nodes count from their own start, and this is what
     * puts their snapshots on one time line ({@link #shifted}); 0 when unknown. {@code asideSince}, {@code asideReason}
     * and {@code asideTold}: standing aside for a peer that cannot hear this node ({@link OneWayCut}; absent in
     * older snapshots: null, null, false).
     */
    public record Node(long now, long bootAt, boolean booted, boolean shuttingDown, boolean left, boolean leftCleanly,
                       long incarnation, String duplicateReason, boolean olderCopyWarned, String notDurable,
                       boolean selfFenced, String selfFencedReason, long quorumLostAt, String resetReason,
                       long generationFloor, boolean hadQuorum, boolean quorumMaintWarned, long nextId, long eventSeq,
                       long announceVersion, Announcement lastAnnounced, List<String> failedAtShutdown,
                       Map<String, String> facts, Map<String, Boolean> devices, boolean sessionUsable,
                       String sessionReason, long wallMs, Long asideSince, String asideReason, boolean asideTold) {
        public Node {
            failedAtShutdown = List.copyOf(failedAtShutdown);
            facts = Map.copyOf(facts);
            devices = Map.copyOf(devices);
        }
    }

    /** What the node knows of one peer. */
    public record Peer(String id, boolean reachable, boolean everHeard, long incarnation, Announcement ann,
                       long unreachableSince, boolean deadOrFenced, String deadReason, long safetyId, long nextSafetyAt,
                       long backoff, boolean degradedReported, long fenceId, long nextFenceAt, long fenceBackoff,
                       boolean fingerprintWarned, boolean fenced, Map<String, String> facts, List<String> mayRun,
                       boolean leftCleanly, List<String> failed, long duplicateUntil, long duplicateNewer,
                       long settleUntil, List<String> maintHeld, Long silentSince) {
        public Peer {
            maintHeld = maintHeld == null ? List.of() : List.copyOf(maintHeld); // (absent in older snapshots)
            facts = Map.copyOf(facts);
            mayRun = List.copyOf(mayRun);
            failed = List.copyOf(failed);
        }
    }

    /** One group on this node: its state, generations, claim and acknowledgement, registers and sequence. */
    public record Group(String id, LocalState state, long gen, long floor, long claimGen, long prevGen, String ackNode,
                        long ackGen, String handoff, boolean blocked, String blockedReason, boolean fatal, long maintVer,
                        String maintNode, boolean maintOn, long clearVer, boolean byAdmin, String stopReason,
                        String stopAfter, int seq, long seqId, long epoch, String transition, long transitionAt,
                        String detail, String switchbackCandidate, long switchbackSince, List<Waiter> waiters,
                        List<Resource> resources, long leaseToken, boolean leaseWanted, Standby standby, Operator operator,
                        Claims claims) {
        public Group {
            waiters = List.copyOf(waiters);
            resources = List.copyOf(resources);
        }
    }

    /**
     * What the operator decided for a group that the engine must not forget when it is restored: a confirmed
     * {@code promote-dr}'s window ({@code drPromoteUntil}, an engine time; -1: none), the primary-site nodes it fenced
     * ({@code drFenced}, see {@link DisasterRecovery}), and the generation up to which a {@code clear} waived the
     * {@code maxLagOnFailover} and quorum refusals ({@code lagWaivedAt}; -1: none). Null when there is none of these,
     * and in snapshots taken before they were kept (read as: none).
     */
    public record Operator(long drPromoteUntil, List<String> drFenced, long lagWaivedAt) {
        public Operator {
            drFenced = drFenced == null ? List.of() : List.copyOf(drFenced);
        }
    }

    /**
     * What the claim protocol remembers of a group beyond the announcements ({@link AcknowledgedOwnership}): the highest
     * generation a peer announced while not claiming it, when this node's open claim first met a conflicting one (-1:
     * none), the claim it gave way to, and whether its current run started on a silent peer's consent. Null when all
     * are unset, and in snapshots taken before they were kept (read as: unset).
     */
    public record Claims(long heldSeen, long conflictSince, String yieldTo, long yieldGen, boolean startedOnSilence) {
    }

    /**
     * A promotable group's standby on this node ({@link StandbyState}); null in snapshots of engines before
     * promotable groups (then: none).
     */
    public record Standby(StandbyState state, long actionId, long checkId, long nextCheck, long retryAt, String detail) {
    }

    /** One resource of a group: running, its checks' schedule and the recoveries it had. */
    public record Resource(String id, boolean running, long nextQuick, long nextDeep, long quickId, long deepId,
                           boolean failing, List<Long> failures, CheckResult last, long lastAt) {
        public Resource {
            failures = List.copyOf(failures);
        }
    }

    /** An action in flight, with its deadline. */
    public record PendingAction(long id, String kind, String group, String resource, long epoch, long deadline,
                                String op, String check, String peer, long timeoutMs) {
    }

    /** An operator command waiting for a group to arrive ({@code group} set for commands sent to another node). */
    public record Waiter(long commandId, String target, long sinceGen, long startedAt, long deadline, String group) {
    }

    /**
     * The same state with every engine time moved {@code deltaMs} later (the "not set" values -1 and
     * {@link Long#MAX_VALUE} stay): an engine restored from it decides as the original would, on a clock that reads
     * {@code deltaMs} more. Snapshots of nodes started at different times are put on one clock this way.
     */
    public EngineSnapshot shifted(long deltaMs) {
        return SnapshotTimes.shift(this, deltaMs);
    }

    /** The wall time (epoch ms) at which this engine's clock read 0, or 0 when the snapshot does not say. */
    public long wallBase() {
        return node.wallMs() == 0 ? 0 : node.wallMs() - node.now();
    }

    static EngineSnapshot of(EngineState s) {
        Node node = new Node(s.now, s.bootAt, s.booted, s.shuttingDown, s.left, s.leftCleanly, s.incarnation,
                s.duplicateReason, s.olderCopyWarned, s.notDurable, s.selfFenced, s.selfFencedReason, s.quorumLostAt,
                s.resetReason, s.generationFloor, s.hadQuorum, s.quorumMaintWarned, s.nextId, s.eventSeq,
                s.announceVersion, s.lastAnnounced, s.failedAtShutdown, s.facts, s.devices, s.sessionUsable,
                s.sessionReason, s.wallClock.apply(s.now).toEpochMilli(), s.asideSince < 0 ? null : s.asideSince,
                s.asideReason, s.asideTold);
        List<Peer> peers = new ArrayList<>();
        for (PeerRecord p : s.peers.values()) {
            peers.add(new Peer(p.id, p.reachable, p.everHeard, p.incarnation, p.ann, p.unreachableSince, p.deadOrFenced,
                    p.deadReason, p.safetyId, p.nextSafetyAt, p.backoff, p.degradedReported, p.fenceId, p.nextFenceAt,
                    p.fenceBackoff, p.fingerprintWarned, p.fenced, p.facts, new ArrayList<>(p.mayRun), p.leftCleanly,
                    new ArrayList<>(p.failed), p.duplicateUntil, p.duplicateNewer, p.settleUntil, new ArrayList<>(p.maintHeld),
                    p.silentSince < 0 ? null : p.silentSince));
        }
        List<Group> groups = new ArrayList<>();
        for (GroupRecord g : s.groups.values()) {
            List<Resource> rs = new ArrayList<>();
            for (GroupRecord.Res r : g.res.values()) {
                rs.add(new Resource(r.spec.id(), r.running, r.nextQuick, r.nextDeep, r.quickId, r.deepId, r.failing,
                        new ArrayList<>(r.failures), r.last, r.lastAt));
            }
            List<Waiter> ws = new ArrayList<>();
            for (GroupRecord.Waiter w : g.waiters) {
                ws.add(new Waiter(w.commandId(), w.target(), w.sinceGen(), w.startedAt(), w.deadline(), null));
            }
            groups.add(new Group(g.id(), g.state, g.gen, g.floor, g.claimGen, g.prevGen, g.ackNode, g.ackGen, g.handoff,
                    g.blocked, g.blockedReason, g.fatal, g.maintVer, g.maintNode, g.maintOn, g.clearVer, g.byAdmin,
                    name(g.stopReason), name(g.stopAfter), g.seq, g.seqId, g.epoch, g.transition, g.transitionAt,
                    g.detail, g.switchbackCandidate, g.switchbackSince, ws, rs, g.leaseToken, g.leaseWanted,
                    g.standby == StandbyState.NONE && g.standbyId == 0 ? null : new Standby(g.standby, g.standbyId,
                            g.standbyCheckId, g.standbyNextCheck, g.standbyRetryAt, g.standbyDetail),
                    g.drPromoteUntil == -1 && g.drFenced.isEmpty() && g.lagWaivedAt == -1 ? null
                            : new Operator(g.drPromoteUntil, new ArrayList<>(g.drFenced), g.lagWaivedAt),
                    g.heldSeen == 0 && g.conflictSince < 0 && g.yieldTo == null && !g.startedOnSilence ? null
                            : new Claims(g.heldSeen, g.conflictSince, g.yieldTo, g.yieldGen, g.startedOnSilence)));
        }
        List<PendingAction> pending = new ArrayList<>();
        s.pending.forEach((id, p) -> pending.add(new PendingAction(id, p.kind().name(), p.group(), p.resource(),
                p.epoch(), p.deadline(), name(p.op()), name(p.check()), p.peer(), p.timeout().toMillis())));
        List<Waiter> remote = new ArrayList<>();
        s.remoteCommands.forEach((id, w) -> remote.add(new Waiter(w.commandId(), w.target(), w.sinceGen(),
                w.startedAt(), w.deadline(), s.remoteGroup.get(id))));
        return new EngineSnapshot(FORMAT, s.spec.cluster(), s.self, s.spec.fingerprint(), s.canFence, node, peers,
                groups, pending, remote);
    }

    EngineState toState(ClusterSpec spec, LongFunction<Instant> wallClock) {
        if (format > FORMAT) {
            throw new IllegalArgumentException("engine snapshot has format " + format + "; this Tandem reads format "
                    + FORMAT + " and older: upgrade Tandem to restore it");
        }
        if (!spec.fingerprint().equals(fingerprint)) {
            throw new IllegalArgumentException("engine snapshot of node " + self + " was taken with configuration "
                    + fingerprint + ", not this one (" + spec.fingerprint() + "): restore it with the configuration"
                    + " file it was taken with");
        }
        EngineState s = new EngineState(spec, self, canFence, wallClock);
        Node n = node;
        s.now = n.now();
        s.bootAt = n.bootAt();
        s.booted = n.booted();
        s.shuttingDown = n.shuttingDown();
        s.left = n.left();
        s.leftCleanly = n.leftCleanly();
        s.incarnation = n.incarnation();
        s.duplicateReason = n.duplicateReason();
        s.olderCopyWarned = n.olderCopyWarned();
        s.notDurable = n.notDurable();
        s.selfFenced = n.selfFenced();
        s.selfFencedReason = n.selfFencedReason();
        s.asideSince = n.asideSince() == null ? -1 : n.asideSince();
        s.asideReason = n.asideReason();
        s.asideTold = n.asideTold();
        s.quorumLostAt = n.quorumLostAt();
        s.resetReason = n.resetReason();
        s.generationFloor = n.generationFloor();
        s.hadQuorum = n.hadQuorum();
        s.sessionUsable = n.sessionUsable();
        s.sessionReason = n.sessionReason();
        s.quorumMaintWarned = n.quorumMaintWarned();
        s.nextId = n.nextId();
        s.eventSeq = n.eventSeq();
        s.announceVersion = n.announceVersion();
        s.lastAnnounced = n.lastAnnounced();
        s.failedAtShutdown = n.failedAtShutdown();
        s.facts.putAll(n.facts());
        s.devices.putAll(n.devices());
        for (Peer p : peers) {
            PeerRecord r = s.peers.get(p.id());
            if (r == null) {
                throw new IllegalArgumentException("engine snapshot names peer " + p.id() + ", which the configuration"
                        + " does not have: restore it with the configuration file it was taken with");
            }
            r.reachable = p.reachable();
            r.everHeard = p.everHeard();
            r.incarnation = p.incarnation();
            r.ann = p.ann();
            r.unreachableSince = p.unreachableSince();
            r.deadOrFenced = p.deadOrFenced();
            r.deadReason = p.deadReason();
            r.safetyId = p.safetyId();
            r.nextSafetyAt = p.nextSafetyAt();
            r.backoff = p.backoff();
            r.degradedReported = p.degradedReported();
            r.fenceId = p.fenceId();
            r.nextFenceAt = p.nextFenceAt();
            r.fenceBackoff = p.fenceBackoff();
            r.fingerprintWarned = p.fingerprintWarned();
            r.fenced = p.fenced();
            r.facts = p.facts();
            r.mayRun.addAll(p.mayRun());
            r.leftCleanly = p.leftCleanly();
            r.failed.addAll(p.failed());
            r.maintHeld.addAll(p.maintHeld());
            r.duplicateUntil = p.duplicateUntil();
            r.duplicateNewer = p.duplicateNewer();
            r.settleUntil = p.settleUntil();
            r.silentSince = p.silentSince() == null ? -1 : p.silentSince();
        }
        for (Group g : groups) {
            restoreGroup(s, g);
        }
        for (PendingAction p : pending) {
            s.pending.put(p.id(), new EngineState.Pending(EngineState.PendingKind.valueOf(p.kind()), p.group(),
                    p.resource(), p.epoch(), p.deadline(), p.op() == null ? null : Action.ResourceOp.valueOf(p.op()),
                    p.check() == null ? null : Action.CheckKind.valueOf(p.check()), p.peer(), Duration.ofMillis(p.timeoutMs())));
        }
        for (Waiter w : remoteCommands) {
            s.remoteCommands.put(w.commandId(), waiter(w));
            s.remoteGroup.put(w.commandId(), w.group());
        }
        return s;
    }

    private static void restoreGroup(EngineState s, Group g) {
        GroupRecord r = s.groups.get(g.id());
        if (r == null) {
            throw new IllegalArgumentException("engine snapshot names group " + g.id() + ", which the configuration"
                    + " does not have: restore it with the configuration file it was taken with");
        }
        r.state = g.state();
        r.gen = g.gen();
        r.floor = g.floor();
        r.claimGen = g.claimGen();
        r.leaseToken = g.leaseToken();
        r.leaseWanted = g.leaseWanted();
        r.prevGen = g.prevGen();
        r.ackNode = g.ackNode();
        r.ackGen = g.ackGen();
        r.handoff = g.handoff();
        r.blocked = g.blocked();
        r.blockedReason = g.blockedReason();
        r.fatal = g.fatal();
        r.maintVer = g.maintVer();
        r.maintNode = g.maintNode();
        r.maintOn = g.maintOn();
        r.clearVer = g.clearVer();
        r.byAdmin = g.byAdmin();
        r.stopReason = g.stopReason() == null ? null : StopReason.valueOf(g.stopReason());
        r.stopAfter = g.stopAfter() == null ? null : StopReason.valueOf(g.stopAfter());
        r.seq = g.seq();
        r.seqId = g.seqId();
        r.epoch = g.epoch();
        r.transition = g.transition();
        r.transitionAt = g.transitionAt();
        r.detail = g.detail();
        r.switchbackCandidate = g.switchbackCandidate();
        r.switchbackSince = g.switchbackSince();
        if (g.standby() != null) {
            r.standby = g.standby().state();
            r.standbyId = g.standby().actionId();
            r.standbyCheckId = g.standby().checkId();
            r.standbyNextCheck = g.standby().nextCheck();
            r.standbyRetryAt = g.standby().retryAt();
            r.standbyDetail = g.standby().detail() == null ? "" : g.standby().detail();
        }
        if (g.claims() != null) {
            r.heldSeen = g.claims().heldSeen();
            r.conflictSince = g.claims().conflictSince();
            r.yieldTo = g.claims().yieldTo();
            r.yieldGen = g.claims().yieldGen();
            r.startedOnSilence = g.claims().startedOnSilence();
        }
        if (g.operator() != null) {
            r.drPromoteUntil = g.operator().drPromoteUntil();
            r.drFenced.addAll(g.operator().drFenced());
            r.lagWaivedAt = g.operator().lagWaivedAt();
        }
        for (Waiter w : g.waiters()) {
            r.waiters.add(waiter(w));
        }
        for (Resource x : g.resources()) {
            GroupRecord.Res res = r.res.get(x.id());
            if (res == null) {
                throw new IllegalArgumentException("engine snapshot names resource " + x.id() + " in group " + g.id()
                        + ", which the configuration does not have: restore it with the configuration file it was taken with");
            }
            res.running = x.running();
            res.nextQuick = x.nextQuick();
            res.nextDeep = x.nextDeep();
            res.quickId = x.quickId();
            res.deepId = x.deepId();
            res.failing = x.failing();
            res.failures.addAll(x.failures());
            res.last = x.last();
            res.lastAt = x.lastAt();
        }
    }

    private static GroupRecord.Waiter waiter(Waiter w) {
        return new GroupRecord.Waiter(w.commandId(), w.target(), w.sinceGen(), w.startedAt(), w.deadline());
    }

    private static String name(Enum<?> e) {
        return e == null ? null : e.name();
    }
}
