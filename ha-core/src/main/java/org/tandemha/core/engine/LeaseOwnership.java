package org.tandemha.core.engine;

import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.EventKind;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Ownership by a lease from a coordination service (ZooKeeper), chosen when the configuration has a
 * {@code coordination} section: a group is owned by the node that holds its lease, and the lease's token (the lease
 * node's creation zxid, monotonic over the ensemble's life) is the generation the group runs at, its fencing token.
 *
 * <p>The target of a group ({@link Placement#target}) asks for its lease ({@link Action.AcquireLease}) and is in
 * CLAIMING until it is granted ({@link Input.LeaseGranted}); it then starts the group at the token. The service makes
 * the lease exclusive; this node adds two rules of its own: it does not ask while it hears a peer holding the group
 * (that peer still has its lease, or is stopping after losing it), and a peer last heard with the group FAILED blocks
 * it until that peer is fenced or an operator clears it.
 *
 * <p>Sessions: while the session is suspended (the connection to the service is lost, so the leases may expire on the
 * server at any moment) the node stops every group at once ({@link StopReason#LEASE_LOST}: a stop that fails then
 * asks for a reset, the watchdog stops being fed) and says it stands down, so that its peers place the groups
 * elsewhere. It acts again only after {@link Input.SessionVerified}: the runtime checked that each lease node's
 * ephemeral owner is still this session. A group that stopped releases its lease ({@link Action.ReleaseLease}).
 *
 * <p>Quorum is the service's: with a coordination service, a node's quorum of heartbeats does not stop its groups
 * ({@link Quorum#quorate()}). Health stays with the heartbeats and checks: who should run a group is
 * {@link Placement}'s decision, who may is the lease's.
 */
final class LeaseOwnership implements Ownership {
    private final EngineState s;

    LeaseOwnership(EngineState s) {
        this.s = s;
    }

    @Override
    public boolean mayHold() {
        return s.sessionUsable;
    }

    @Override
    public long knownGeneration(GroupRecord g) {
        long k = Math.max(Math.max(g.gen, g.leaseToken), g.floor);
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null) {
                k = Math.max(k, a.gen());
            }
        }
        return k;
    }

    @Override
    public long heldGeneration(GroupRecord g) {
        long k = Math.max(g.gen, g.floor);
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
        if (g.leaseToken > 0 && !g.leaseWanted) {
            release(g); // verified after a reconnect, but this node no longer wants it
        }
        if (blocker(g) != null) {
            release(g);
            return false;
        }
        g.prevGen = heldGeneration(g);
        g.leaseWanted = true;
        s.out.add(new Action.AcquireLease(g.id()));
        s.setState(g, LocalState.CLAIMING, "waiting for the lease of group " + g.id() + " from the coordination service");
        s.emit(EventKind.GROUP_CLAIMED, Level.INFO, g.id(), null, s.self + " asks the coordination service for the lease"
                + " of group " + g.id(), Map.of());
        return true;
    }

    @Override
    public boolean claiming(GroupRecord g) {
        String why = blocker(g);
        if (why != null) {
            withdraw(g, why);
            return true;
        }
        if (g.leaseToken == 0) {
            return false;
        }
        long held = Math.max(heldGeneration(g), g.prevGen);
        if (g.leaseToken <= held) {
            if (g.leaseToken == held && held == Math.max(g.gen, g.floor)) {
                // This node's own earlier lease, granted back (its session kept the lease node): not a new one.
                withdraw(g, "the lease granted (token " + g.leaseToken + ") is the one this node held last, not a new"
                        + " one; asking for a fresh lease");
                return true;
            }
            // Cannot happen with one ensemble (zxids only grow); it can after moving the cluster to a new ensemble.
            withdraw(g, "its lease token " + g.leaseToken + " is not above generation " + held + ", already held: the"
                    + " coordination service is not the one that granted the earlier generations (a new ensemble?);"
                    + " asking again");
            return true;
        }
        String handoff = s.placement.latestHandoff(g);
        s.sequencer.beginStart(g, g.leaseToken, held, handoff);
        return true;
    }

    /** Why this node may not ask for the group's lease now, or null. */
    private String blocker(GroupRecord g) {
        if (!s.booted || s.shuttingDown) {
            return "node not running";
        }
        if (!s.sessionUsable) {
            return "no verified session with the coordination service (" + s.sessionReason + ")";
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
        if (g.fatal) {
            return "a configuration error stops it everywhere";
        }
        if (g.maintOn) {
            return "in maintenance";
        }
        String t = s.placement.target(g);
        if (!s.self.equals(t)) {
            return t == null ? "no eligible node" : t + " is the target";
        }
        for (String n : g.spec.nodes()) {
            if (n.equals(s.self)) {
                continue;
            }
            PeerRecord p = s.peers.get(n);
            if (p.failed.contains(g.id()) && !p.fenced) {
                return n + " was last heard with " + g.id() + " FAILED (a stop failed there) and is not fenced:"
                        + " waiting until it is fenced or an operator clears " + g.id();
            }
            if (!p.reachable && p.maintHeld.contains(g.id()) && !p.fenced) {
                return n + " was last heard running " + g.id() + " in maintenance (unmanaged: it keeps it running while"
                        + " silent) and is not fenced: waiting until it is heard again, fenced, or an operator clears " + g.id();
            }
            GroupAnn a = s.ann(p, g);
            if (p.reachable && a != null && a.active()) {
                return n + " holds it (" + a.state() + ")";
            }
            if (p.reachable && s.peerTracker.duplicated(p)) {
                return "two copies of " + n + " are running";
            }
        }
        return null;
    }

    @Override
    public String newerElsewhere(GroupRecord g) {
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (p.reachable && a != null && a.active() && a.state() != LocalState.STOPPING && a.gen() > g.gen) {
                return p.id;
            }
        }
        return null;
    }

    @Override
    public String lostRight(GroupRecord g) {
        if (!s.sessionUsable) {
            return "has no verified session with the coordination service (" + s.sessionReason + ")";
        }
        if (g.leaseToken != g.gen) {
            return g.leaseToken == 0 ? "no longer holds the lease of group " + g.id()
                    : "runs group " + g.id() + " at generation " + g.gen + " but its lease has token " + g.leaseToken;
        }
        return null;
    }

    @Override
    public void withdraw(GroupRecord g, String why) {
        s.setState(g, LocalState.OFFLINE, "lease request withdrawn: " + why);
        s.emit(EventKind.GROUP_CLAIMED, Level.INFO, g.id(), null, s.self + " no longer asks for the lease of group "
                + g.id() + ": " + why, Map.of());
        release(g);
    }

    @Override
    public void released(GroupRecord g) {
        if (g.state == LocalState.OFFLINE) {
            release(g);
        }
    }

    /** Gives the lease back (or stops waiting for it), once. */
    private void release(GroupRecord g) {
        if (g.leaseWanted || g.leaseToken > 0) {
            g.leaseWanted = false;
            g.leaseToken = 0;
            s.out.add(new Action.ReleaseLease(g.id()));
        }
    }

    @Override
    public void forgetAcknowledgements() {
        // no acknowledgements: the lease speaks for this session only
    }

    @Override
    public void leaseGranted(GroupRecord g, long token) {
        if (!g.leaseWanted || g.state != LocalState.CLAIMING) {
            // granted after this node gave up asking: give it back
            g.leaseToken = token;
            g.leaseWanted = false;
            release(g);
            return;
        }
        g.leaseToken = token;
    }

    @Override
    public void leaseLost(GroupRecord g, String reason) {
        long had = g.leaseToken;
        g.leaseToken = 0;
        if (g.state == LocalState.CLAIMING) {
            return; // still asking: the runtime keeps waiting for it
        }
        if (had == 0 && !g.state.active()) {
            return;
        }
        loseGroup(g, "lost the lease of group " + g.id() + " (" + reason + ")");
    }

    @Override
    public void sessionSuspended(String reason) {
        boolean was = s.sessionUsable;
        s.sessionUsable = false;
        s.sessionReason = reason;
        if (was) {
            s.emit(EventKind.STAND_DOWN, Level.ERROR, null, null, "node " + s.self + ": session with the coordination"
                    + " service suspended (" + reason + "); its leases may expire at any moment: stopping every group at"
                    + " once and acting on none until the session is verified again", Map.of());
        }
        for (GroupRecord g : s.groups.values()) {
            loseGroup(g, null);
        }
    }

    @Override
    public void sessionVerified(Map<String, Long> leases) {
        boolean was = s.sessionUsable;
        s.sessionUsable = true;
        s.sessionReason = null;
        if (!was) {
            s.emit(EventKind.NODE_WARNING, Level.INFO, null, null, "node " + s.self + ": session with the coordination"
                    + " service verified; " + (leases.isEmpty() ? "it holds no lease" : "its leases: " + leases.keySet()),
                    Map.of());
        }
        for (GroupRecord g : s.groups.values()) {
            Long token = leases.get(g.id());
            if (token == null) {
                if (g.leaseToken > 0) {
                    leaseLost(g, "not this session's after the reconnect");
                }
                continue;
            }
            if (g.state.active() && g.gen != token) {
                g.leaseToken = token;
                loseGroup(g, "group " + g.id() + " runs at generation " + g.gen + " but its lease has token " + token);
                continue;
            }
            g.leaseToken = token;
            if (!g.state.active() && g.state != LocalState.CLAIMING) {
                g.leaseWanted = false;
                release(g);
            }
        }
    }

    /** Stops the group at once (or withdraws its request): this node may no longer hold its lease. */
    private void loseGroup(GroupRecord g, String why) {
        if (g.state == LocalState.CLAIMING) {
            withdraw(g, why == null ? "session suspended" : why);
            return;
        }
        if (!g.state.active() || g.state == LocalState.FAILED || g.state == LocalState.UNKNOWN) {
            return;
        }
        if (g.maintOn && s.commands.maintenanceKnownToPeers(g)) {
            s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id() + " is in maintenance: left"
                    + " running on " + s.self + " although its lease is lost or in doubt; the operator decides", Map.of());
            return;
        }
        if (g.maintOn) {
            s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id() + " is in maintenance, but not"
                    + " every peer was heard with it in maintenance: another node may take its lease as a managed group,"
                    + " so it is stopped on " + s.self + " too", Map.of());
        }
        if (why != null) {
            s.emit(EventKind.STAND_DOWN, Level.ERROR, g.id(), null, "node " + s.self + " " + why + ": stopping it here"
                    + " at once", Map.of());
        }
        if (g.state == LocalState.STOPPING) {
            if (g.stopReason != StopReason.CLEANUP && !g.stopReason.lettingGo()) {
                g.stopReason = StopReason.LEASE_LOST; // a failed stop must now end in a reset
            }
            return;
        }
        s.sequencer.requestStop(g, StopReason.LEASE_LOST);
    }
}
