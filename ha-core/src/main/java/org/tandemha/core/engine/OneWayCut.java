package org.tandemha.core.engine;

import java.util.Map;
import java.util.StringJoiner;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.EventKind;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Decides what this node does when a peer cannot hear it while it still hears that peer (a one-way cut).
 *
 * <p>Every node announces the peers it does not hear (the fact {@link #UNHEARD}: their ids, comma-separated), so a
 * node learns from a peer it still hears that this peer does not hear it. That alone moves nothing. But when a
 * group runs nowhere, this node does not run it (it gave it up: its local recovery failed, a start failed, a
 * switchover), and the group's target is such a peer, nothing would ever move: the peer cannot claim it (this node
 * is silent to it, and its safety check hears "alive" from the arbiters, which still hear this node), and this node
 * has no way to tell it. Once that has held for {@link #GRACE_MS} (an announcement seen just before a heal), this
 * node <b>stands aside</b>:
 * <ol>
 *   <li>it stands down ({@link NodeLifecycle#standDown}): it stops every group and claims nothing. Its other groups
 *       go to the peer too: the peer's verdict is about this node, not about one group;</li>
 *   <li>once nothing of any group runs here, it tells its edge ({@link Action.StandAside}): its arbiters stop
 *       vouching for it (a witness no longer hears its reports, a probe is not answered), so that the peer's next
 *       safety check finds it dead and the peer takes over with the usual guarantees (a new generation, the
 *       watchdog wait). A group still active here (a stop that failed, a group in maintenance) keeps it from
 *       telling them: the peer must not start what may still run here;</li>
 *   <li>it stands aside until no peer it hears says it cannot hear it (the cut healed, or the peer went silent
 *       too): then its arbiters vouch for it again, and its stand-down ends as any other (every peer heard again,
 *       or declared dead on a fresh verdict).</li>
 * </ol>
 * Not with a coordination service: the lease decides there, heard or not.
 */
final class OneWayCut {
    /** The fact a node announces: the peers it does not hear, comma-separated (absent: it hears every peer). */
    static final String UNHEARD = "tandem.unheard";

    /** How long the reason to stand aside must hold before this node acts on it. */
    static final long GRACE_MS = 1_000;

    private final EngineState s;

    OneWayCut(EngineState s) {
        this.s = s;
    }

    /**
     * The value of {@link #UNHEARD} for this node's announcement, or null when it hears every peer. A peer this node
     * declared dead or fenced is marked with a trailing {@code !}: this node no longer waits for it and may claim what
     * it held, so that peer must not read this node's silence as consent ({@link #silentAbout}).
     */
    String unheard() {
        StringJoiner j = null;
        for (PeerRecord p : s.peers.values()) {
            if (!p.reachable) {
                if (j == null) {
                    j = new StringJoiner(",");
                }
                j.add(p.deadOrFenced ? p.id + "!" : p.id);
            }
        }
        return j == null ? null : j.toString();
    }

    /** Whether a peer this node hears announces that it does not hear this node. */
    boolean deafTo(PeerRecord p) {
        return unheardBy(p, true);
    }

    /**
     * Whether a peer this node hears announces that it does not hear this node and still waits for it (it has not
     * declared this node dead): it can neither acknowledge this node's claims nor make its own claims complete.
     */
    boolean silentAbout(PeerRecord p) {
        return unheardBy(p, false);
    }

    private boolean unheardBy(PeerRecord p, boolean evenIfDeclaredDead) {
        if (!p.reachable || p.ann == null) {
            return false;
        }
        String v = p.ann.facts().get(UNHEARD);
        if (v == null) {
            return false;
        }
        for (String n : v.split(",", -1)) {
            if (n.equals(s.self) || evenIfDeclaredDead && n.length() == s.self.length() + 1 && n.startsWith(s.self)
                    && n.endsWith("!")) {
                return true;
            }
        }
        return false;
    }

    /** The next time this part wants a pass: when the grace ends. */
    long wakeup() {
        return s.asideReason == null && s.asideSince >= 0 ? s.asideSince + GRACE_MS : Long.MAX_VALUE;
    }

    /** One pass: begins, completes or ends standing aside. */
    void reconcile() {
        if (s.spec.coordinated() || !s.booted || s.shuttingDown || s.left) {
            return;
        }
        if (s.asideReason == null) {
            String why = reasonToStandAside();
            if (why == null) {
                s.asideSince = -1;
                return;
            }
            if (s.asideSince < 0) {
                s.asideSince = s.now;
            }
            if (s.now < s.asideSince + GRACE_MS) {
                return;
            }
            s.asideReason = why + "; node " + s.self + " stands aside (its other groups move too): once nothing runs"
                    + " here its arbiters stop vouching for it, so that the peer's safety check finds it gone";
            boolean already = s.selfFenced;
            s.lifecycle.standDown(s.asideReason);
            if (already) {
                s.emit(EventKind.STAND_DOWN, Level.ERROR, null, null, s.asideReason, Map.of());
            }
        }
        if (deafPeer() == null) {
            end();
            return;
        }
        if (!s.asideTold && nothingActive()) {
            s.asideTold = true;
            s.out.add(new Action.StandAside(true, s.asideReason));
            s.emit(EventKind.NODE_WARNING, Level.WARNING, null, null, "node " + s.self + " runs no group now: its"
                    + " arbiters stop vouching for it (it stands aside for " + deafPeer() + ", which cannot hear it);"
                    + " it takes part again once every peer it hears hears it", Map.of());
        }
    }

    private void end() {
        boolean told = s.asideTold;
        s.asideReason = null;
        s.asideSince = -1;
        s.asideTold = false;
        if (told) {
            s.out.add(new Action.StandAside(false, null));
        }
        s.emit(EventKind.NODE_WARNING, Level.INFO, null, null, "node " + s.self + ": every peer it hears hears it again (or is"
                + " silent now): it stops standing aside" + (told ? "; its arbiters vouch for it again" : ""), Map.of());
    }

    /** A peer this node hears that does not hear it, or null. */
    private String deafPeer() {
        for (PeerRecord p : s.peers.values()) {
            if (deafTo(p)) {
                return p.id;
            }
        }
        return null;
    }

    private boolean nothingActive() {
        if (s.standbys.busy()) {
            return false;
        }
        for (GroupRecord g : s.groups.values()) {
            if (g.state.active()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why this node must stand aside, or null: a group of its own runs nowhere (as far as it hears), this node does
     * not run it, and its target is a peer that cannot hear this node.
     */
    private String reasonToStandAside() {
        if (deafPeer() == null) {
            return null; // (the cheap test first: no peer says it cannot hear this node)
        }
        for (GroupRecord g : s.groups.values()) {
            if (g.state != LocalState.OFFLINE || g.maintOn || g.fatal || !g.spec.nodes().contains(s.self)
                    || activeElsewhere(g)) {
                continue;
            }
            String t = s.placement.target(g);
            if (t == null || t.equals(s.self)) {
                continue;
            }
            PeerRecord p = s.peers.get(t);
            if (p != null && deafTo(p)) {
                return "node " + t + " cannot hear " + s.self + " (a one-way cut: " + s.self + " still hears " + t
                        + ") and group " + g.id() + ", which runs nowhere, can go only to " + t;
            }
        }
        return null;
    }

    private boolean activeElsewhere(GroupRecord g) {
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null && a.active()) {
                return true;
            }
        }
        return false;
    }
}
