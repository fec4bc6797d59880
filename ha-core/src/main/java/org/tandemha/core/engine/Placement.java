package org.tandemha.core.engine;

import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.core.config.PingSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Decides where a group should run: which nodes are eligible now, which one is the target (the handoff node of the
 * latest planned release, else the first eligible node in the group's priority list), where it runs as far as this
 * node knows, and when an automatic switchback moves it back to a preferred node. For a promotable group the target
 * is the eligible node with the most data ({@link #mostAdvanced}). Whether the target may actually
 * start it is the {@link Ownership}'s decision.
 *
 * <p>With a reachability monitor ({@code ping}, {@link PingSpec}) each node announces how many of its ping hosts
 * answer (the fact {@link PingSpec#FACT}, already dampened by the node that measures it). Among eligible nodes those
 * reaching more hosts come first, then the priority list; a group online here moves to an eligible node that reaches
 * more hosts than this one ({@link #maybeMoveForReach}); a switchback never goes to a node that reaches fewer.
 */
final class Placement {
    private final EngineState s;

    Placement(EngineState s) {
        this.s = s;
    }

    boolean eligible(GroupRecord g, String n) {
        if (!s.dr.eligible(g, n)) {
            return false; // a DR node the operator has not promoted, or a node the operator fenced (DisasterRecovery)
        }
        if (n.equals(s.self)) {
            return s.booted && !g.blocked && !s.selfFenced && !s.shuttingDown && s.quorum.quorate() && s.ownership.mayHold();
        }
        PeerRecord p = s.peers.get(n);
        if (p == null || p.deadOrFenced || !p.reachable || !s.peerTracker.trusted(p) || p.ann.leaving() || p.ann.standingDown()) {
            return false;
        }
        GroupAnn a = s.ann(p, g);
        return a != null && !a.blocked() && a.state() != LocalState.FAILED && a.state() != LocalState.UNKNOWN;
    }

    /** The handoff target of the latest planned release, if no generation was held since. */
    String latestHandoff(GroupRecord g) {
        long k = s.ownership.heldGeneration(g);
        if (g.state == LocalState.OFFLINE && g.handoff != null && g.gen == k) {
            return g.handoff;
        }
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (p.reachable && a != null && a.state() == LocalState.OFFLINE && a.handoff() != null && a.gen() == k) {
                return a.handoff();
            }
        }
        return null;
    }

    String target(GroupRecord g) {
        String h = latestHandoff(g);
        if (h != null && eligible(g, h)) {
            return h;
        }
        return g.spec.promotable() ? mostAdvanced(g) : firstEligible(g);
    }

    /**
     * Promotable groups: the eligible node whose copy has the highest replication position (timeline, then offset,
     * as last published); among equals the first in the group's priority list. Null if none is eligible.
     */
    String mostAdvanced(GroupRecord g) {
        String best = null;
        org.tandemha.api.ReplicationPosition bestPos = null;
        for (String n : g.spec.nodes()) {
            if (eligible(g, n)) {
                org.tandemha.api.ReplicationPosition p = s.standbys.position(g, n);
                if (best == null || p.compareTo(bestPos) > 0) {
                    best = n;
                    bestPos = p;
                }
            }
        }
        if (best != null) {
            String refusal = lagRefusal(g, best, bestPos);
            if (refusal != null) {
                if (!refusal.equals(g.lagRefusal)) {
                    g.lagRefusal = refusal;
                    if (s.self.equals(best)) { // (the candidate raises the alarm; the others only know)
                        s.emit(EventKind.GROUP_STATE, Level.ERROR, g.id(), null, refusal, Map.of("candidate", best,
                                "maxLagOnFailoverBytes", String.valueOf(maxLag(g, best))));
                    }
                }
                return null;
            }
        }
        if (best != null) {
            g.lagRefusal = null;
        }
        return best;
    }

    /** The group's maxLagOnFailover in bytes, as the candidate (else this node) published it; -1 when none. */
    private long maxLag(GroupRecord g, String candidate) {
        String v = s.standbys.fact(g, candidate, org.tandemha.api.ReplicationState.MAX_LAG_FACT);
        if (v == null) {
            v = s.standbys.fact(g, s.self, org.tandemha.api.ReplicationState.MAX_LAG_FACT);
        }
        try {
            return v == null ? -1 : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Why the candidate may not be promoted by a failover under {@code maxLagOnFailover}, or null: its copy is further
     * behind the best position known in the group (a dead primary's last report)
     * than the limit, or that distance cannot be known (a node declared dead was never heard since this node started, or
     * the best copy is on a newer timeline). Waived once by the operator's clear, until a newer generation is held.
     */
    String lagRefusal(GroupRecord g, String candidate, org.tandemha.api.ReplicationPosition pos) {
        if (g.lagWaivedAt == s.ownership.heldGeneration(g)) {
            return null;
        }
        String q = s.standbys.fact(g, candidate, org.tandemha.api.ReplicationState.QUORUM_FACT);
        if (q != null && q.strip().matches("\\d{1,4}")) {
            int need = Integer.parseInt(q.strip());
            int have = 0;
            for (String n : g.spec.nodes()) {
                have += eligible(g, n) ? 1 : 0;
            }
            if (have < need) {
                return "group " + g.id() + " is not promoted on " + candidate + " (quorum commit): only " + have + " cop"
                        + (have == 1 ? "y" : "ies") + " can be compared, and every acknowledged commit is known to be on the"
                        + " most advanced only among " + need + "; bring another standby back, or clear the group (tandem"
                        + " clear " + g.id() + ") to promote " + candidate + " anyway, accepting the loss";
            }
        }
        long max = maxLag(g, candidate);
        if (max < 0) {
            return null;
        }
        org.tandemha.api.ReplicationPosition best = pos;
        String bestNode = candidate;
        String unknown = null;
        for (String n : g.spec.nodes()) {
            if (n.equals(candidate)) {
                continue;
            }
            if (s.standbys.fact(g, n, org.tandemha.api.ReplicationState.POSITION_FACT) == null) {
                PeerRecord p = s.peers.get(n);
                if (p != null && p.deadOrFenced) {
                    unknown = n; // (a node merely not heard yet blocks the claim by itself: no alarm for it)
                }
                continue;
            }
            org.tandemha.api.ReplicationPosition p = s.standbys.position(g, n);
            if (p.compareTo(best) > 0) {
                best = p;
                bestNode = n;
            }
        }
        String fix = "; clear the group (tandem clear " + g.id() + ") to promote " + candidate + " anyway, accepting the loss,"
                + " or bring the other copy back";
        String head = "group " + g.id() + " is not promoted on " + candidate + " (maxLagOnFailover " + max + " bytes): ";
        if (best.timeline() > pos.timeline()) {
            return head + "its copy (" + pos + ") is on an older timeline than " + bestNode + "'s (" + best
                    + "): how much it lacks is unknown" + fix;
        }
        long behind = best.bytesAhead(pos);
        if (behind > max) {
            return head + "its copy (" + pos + ") is " + behind + " bytes behind " + bestNode + "'s last known position ("
                    + best + "), more than maxLagOnFailover " + max + " bytes" + fix;
        }
        if (unknown != null) {
            return head + unknown + "'s position was never heard since " + s.self + " started: how far " + candidate
                    + "'s copy is behind it is unknown" + fix;
        }
        return null;
    }

    /** Lower goes first: the handoff node, then the group's priority order. */
    int precedence(GroupRecord g, String node, String handoff) {
        return node.equals(handoff) ? -1 : g.spec.priority(node);
    }

    /**
     * The first node of the group's priority list that may run it now, or null; with a reachability monitor, the
     * first of those that reach the most ping hosts.
     */
    String firstEligible(GroupRecord g) {
        String best = null;
        int bestReach = Integer.MIN_VALUE;
        for (String n : g.spec.nodes()) {
            if (eligible(g, n)) {
                int r = reach(n);
                if (best == null || r > bestReach) {
                    best = n;
                    bestReach = r;
                }
            }
        }
        return best;
    }

    /**
     * How many of its ping hosts a node reaches, as it last announced (the fact {@link PingSpec#FACT}); -1 when there is
     * no reachability monitor or the node has announced no count yet.
     */
    int reach(String n) {
        if (s.spec.ping() == null) {
            return -1;
        }
        String v;
        if (n.equals(s.self)) {
            v = s.facts.get(PingSpec.FACT);
        } else {
            PeerRecord p = s.peers.get(n);
            v = p == null ? null : p.facts.get(PingSpec.FACT);
        }
        if (v == null) {
            return -1;
        }
        try {
            return Math.max(-1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Whether the group was handed to this node by a peer that reaches fewer ping hosts (the move of
     * {@link #maybeMoveForReach}): such a start is not an administrator's choice.
     */
    boolean handedOverForReach(GroupRecord g) {
        if (s.spec.ping() == null) {
            return false;
        }
        int mine = reach(s.self);
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null && s.self.equals(a.handoff()) && reach(p.id) < mine) {
                return true;
            }
        }
        return false;
    }

    /**
     * A group online here moves to the eligible node that reaches the most ping hosts, if that is more than this node
     * reaches (ties: the priority list). Not for a group an administrator put here (unless this node now reaches none
     * of its hosts), a promotable group (its primary follows the data), or while this node has announced no count.
     */
    boolean maybeMoveForReach(GroupRecord g) {
        if (s.spec.ping() == null || g.spec.promotable()) {
            return false;
        }
        int mine = reach(s.self);
        if (mine < 0 || g.byAdmin && mine > 0) {
            return false;
        }
        String best = null;
        int bestReach = mine;
        for (String n : g.spec.nodes()) {
            if (!n.equals(s.self) && eligible(g, n) && reach(n) > bestReach) {
                best = n;
                bestReach = reach(n);
            }
        }
        if (best == null) {
            return false;
        }
        s.emit(EventKind.SWITCHOVER_STARTED, Level.WARNING, g.id(), null, "group " + g.id() + " moves from " + s.self
                + " to " + best + ": " + best + " reaches " + bestReach + " of its ping hosts, " + s.self + " only " + mine,
                Map.of("target", best, "reachable", String.valueOf(mine), "targetReachable", String.valueOf(bestReach)));
        g.handoff = best;
        g.switchbackCandidate = null;
        s.sequencer.beginStop(g, StopReason.CONNECTIVITY);
        return true;
    }

    /** Where the group is active (as far as this node knows): itself, a reachable peer, or null. */
    String holder(GroupRecord g) {
        if (g.state == LocalState.ONLINE || g.state == LocalState.RECOVERING || g.state == LocalState.STARTING) {
            return s.self;
        }
        String best = null;
        long bestGen = -1;
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (p.reachable && a != null && (a.state() == LocalState.ONLINE || a.state() == LocalState.RECOVERING
                    || a.state() == LocalState.STARTING) && a.gen() > bestGen) {
                best = p.id;
                bestGen = a.gen();
            }
        }
        return best;
    }

    /** When the automatic switchback of a group online here is due, or -1. */
    long switchbackAt(GroupRecord g) {
        return g.switchbackCandidate == null ? -1 : g.switchbackSince + g.spec.settle().toMillis();
    }

    /**
     * Automatic switchback: once a node before this one in the group's priority list has been eligible for the
     * group's {@code settle} time, the group is handed to it (unless an administrator put it here).
     */
    boolean maybeSwitchback(GroupRecord g) {
        if (maybeMoveForReach(g)) {
            return true;
        }
        if (g.spec.switchback() != SwitchbackPolicy.AUTOMATIC || g.byAdmin) {
            g.switchbackCandidate = null;
            return false;
        }
        String pref = null;
        for (String n : g.spec.nodes()) {
            if (n.equals(s.self)) {
                break;
            }
            if (eligible(g, n) && reach(n) >= reach(s.self)) { // never back to a node that reaches fewer ping hosts
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
            g.switchbackSince = s.now;
            return false;
        }
        if (s.now - g.switchbackSince < g.spec.settle().toMillis()) {
            return false;
        }
        g.switchbackCandidate = null;
        s.emit(EventKind.SWITCHOVER_STARTED, Level.INFO, g.id(), null, "automatic switchback of group " + g.id()
                + " to " + pref + " (available for " + Durations.format(g.spec.settle()) + ")", Map.of("target", pref));
        g.handoff = pref;
        s.sequencer.beginStop(g, StopReason.SWITCHBACK);
        return true;
    }
}
