package org.tandemha.core.engine;

import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;

/**
 * Decides whether this node has quorum, and stops its groups when quorum has been lost for longer than
 * {@code quorum.lossGrace}. Two nodes: the arbiters decide (the safety check), so two nodes are always quorate here.
 * Three or more: a majority of the votes (the configured nodes, plus each witness when {@code quorum.witnessVote} is
 * on) must be reachable. The nodes of a remote DR site (any group's {@code dr.nodes}) have no vote: the primary site's
 * nodes count as if the DR site were not there (its link may be down for long). A group in maintenance is left alone. With a coordination service, the service's ensemble is
 * the quorum (a node cut from it loses its session and its leases), so the heartbeats' count does not stop groups.
 */
final class Quorum {
    private final EngineState s;

    Quorum(EngineState s) {
        this.s = s;
    }

    void check() {
        if (quorate()) {
            if (s.quorumLostAt >= 0) {
                s.emit(EventKind.NODE_WARNING, Level.INFO, null, null, "quorum regained", Map.of());
            }
            s.quorumLostAt = -1;
            s.quorumMaintWarned = false;
            s.hadQuorum = true;
            return;
        }
        if (!s.hadQuorum && s.now - s.bootAt < s.spec.timing().startupWait().toMillis()) {
            return; // still gathering peers after start: not a loss
        }
        if (s.quorumLostAt < 0) {
            s.quorumLostAt = s.now;
            s.emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "quorum lost: " + reachableVotes() + " of "
                    + (voters().size() + witnessVotes()) + (witnessVotes() == 0 ? " nodes" : " votes (nodes and witness)")
                    + " reachable; groups stop after " + Durations.format(s.spec.quorum().lossGrace())
                    + " unless it comes back", Map.of());
        }
        if (s.now - s.quorumLostAt >= s.spec.quorum().lossGrace().toMillis()) {
            for (GroupRecord g : s.groups.values()) {
                if (g.maintOn && (!g.state.active() || s.commands.maintenanceKnownToPeers(g))) {
                    if (g.state.active() && !s.quorumMaintWarned) {
                        s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id() + " is in"
                                + " maintenance: left running on " + s.self + " although quorum is lost; the operator decides", Map.of());
                    }
                    continue; // hands off
                }
                if (g.state.active() && g.state != LocalState.FAILED && g.state != LocalState.UNKNOWN && g.state != LocalState.STOPPING) {
                    if (g.maintOn) {
                        s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id() + " is in maintenance,"
                                + " but not every peer was heard with it in maintenance: the quorate side may take it over"
                                + " as a managed group, so it is stopped on " + s.self + " too", Map.of());
                    }
                    s.sequencer.requestStop(g, StopReason.QUORUM);
                }
            }
            s.quorumMaintWarned = true;
        }
    }

    /** When quorum, lost now, stops this node's groups ({@code -1}: not lost). */
    long stopsGroupsAt() {
        return s.quorumLostAt < 0 ? -1 : s.quorumLostAt + s.spec.quorum().lossGrace().toMillis();
    }

    private java.util.Set<String> voters;

    /** The nodes with a vote: every node but those of a DR site. */
    java.util.Set<String> voters() {
        if (voters == null) {
            java.util.Set<String> v = new java.util.LinkedHashSet<>(s.spec.nodeIds());
            s.spec.groups().forEach(g -> g.dr().nodes().forEach(v::remove));
            voters = v;
        }
        return voters;
    }

    int reachableVotes() {
        int n = voters().contains(s.self) ? 1 : 0;
        for (PeerRecord p : s.peers.values()) {
            if (p.reachable && voters().contains(p.id)) {
                n++;
            }
        }
        if (s.spec.quorum().witnessVote()) {
            n += Math.min(witnessVotes(), (int) s.devices.values().stream().filter(Boolean::booleanValue).count());
        }
        return n;
    }

    /** Configured witnesses, each a vote when {@code quorum.witnessVote} is on. */
    int witnessVotes() {
        return s.spec.quorum().witnessVote() ? (int) s.spec.arbiters().stream().filter(a -> a.type().equals("witness")).count() : 0;
    }

    boolean quorate() {
        if (voters().size() <= 2 || s.spec.coordinated()) {
            // with a coordination service, its ensemble is the quorum: a node cut from it loses its session
            return true;
        }
        return reachableVotes() * 2 > voters().size() + witnessVotes();
    }
}
