package org.tandemha.core.engine;

import java.time.Duration;
import java.util.Map;
import org.tandemha.api.ActionResult;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Decides when to fence a peer: when a group failed to stop there (a reachable peer announces it FAILED, or a silent
 * one declared dead was last heard with it FAILED) and this node is the first that may run the group. A failed
 * fencing is retried with a back-off; until fencing works, the group stays blocked.
 */
final class Fencing {
    private final EngineState s;

    Fencing(EngineState s) {
        this.s = s;
    }

    void maybeFence(GroupRecord g) {
        if (!s.canFence || !s.self.equals(s.placement.firstEligible(g))) {
            return;
        }
        for (String n : g.spec.nodes()) {
            PeerRecord p = s.peers.get(n);
            if (p == null || p.fenced || p.fenceId != 0 || s.now < p.nextFenceAt) {
                continue;
            }
            GroupAnn a = s.ann(p, g);
            // a reachable node says FAILED; a silent one declared dead was last heard FAILED (it may still run it)
            boolean failedThere = p.reachable ? !p.deadOrFenced && a != null && a.state() == LocalState.FAILED
                    : p.deadOrFenced && p.failed.contains(g.id());
            if (failedThere) {
                long id = s.newId();
                p.fenceId = id;
                Duration to = s.spec.timing().fenceTimeout();
                s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.FENCE, g.id(), null, 0,
                        s.now + to.toMillis() + EngineState.DEADLINE_GRACE_MS, null, null, n, to));
                s.emit(EventKind.FENCE, Level.WARNING, g.id(), null, "group " + g.id() + " failed to stop on " + n
                        + ": fencing " + n + " so that it can run here", Map.of("peer", n));
                s.out.add(new Action.FencePeer(id, n, to));
            }
        }
    }

    /** When fencing a peer is tried again, or -1. */
    long retryAt(PeerRecord p) {
        return p.fenceBackoff > 0 && p.fenceId == 0 && !p.fenced ? p.nextFenceAt : -1;
    }

    void fenceDone(long id, ActionResult result) {
        EngineState.Pending pd = s.pending.remove(id);
        if (pd == null) {
            return;
        }
        PeerRecord p = s.peers.get(pd.peer());
        if (p == null) {
            return;
        }
        p.fenceId = 0;
        if (result.isDone()) {
            p.fenceBackoff = 0;
            p.fenced = true;
            p.failed.clear(); // what failed to stop there is stopped now
            p.maintHeld.clear(); // and what ran there in maintenance too
            p.deadOrFenced = true;
            p.deadReason = "fenced: " + result.reason();
            s.emit(EventKind.FENCE, Level.WARNING, null, null, "node " + p.id + " fenced: " + result.reason(), Map.of("peer", p.id));
        } else {
            p.fenceBackoff = p.fenceBackoff == 0 ? s.spec.timing().safetyRetryMin().toMillis()
                    : Math.min(p.fenceBackoff * 2, s.spec.timing().safetyRetryMax().toMillis());
            p.nextFenceAt = s.now + p.fenceBackoff;
            s.emit(EventKind.FENCE, Level.ERROR, null, null, "fencing node " + p.id + " failed: " + result.reason()
                    + "; its failed groups stay blocked; trying again in "
                    + Durations.format(Duration.ofMillis(p.fenceBackoff)), Map.of("peer", p.id));
        }
    }
}
