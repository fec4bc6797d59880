package org.tandemha.core.engine;

import java.time.Duration;
import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * The peer-to-peer claim protocol: who may start a group.
 *
 * <p>A node starts a group only after (1) it is the group's target ({@link Placement#target}), (2) it has claimed a
 * new generation (one above every generation it knows of, and above the highest an arbiter reported), and (3) every
 * other node of the group has either acknowledged that exact claim in its announcement, or been declared dead or
 * fenced by the safety check. A node acknowledges only while the group is offline there, only while it hears
 * nobody holding it, and only the claim of highest precedence. Two claimers therefore cannot both collect every
 * acknowledgement: each would need the other's. A silent peer the safety check calls alive, or does not know
 * about, blocks every claim: safety over liveness. A peer declared dead that was last heard with the group FAILED
 * blocks it until it is fenced; one declared dead but not fenced blocks it until its watchdog surely reset it.
 *
 * <p>A node that finds another node holding the group at a higher generation stops at once: the generation is a
 * fencing token.
 */
final class AcknowledgedOwnership implements Ownership {
    private final EngineState s;

    AcknowledgedOwnership(EngineState s) {
        this.s = s;
    }

    @Override
    public long knownGeneration(GroupRecord g) {
        long k = Math.max(Math.max(Math.max(g.gen, g.claimGen), Math.max(g.ackGen, g.heldSeen)), g.floor);
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null) {
                k = Math.max(k, Math.max(a.gen(), a.ackGen()));
            }
        }
        return k;
    }

    @Override
    public long heldGeneration(GroupRecord g) {
        long k = Math.max(Math.max(g.gen, g.floor), g.heldSeen);
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null && a.state() != LocalState.CLAIMING) {
                k = Math.max(k, a.gen());
            }
        }
        return k;
    }

    @Override
    public boolean offline(GroupRecord g) {
        if (claimBlocker(g) != null) {
            released(g);
            return false;
        }
        g.claimGen = Math.max(knownGeneration(g), s.generationFloor) + 1;
        // What was held before (a claim this node acknowledged counts: its claimer may have started it unseen),
        // captured before this node's own acknowledgement is dropped.
        g.prevGen = Math.max(heldGeneration(g), g.ackGen);
        g.ackNode = null;
        g.ackGen = 0;
        g.conflictSince = -1;
        s.setState(g, LocalState.CLAIMING, "claiming generation " + g.claimGen);
        s.emit(EventKind.GROUP_CLAIMED, Level.INFO, g.id(), null, s.self + " claims group " + g.id() + " for generation "
                + g.claimGen, Map.of("generation", String.valueOf(g.claimGen)));
        return true;
    }

    @Override
    public boolean claiming(GroupRecord g) {
        if (g.claimGen <= heldGeneration(g)) {
            withdraw(g, "generation " + g.claimGen + " was already held elsewhere");
            return true;
        }
        String why = claimBlocker(g);
        if (why != null) {
            withdraw(g, why);
            return true;
        }
        if (!allAcked(g)) {
            return false;
        }
        String silent = unheardAcknowledgers(g);
        if (!silent.isEmpty()) {
            s.emit(EventKind.GROUP_CLAIMED, Level.WARNING, g.id(), null, s.self + "'s claim on group " + g.id() + " for generation "
                    + g.claimGen + " stands without an acknowledgement from " + silent + ": " + silent + " cannot hear "
                    + s.self + " (a one-way cut) and shows the group offline and unclaimed; it cannot start it without "
                    + s.self + "'s acknowledgement or a verdict that " + s.self + " is dead", Map.of("unheardBy", silent));
        }
        String handoff = s.placement.latestHandoff(g);
        long prevGen = Math.max(heldGeneration(g), g.prevGen);
        long gen = g.claimGen;
        g.claimGen = 0;
        g.ackNode = null;
        g.ackGen = 0;
        s.sequencer.beginStart(g, gen, prevGen, handoff);
        g.startedOnSilence = !silent.isEmpty();
        return true;
    }

    /** Why this node may not claim the group now, or null if it may. */
    private String claimBlocker(GroupRecord g) {
        if (!s.booted || s.shuttingDown) {
            return "node not running";
        }
        if (s.selfFenced) {
            return "this node stood down";
        }
        if (s.notDurable != null) {
            return "its generations cannot be saved: " + s.notDurable;
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
        if (!s.quorum.quorate()) {
            return "no quorum";
        }
        String t = s.placement.target(g);
        if (!s.self.equals(t)) {
            return t == null ? "no eligible node" : t + " is the target";
        }
        String handoff = s.placement.latestHandoff(g);
        for (String n : g.spec.nodes()) {
            if (n.equals(s.self)) {
                continue;
            }
            PeerRecord p = s.peers.get(n);
            if (s.dr.fenced(g, n)) {
                continue; // fenced by the operator's promote-dr (DisasterRecovery): its generation is below ours
            }
            if (p.deadOrFenced) {
                if (p.failed.contains(g.id()) && !p.fenced) {
                    return n + " was last heard with " + g.id() + " FAILED (a stop failed there) and is not fenced:"
                            + " waiting until it is fenced or an operator clears " + g.id();
                }
                if (p.maintHeld.contains(g.id()) && !p.fenced) {
                    return n + " was last heard running " + g.id() + " in maintenance (unmanaged: it keeps it running while"
                            + " silent) and is not fenced: waiting until it is heard again, fenced, or an operator clears " + g.id();
                }
                long resetBy = s.peerTracker.watchdogResetBy(p, g);
                if (resetBy > s.now) {
                    return n + " is declared dead but not fenced: waiting " + Durations.format(Duration.ofMillis(resetBy - s.now))
                            + " more for its watchdog to reset it";
                }
                continue;
            }
            if (!p.reachable) {
                return n + " is silent and not declared dead";
            }
            if (s.peerTracker.duplicated(p)) {
                return "two copies of " + n + " are running";
            }
            GroupAnn a = s.ann(p, g);
            if (a == null || !s.peerTracker.trusted(p)) {
                return n + "'s state is not known yet";
            }
            if (a.active()) {
                return n + " holds it (" + a.state() + ")";
            }
            if (a.state() == LocalState.CLAIMING) {
                if (s.placement.precedence(g, n, handoff) < s.placement.precedence(g, s.self, handoff)) {
                    return n + " claims it with precedence";
                }
                if (n.equals(g.yieldTo) && a.gen() == g.yieldGen) {
                    return n + " claims it for generation " + a.gen() + " and this node gave way to that claim";
                }
                if (outlastedConflict(g, n, a.gen())) {
                    g.yieldTo = n;
                    g.yieldGen = a.gen();
                    return n + " claims it too (generation " + a.gen() + ") and neither claim gave way within "
                            + Durations.format(conflictPatience()) + ": the higher generation goes first";
                }
            }
        }
        return null;
    }

    /**
     * How long two claims may each see precedence for themselves before the one of lower generation (at equal
     * generations, of the later node name) gives way. Views of the latest hand-over can differ for good (a node
     * announcing a claim does not announce what it held before), so precedence alone can leave both claims open for
     * ever; the order by generation and name is the same on both nodes. Safety does not rest on it: a claim still
     * needs every acknowledgement.
     */
    Duration conflictPatience() {
        return s.spec.timing().safetyRetryMin().multipliedBy(2);
    }

    /** Whether this node's open claim has met the claim of {@code n} long enough and ranks below it. */
    private boolean outlastedConflict(GroupRecord g, String n, long theirGen) {
        if (g.state != LocalState.CLAIMING) {
            return false;
        }
        if (g.conflictSince < 0) {
            g.conflictSince = s.now;
            return false;
        }
        if (s.now - g.conflictSince < conflictPatience().toMillis()) {
            return false;
        }
        return theirGen > g.claimGen || theirGen == g.claimGen && n.compareTo(s.self) < 0;
    }

    /** When an open claim's conflict is decided (see {@link #conflictPatience}), or -1. */
    @Override
    public long decidesAt(GroupRecord g) {
        return g.state == LocalState.CLAIMING && g.conflictSince >= 0 ? g.conflictSince + conflictPatience().toMillis() : -1;
    }

    private boolean anyFatal(GroupRecord g) {
        if (g.fatal) {
            return true;
        }
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (p.reachable && a != null && a.fatal()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String newerElsewhere(GroupRecord g) {
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            // a start that stood on a peer's silence also gives way at an equal generation: that peer, unable to hear
            // this node, may have been given a verdict that this node is dead and claimed the same generation
            if (p.reachable && a != null && a.active() && a.state() != LocalState.STOPPING
                    && (a.gen() > g.gen || a.gen() == g.gen && g.startedOnSilence)) {
                return p.id;
            }
        }
        return null;
    }

    @Override
    public void withdraw(GroupRecord g, String why) {
        s.setState(g, LocalState.OFFLINE, "claim withdrawn: " + why);
        s.emit(EventKind.GROUP_CLAIMED, Level.INFO, g.id(), null, s.self + " withdraws its claim on group " + g.id()
                + ": " + why, Map.of());
        g.claimGen = 0;
        released(g);
    }

    private boolean allAcked(GroupRecord g) {
        for (String n : g.spec.nodes()) {
            if (n.equals(s.self)) {
                continue;
            }
            PeerRecord p = s.peers.get(n);
            if (p.deadOrFenced || s.dr.fenced(g, n)) {
                continue;
            }
            GroupAnn a = s.ann(p, g);
            if (!p.reachable || a == null || a.active()) {
                return false;
            }
            if ((!s.self.equals(a.ackNode()) || a.ackGen() != g.claimGen) && !cannotHearTheClaim(p, a)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code p}'s silence about this node's claim counts as no objection: it has announced for at least
     * {@link OneWayCut#GRACE_MS} that it cannot hear this node and has not declared it dead (a one-way cut: this node
     * still hears it), and shows the group offline, unclaimed and acknowledged to nobody. It cannot acknowledge a claim it cannot hear; and it cannot start the group itself without this node's
     * acknowledgement or a verdict that this node is dead (this node is silent to it), so no second claim can
     * complete meanwhile. Without this, a group given up by a node that stopped hearing its peer stayed offline for
     * good: the peer claimed it and waited for an acknowledgement that could never come.
     */
    private boolean cannotHearTheClaim(PeerRecord p, GroupAnn a) {
        return a.state() == LocalState.OFFLINE && a.ackNode() == null && s.peerTracker.trusted(p)
                && !s.peerTracker.duplicated(p) && s.oneWayCut.silentAbout(p) && p.silentSince >= 0
                && s.now - p.silentSince >= OneWayCut.GRACE_MS;
    }

    /** The peers whose acknowledgement of this claim is their silence ({@link #cannotHearTheClaim}), for the event. */
    private String unheardAcknowledgers(GroupRecord g) {
        StringBuilder b = new StringBuilder();
        for (String n : g.spec.nodes()) {
            PeerRecord p = n.equals(s.self) ? null : s.peers.get(n);
            GroupAnn a = p == null || p.deadOrFenced ? null : s.ann(p, g);
            if (a != null && !(s.self.equals(a.ackNode()) && a.ackGen() == g.claimGen) && cannotHearTheClaim(p, a)) {
                b.append(b.length() == 0 ? "" : ", ").append(n);
            }
        }
        return b.toString();
    }

    @Override
    public void forgetAcknowledgements() {
        for (GroupRecord g : s.groups.values()) {
            g.ackNode = null;
            g.ackGen = 0;
        }
    }

    /** Acknowledges the claim of highest precedence, if this node is offline and hears nobody holding the group. */
    @Override
    public void released(GroupRecord g) {
        if (g.state != LocalState.OFFLINE) {
            return;
        }
        if (s.duplicateReason != null) {
            // the newer copy of a node that already runs: its acknowledgements would speak for the other copy
            g.ackNode = null;
            g.ackGen = 0;
            return;
        }
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (p.reachable && !p.deadOrFenced && a != null && a.active()) {
                // This node still hears p holding the group: whoever claims it (their arbiter may be wrong) gets
                // no acknowledgement from here.
                return;
            }
        }
        if (g.yieldTo != null) {
            PeerRecord y = s.peers.get(g.yieldTo);
            GroupAnn a = y == null ? null : s.ann(y, g);
            if (y != null && y.reachable && !y.deadOrFenced && a != null && a.state() == LocalState.CLAIMING
                    && a.gen() == g.yieldGen) {
                g.ackNode = y.id; // the claim this node gave way to, whatever its own view of precedence
                g.ackGen = a.gen();
                return;
            }
            g.yieldTo = null;
        }
        String handoff = s.placement.latestHandoff(g);
        boolean handoffValid = handoff != null && s.placement.eligible(g, handoff);
        String best = null;
        long bestGen = 0;
        int bestPrec = Integer.MAX_VALUE;
        long known = heldGeneration(g);
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (!p.reachable || p.deadOrFenced || !s.peerTracker.trusted(p) || a == null || a.state() != LocalState.CLAIMING
                    || a.gen() <= known || g.spec.priority(p.id) < 0) {
                continue;
            }
            if (handoffValid && !p.id.equals(handoff)) {
                continue;
            }
            int prec = s.placement.precedence(g, p.id, handoffValid ? handoff : null);
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
}
