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
        return best;
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
