package org.tandemha.core.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Decides the operator's commands: switchover and switchback (a planned handoff, forwarded to the node holding the
 * group and answered once the group runs on its target, or refused with the reason), maintenance on and off, and
 * clearing failures. Maintenance and clear are last-writer-wins registers that travel with announcements; a node
 * sets one only once it knows its peers' versions.
 */
final class Commands {
    private final EngineState s;

    Commands(EngineState s) {
        this.s = s;
    }

    void command(Input.Command c) {
        GroupRecord g = s.groups.get(c.group());
        if (g == null) {
            refuse(c.id(), "no group named '" + c.group() + "'; groups: " + String.join(", ", s.groups.keySet()));
            return;
        }
        if (!s.booted) {
            refuse(c.id(), "node " + s.self + " is not running");
            return;
        }
        if (s.shuttingDown && (c.kind() == Input.Command.Kind.SWITCHOVER || c.kind() == Input.Command.Kind.SWITCHBACK
                || c.kind() == Input.Command.Kind.PROMOTE_DR || c.kind() == Input.Command.Kind.PROMOTE_DR_FENCE)) {
            // (clear and maintenance still work: a node kept up by a group that failed to stop is cleared here)
            refuse(c.id(), "node " + s.self + " is shutting down; give the command on another node");
            return;
        }
        switch (c.kind()) {
            case SWITCHOVER -> switchover(c.id(), g, c.target(), "switchover");
            case SWITCHBACK -> {
                String pref = s.placement.firstEligible(g);
                if (pref == null) {
                    refuse(c.id(), "no node can take group " + g.id() + " now");
                } else {
                    switchover(c.id(), g, pref, "switchback");
                }
            }
            case MAINTENANCE_ON, MAINTENANCE_OFF -> maintenance(c.id(), g, c.kind() == Input.Command.Kind.MAINTENANCE_ON);
            case CLEAR -> clear(c.id(), g);
            case PROMOTE_DR_PREVIEW, PROMOTE_DR, PROMOTE_DR_FENCE -> s.dr.command(c.id(), g, c.kind(), c.target());
        }
    }

    private void maintenance(long cmdId, GroupRecord g, boolean on) {
        String unknown = registersUnknown();
        if (unknown != null) {
            refuse(cmdId, unknown);
            return;
        }
        long v = g.maintVer;
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null) {
                v = Math.max(v, a.maintVer());
            }
        }
        g.maintVer = v + 1;
        g.maintNode = s.self;
        boolean was = g.maintOn;
        g.maintOn = on;
        if (was != on) {
            s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id()
                    + (on ? " put in maintenance: the cluster no longer starts, stops or recovers it; checks still report"
                          : " is managed again"), Map.of());
        }
        complete(cmdId, CommandResult.ok("group " + g.id() + (on ? " is in maintenance" : " is managed again"), Duration.ZERO));
    }

    private void clear(long cmdId, GroupRecord g) {
        String unknown = registersUnknown();
        if (unknown != null) {
            refuse(cmdId, unknown);
            return;
        }
        long v = g.clearVer;
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null) {
                v = Math.max(v, a.clearVer());
            }
        }
        g.clearVer = v + 1;
        applyClear(g);
        complete(cmdId, CommandResult.ok("failures of group " + g.id() + " cleared on every reachable node", Duration.ZERO));
    }

    /**
     * Why this node cannot set a register (maintenance, clear) now, or null: it must know its peers' versions first,
     * or its write would lose against a higher one it has not seen and be undone after it was answered "done".
     */
    private String registersUnknown() {
        for (PeerRecord p : s.peers.values()) {
            boolean waiting = p.reachable ? p.ann == null
                    : !p.everHeard && !p.deadOrFenced && s.now - s.bootAt < s.spec.timing().startupWait().toMillis();
            if (waiting) {
                return "node " + s.self + " does not know " + p.id + "'s state yet (it started "
                        + Durations.format(Duration.ofMillis(s.now - s.bootAt)) + " ago); try again in a few seconds, or give"
                        + " the command on another node";
            }
        }
        return null;
    }

    /**
     * Whether every other node of the group was last heard with this node's maintenance register for it, set on: only
     * then may this node keep the group running, unmanaged, when it stands down or loses its quorum or lease. A peer
     * that has not heard the register (it was set just before a cut) takes the group over as a managed one, so this node
     * must stop it like any other; a peer that heard it leaves it alone (and does not start it while this node is silent).
     */
    boolean maintenanceKnownToPeers(GroupRecord g) {
        for (String n : g.spec.nodes()) {
            PeerRecord p = s.peers.get(n);
            if (p == null || n.equals(s.self)) {
                continue;
            }
            GroupAnn a = s.ann(p, g);
            if (a == null || !a.maintOn() || a.maintVer() != g.maintVer || !java.util.Objects.equals(a.maintNode(), g.maintNode)) {
                return false;
            }
        }
        return true;
    }

    /** Last-writer-wins registers (maintenance, clear) travel with announcements. */
    void adoptRegisters(GroupRecord g, GroupAnn a) {
        if (a.maintVer() > g.maintVer || (a.maintVer() == g.maintVer && a.maintNode() != null && g.maintNode != null
                && a.maintNode().compareTo(g.maintNode) > 0)) {
            boolean was = g.maintOn;
            g.maintVer = a.maintVer();
            g.maintNode = a.maintNode();
            g.maintOn = a.maintOn();
            if (was != g.maintOn) {
                s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id()
                        + (g.maintOn ? " is in maintenance (unmanaged)" : " is managed again") + ", set on " + a.maintNode(), Map.of());
            }
        }
        if (a.clearVer() > g.clearVer) {
            g.clearVer = a.clearVer();
            applyClear(g);
        }
    }

    private void applyClear(GroupRecord g) {
        boolean any = g.blocked || g.fatal || g.state == LocalState.FAILED;
        for (PeerRecord p : s.peers.values()) {
            if (!p.reachable && p.failed.remove(g.id())) {
                any = true; // the operator says what failed to stop on that silent node is stopped
            }
            if (!p.reachable && p.maintHeld.remove(g.id())) {
                any = true; // ... and that what ran there in maintenance is stopped
            }
        }
        if (g.lagRefusal != null) {
            any = true;
            g.lagWaivedAt = s.ownership.heldGeneration(g); // the operator accepts the loss maxLagOnFailover refused
        }
        s.dr.cleared(g);
        g.blocked = false;
        g.blockedReason = null;
        g.fatal = false;
        for (GroupRecord.Res r : g.res.values()) {
            r.failures.clear();
            r.failing = false;
        }
        if (g.state == LocalState.FAILED) {
            // The resources may still run here: stop them again; the group is offline only once that works.
            s.emit(EventKind.GROUP_STATE, Level.WARNING, g.id(), null, "group " + g.id() + " cleared on " + s.self
                    + " after a failed stop: stopping it again before anyone may start it", Map.of());
            s.sequencer.beginStop(g, StopReason.CLEARED);
        }
        if (any) {
            s.emit(EventKind.GROUP_STATE, Level.INFO, g.id(), null, "failures of group " + g.id() + " cleared on " + s.self, Map.of());
        }
    }

    private void switchover(long cmdId, GroupRecord g, String target, String what) {
        String gid = g.id();
        if (target == null || g.spec.priority(target) < 0) {
            refuse(cmdId, "node '" + target + "' may not run group " + gid + "; its nodes are " + g.spec.nodes());
            return;
        }
        if (g.maintOn) {
            refuse(cmdId, "group " + gid + " is in maintenance; take it out of maintenance first");
            return;
        }
        String holder = s.placement.holder(g);
        if (holder == null) {
            refuse(cmdId, "group " + gid + " is not online anywhere (here: " + g.state + "); nothing to move");
            return;
        }
        if (holder.equals(target)) {
            refuse(cmdId, "group " + gid + " already runs on " + target);
            return;
        }
        if (!s.placement.eligible(g, target)) {
            refuse(cmdId, cannotTake(g, target));
            return;
        }
        GroupRecord.Waiter w = new GroupRecord.Waiter(cmdId, target, s.ownership.knownGeneration(g), s.now,
                s.now + s.spec.timing().commandTimeout().toMillis());
        if (holder.equals(s.self)) {
            if (g.state != LocalState.ONLINE) {
                refuse(cmdId, "group " + gid + " is " + g.state + " here; try again when it is online");
                return;
            }
            g.waiters.add(w);
            startSwitchover(g, target, what);
        } else {
            s.remoteCommands.put(cmdId, w);
            s.remoteGroup.put(cmdId, gid);
            s.out.add(new Action.Send(holder, new Wire.SwitchoverRequest(cmdId, gid, target)));
            s.emit(EventKind.SWITCHOVER_STARTED, Level.INFO, gid, null, what + " of group " + gid + " to " + target
                    + " requested from " + holder, Map.of("target", target));
        }
    }

    /** Why {@code node} may not take the group now, for a refused command. */
    private String cannotTake(GroupRecord g, String node) {
        PeerRecord p = s.peers.get(node);
        if (p != null && p.reachable && s.now < p.settleUntil) {
            return "node " + node + " restarted moments ago and is trusted again in "
                    + Durations.format(Duration.ofMillis(p.settleUntil - s.now)) + "; try again then";
        }
        return "node " + node + " cannot take group " + g.id() + " now (unreachable, blocked or standing down)";
    }

    private void startSwitchover(GroupRecord g, String target, String what) {
        s.emit(EventKind.SWITCHOVER_STARTED, Level.INFO, g.id(), null, what + " of group " + g.id() + " from "
                + s.self + " to " + target + ": stopping it here (top-down)", Map.of("target", target));
        g.handoff = target;
        s.sequencer.beginStop(g, what.equals("switchback") ? StopReason.SWITCHBACK : StopReason.SWITCHOVER);
    }

    void peerMessage(String peer, Wire.Message m) {
        m.dispatch(new Wire.Message.Handler() {
            @Override
            public void switchoverRequest(Wire.SwitchoverRequest r) {
                GroupRecord g = s.groups.get(r.group());
                String problem = null;
                if (g == null) {
                    problem = "no group named '" + r.group() + "' on " + s.self;
                } else if (g.state != LocalState.ONLINE) {
                    problem = "group " + r.group() + " is " + g.state + " on " + s.self;
                } else if (g.maintOn) {
                    problem = "group " + r.group() + " is in maintenance";
                } else if (!s.placement.eligible(g, r.target())) {
                    problem = cannotTake(g, r.target());
                }
                if (problem != null) {
                    s.out.add(new Action.Send(peer, new Wire.CommandReply(r.requestId(), false, problem)));
                } else {
                    s.out.add(new Action.Send(peer, new Wire.CommandReply(r.requestId(), true, "stopping")));
                    startSwitchover(g, r.target(), "switchover");
                }
            }

            @Override
            public void commandReply(Wire.CommandReply r) {
                if (!r.accepted() && s.remoteCommands.remove(r.requestId()) != null) {
                    s.remoteGroup.remove(r.requestId());
                    refuse(r.requestId(), r.message());
                }
            }

            @Override
            public void duplicateSeen(Wire.DuplicateSeen d) {
                if (d.node().equals(s.self)) {
                    s.lifecycle.duplicateOfSelf(d.older(), d.newer());
                }
            }
        });
    }

    void finishWaiters() {
        for (GroupRecord g : s.groups.values()) {
            g.waiters.removeIf(w -> settle(w, g));
        }
        for (var it = s.remoteCommands.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            GroupRecord g = s.groups.get(s.remoteGroup.get(e.getKey()));
            if (g == null || settle(e.getValue(), g)) {
                it.remove();
                s.remoteGroup.remove(e.getKey());
            }
        }
    }

    /** When commands waiting for an answer time out. */
    void wakeups(NextWakeup t) {
        for (GroupRecord g : s.groups.values()) {
            for (GroupRecord.Waiter w : g.waiters) {
                t.add(w.deadline());
            }
        }
        for (GroupRecord.Waiter w : s.remoteCommands.values()) {
            t.add(w.deadline());
        }
    }

    /** Completes a waiter when the group is online on a newer generation, or its deadline passed. */
    private boolean settle(GroupRecord.Waiter w, GroupRecord g) {
        String holder = s.placement.holder(g);
        long gen = holder == null ? 0 : holder.equals(s.self) ? g.gen : s.ann(s.peers.get(holder), g).gen();
        boolean onlineSomewhere = holder != null && (holder.equals(s.self) ? g.state == LocalState.ONLINE
                : s.ann(s.peers.get(holder), g).state() == LocalState.ONLINE);
        if (onlineSomewhere && gen > w.sinceGen()) {
            Duration took = Duration.ofMillis(s.now - w.startedAt());
            if (holder.equals(w.target())) {
                complete(w.commandId(), CommandResult.ok("group " + g.id() + " now runs on " + holder + " (generation "
                        + gen + "), moved in " + took.toMillis() + " ms", took));
            } else {
                complete(w.commandId(), CommandResult.refused("group " + g.id() + " did not start on " + w.target()
                        + "; it runs on " + holder + " now"));
            }
            return true;
        }
        PeerRecord t = s.peers.get(w.target());
        if (g.state == LocalState.OFFLINE && w.target().equals(g.handoff) && t != null && !t.reachable && t.degradedReported) {
            // Handed over, then cut off from the target, which the safety check says is alive: whether it heard the
            // hand-over (and started the group) cannot be known here, so the group is not started again here either.
            complete(w.commandId(), CommandResult.refused("the heartbeat paths to " + w.target() + " failed during the"
                    + " switchover: group " + g.id() + " is stopped on " + s.self + " and handed to " + w.target() + ", which"
                    + " is alive but unreachable; it starts there once the nodes hear each other again (repair the heartbeat"
                    + " paths). It is not started again on " + s.self + ": " + w.target() + " may have heard the hand-over"));
            return true;
        }
        if (s.now >= w.deadline()) {
            complete(w.commandId(), CommandResult.refused("group " + g.id() + " did not reach " + w.target() + " within "
                    + Durations.format(s.spec.timing().commandTimeout()) + "; here it is " + g.state));
            return true;
        }
        return false;
    }

    void refuse(long id, String why) {
        s.emit(EventKind.COMMAND_REFUSED, Level.WARNING, null, null, "command refused: " + why, Map.of());
        complete(id, CommandResult.refused(why));
    }

    void complete(long id, CommandResult r) {
        if (id > 0) {
            s.out.add(new Action.CompleteCommand(id, r));
        }
    }
}
