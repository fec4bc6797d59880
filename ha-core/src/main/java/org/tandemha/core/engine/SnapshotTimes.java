package org.tandemha.core.engine;

import java.util.ArrayList;
import java.util.List;
import org.tandemha.core.engine.EngineSnapshot.Group;
import org.tandemha.core.engine.EngineSnapshot.Node;
import org.tandemha.core.engine.EngineSnapshot.PendingAction;
import org.tandemha.core.engine.EngineSnapshot.Peer;
import org.tandemha.core.engine.EngineSnapshot.Resource;
import org.tandemha.core.engine.EngineSnapshot.Waiter;

/** Moves every engine time of a snapshot by the same amount (see {@link EngineSnapshot#shifted}). */
final class SnapshotTimes {
    private SnapshotTimes() {
    }

    /** A time moved by {@code d}; -1 and {@link Long#MAX_VALUE} mean "not set" and stay. */
    static long t(long v, long d) {
        return v == -1 || v == Long.MAX_VALUE ? v : v + d;
    }

    static EngineSnapshot shift(EngineSnapshot s, long d) {
        if (d == 0) {
            return s;
        }
        if (d < 0) {
            throw new IllegalArgumentException("a snapshot's times move only later (-1 means 'not set'), not by " + d + " ms");
        }
        Node n = s.node();
        Node node = new Node(n.now() + d, t(n.bootAt(), d), n.booted(), n.shuttingDown(), n.left(), n.leftCleanly(),
                n.incarnation(), n.duplicateReason(), n.olderCopyWarned(), n.notDurable(), n.selfFenced(),
                n.selfFencedReason(), t(n.quorumLostAt(), d), n.resetReason(), n.generationFloor(), n.hadQuorum(),
                n.quorumMaintWarned(), n.nextId(), n.eventSeq(), n.announceVersion(), n.lastAnnounced(),
                n.failedAtShutdown(), n.facts(), n.devices(), n.sessionUsable(), n.sessionReason(), n.wallMs(),
                n.asideSince() == null ? null : t(n.asideSince(), d), n.asideReason(), n.asideTold());
        List<Peer> peers = new ArrayList<>();
        for (Peer p : s.peers()) {
            peers.add(new Peer(p.id(), p.reachable(), p.everHeard(), p.incarnation(), p.ann(), t(p.unreachableSince(), d),
                    p.deadOrFenced(), p.deadReason(), p.safetyId(), t(p.nextSafetyAt(), d), p.backoff(),
                    p.degradedReported(), p.fenceId(), t(p.nextFenceAt(), d), p.fenceBackoff(), p.fingerprintWarned(),
                    p.fenced(), p.facts(), p.mayRun(), p.leftCleanly(), p.failed(), t(p.duplicateUntil(), d),
                    p.duplicateNewer(), t(p.settleUntil(), d), p.maintHeld(),
                    p.silentSince() == null ? null : t(p.silentSince(), d)));
        }
        List<Group> groups = new ArrayList<>();
        for (Group g : s.groups()) {
            List<Resource> rs = new ArrayList<>();
            for (Resource r : g.resources()) {
                rs.add(new Resource(r.id(), r.running(), t(r.nextQuick(), d), t(r.nextDeep(), d), r.quickId(), r.deepId(),
                        r.failing(), r.failures().stream().map(f -> t(f, d)).toList(), r.last(), t(r.lastAt(), d)));
            }
            groups.add(new Group(g.id(), g.state(), g.gen(), g.floor(), g.claimGen(), g.prevGen(), g.ackNode(), g.ackGen(),
                    g.handoff(), g.blocked(), g.blockedReason(), g.fatal(), g.maintVer(), g.maintNode(), g.maintOn(),
                    g.clearVer(), g.byAdmin(), g.stopReason(), g.stopAfter(), g.seq(), g.seqId(), g.epoch(), g.transition(),
                    t(g.transitionAt(), d), g.detail(), g.switchbackCandidate(), t(g.switchbackSince(), d),
                    waiters(g.waiters(), d), rs, g.leaseToken(), g.leaseWanted(), standby(g.standby(), d),
                    g.operator() == null ? null : new EngineSnapshot.Operator(t(g.operator().drPromoteUntil(), d),
                            g.operator().drFenced(), g.operator().lagWaivedAt()),
                    g.claims() == null ? null : new EngineSnapshot.Claims(g.claims().heldSeen(),
                            t(g.claims().conflictSince(), d), g.claims().yieldTo(), g.claims().yieldGen(),
                            g.claims().startedOnSilence())));
        }
        List<PendingAction> pending = new ArrayList<>();
        for (PendingAction p : s.pending()) {
            pending.add(new PendingAction(p.id(), p.kind(), p.group(), p.resource(), p.epoch(), t(p.deadline(), d), p.op(),
                    p.check(), p.peer(), p.timeoutMs()));
        }
        return new EngineSnapshot(s.format(), s.cluster(), s.self(), s.fingerprint(), s.canFence(), node, peers, groups,
                pending, waiters(s.remoteCommands(), d));
    }

    private static EngineSnapshot.Standby standby(EngineSnapshot.Standby b, long d) {
        return b == null ? null : new EngineSnapshot.Standby(b.state(), b.actionId(), b.checkId(), t(b.nextCheck(), d),
                t(b.retryAt(), d), b.detail());
    }

    private static List<Waiter> waiters(List<Waiter> ws, long d) {
        return ws.stream().map(w -> new Waiter(w.commandId(), w.target(), w.sinceGen(), t(w.startedAt(), d),
                t(w.deadline(), d), w.group())).toList();
    }
}
