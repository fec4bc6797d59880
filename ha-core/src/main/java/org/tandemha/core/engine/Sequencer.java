package org.tandemha.core.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.Severity;
import org.tandemha.core.engine.Action.ResourceOp;

/**
 * Runs a group's start and stop sequences: resources start in order, one at a time, and stop in reverse order;
 * each action has its deadline. Decides what a finished action means: the next step, a failed start (block here and
 * stop, so the group moves on), a failed stop (the group is FAILED here and blocks every other node until this one
 * is fenced or cleared; when this node had to let go, it must be reset), a local recovery that worked or not.
 */
final class Sequencer {
    private final EngineState s;

    Sequencer(EngineState s) {
        this.s = s;
    }

    /** Starts the group at generation {@code gen}, granted by the {@link Ownership}. */
    void beginStart(GroupRecord g, long gen, long prevGen, String handoff) {
        String id = g.id();
        // an administrator's choice stays put; a move to a node that reaches more ping hosts is not one
        g.byAdmin = s.self.equals(handoff) && !s.placement.handedOverForReach(g);
        boolean heldHereLast = g.gen > 0 && g.gen == prevGen; // restarting what this node itself held
        boolean someoneGaveUp = !takeoverReasons(g).isEmpty();
        g.transition = s.self.equals(handoff) ? "switchover" : prevGen > 0 && !heldHereLast && someoneGaveUp ? "failover" : "start";
        g.transitionAt = s.now;
        g.gen = gen;
        g.handoff = null;
        g.stopAfter = null;
        g.epoch++;
        g.seq = 0;
        s.standbys.promoting(g);
        s.setState(g, LocalState.STARTING, "starting, generation " + g.gen);
        if (g.transition.equals("failover")) {
            s.emit(EventKind.FAILOVER_STARTED, Level.WARNING, id, null, "taking over group " + id + ", generation " + g.gen
                    + " (was " + prevGen + ")" + takeoverReasons(g), Map.of("generation", String.valueOf(g.gen)));
        }
        startNext(g);
    }

    private String takeoverReasons(GroupRecord g) {
        StringBuilder sb = new StringBuilder();
        for (String n : g.spec.nodes()) {
            PeerRecord p = s.peers.get(n);
            if (p != null && p.deadOrFenced) {
                sb.append("; ").append(n).append(": ").append(p.deadReason);
            } else if (p != null) {
                Announcement.GroupAnn a = s.ann(p, g);
                if (a != null && a.blocked()) {
                    sb.append("; ").append(n).append(" gave it up");
                }
            }
        }
        return sb.toString();
    }

    private void startNext(GroupRecord g) {
        if (g.stopAfter != null) {
            StopReason r = g.stopAfter;
            g.stopAfter = null;
            beginStop(g, r);
            return;
        }
        if (g.seq >= g.spec.resources().size()) {
            s.setState(g, LocalState.ONLINE, "online, generation " + g.gen);
            long took = s.now - g.transitionAt;
            String id = g.id();
            Map<String, String> d = Map.of("generation", String.valueOf(g.gen), "durationMs", String.valueOf(took));
            switch (g.transition) {
                case "failover" -> s.emit(EventKind.FAILOVER_FINISHED, Level.WARNING, id, null, "group " + id
                        + " is online on " + s.self + " after failover in " + took + " ms, generation " + g.gen, d);
                case "switchover" -> s.emit(EventKind.SWITCHOVER_FINISHED, Level.INFO, id, null, "group " + id
                        + " is online on " + s.self + " after switchover, generation " + g.gen, d);
                default -> { } // setState reported it
            }
            return;
        }
        GroupRecord.Res r = g.resAt(g.seq);
        // a promotable group's replicated resource is promoted here (it may run as a standby already)
        issueResource(g, r, replicated(g, g.seq) ? ResourceOp.PROMOTE : ResourceOp.START, r.spec.startTimeout(), null);
    }

    void issueResource(GroupRecord g, GroupRecord.Res r, ResourceOp op, Duration timeout, CheckResult cause) {
        long id = s.newId();
        g.seqId = id;
        s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.RESOURCE, g.id(), r.spec.id(), g.epoch,
                s.now + timeout.toMillis() + EngineState.DEADLINE_GRACE_MS, op, null, null, timeout));
        s.out.add(new Action.RunResource(id, op, g.id(), r.spec.id(), g.gen, timeout, cause));
    }

    /** Stop now, or after the action in flight when starting or recovering. */
    void requestStop(GroupRecord g, StopReason reason) {
        switch (g.state) {
            case ONLINE -> beginStop(g, reason);
            case STARTING, RECOVERING -> g.stopAfter = reason;
            case CLAIMING -> s.ownership.withdraw(g, reason.name().toLowerCase().replace('_', ' '));
            case UNKNOWN, OFFLINE, STOPPING, FAILED -> { }
        }
    }

    void beginStop(GroupRecord g, StopReason reason) {
        g.stopReason = reason;
        g.stopAfter = null;
        g.epoch++;
        g.seq = g.spec.resources().size() - 1;
        g.transitionAt = s.now;
        for (GroupRecord.Res r : g.res.values()) {
            r.quickId = 0;
            r.deepId = 0;
            r.nextQuick = Long.MAX_VALUE;
            r.nextDeep = Long.MAX_VALUE;
        }
        s.setState(g, LocalState.STOPPING, "stopping: " + reason.describe());
        stopNext(g);
    }

    private void stopNext(GroupRecord g) {
        if (g.seq < 0) {
            finishStop(g);
            return;
        }
        GroupRecord.Res r = g.resAt(g.seq);
        // a planned release demotes the primary (it then follows the new one); any other stop stops it
        boolean planned = g.stopReason == StopReason.SWITCHOVER || g.stopReason == StopReason.SWITCHBACK
                || g.stopReason == StopReason.CONNECTIVITY;
        issueResource(g, r, replicated(g, g.seq) && planned ? ResourceOp.DEMOTE : ResourceOp.STOP, r.spec.stopTimeout(), null);
    }

    /** Whether the resource at {@code index} is the replicated resource of a promotable group. */
    static boolean replicated(GroupRecord g, int index) {
        return g.spec.promotable() && index == 0;
    }

    private void finishStop(GroupRecord g) {
        String id = g.id();
        StopReason reason = g.stopReason;
        s.setState(g, LocalState.OFFLINE, reason == StopReason.CLEANUP ? "offline" : "offline after " + reason.describe());
        g.byAdmin = false;
        switch (reason) {
            case CLEANUP -> { }
            case SWITCHOVER, SWITCHBACK, CONNECTIVITY -> s.emit(EventKind.GROUP_STATE, Level.INFO, id, null, "group " + id
                    + " stopped on " + s.self + " in " + (s.now - g.transitionAt) + " ms; handing it to " + g.handoff, Map.of());
            case FAILOVER, START_FAILED -> {
                String next = s.placement.target(g);
                s.emit(EventKind.FAILOVER_STARTED, Level.ERROR, id, null, "group " + id + " left " + s.self + " ("
                        + g.blockedReason + "); " + (next == null ? "no other node can run it now" : "next node: " + next),
                        Map.of());
            }
            default -> s.emit(EventKind.GROUP_STATE, Level.WARNING, id, null, "group " + id + " stopped on " + s.self
                    + ": " + reason.describe(), Map.of());
        }
        if (reason != StopReason.SWITCHOVER && reason != StopReason.SWITCHBACK && reason != StopReason.CONNECTIVITY) {
            g.handoff = null;
        }
        s.ownership.released(g);
    }

    void actionDone(long id, ActionResult result) {
        EngineState.Pending pd = s.pending.remove(id);
        if (pd == null || pd.kind() != EngineState.PendingKind.RESOURCE) {
            return;
        }
        if (pd.op() != null && pd.op().standby()) {
            s.standbys.actionDone(id, pd, result);
            return;
        }
        GroupRecord g = s.groups.get(pd.group());
        if (g == null || pd.epoch() != g.epoch || g.seqId != id) {
            return;
        }
        GroupRecord.Res r = g.res.get(pd.resource());
        Map<String, String> d = Map.of("durationMs", String.valueOf(result.duration().toMillis()), "outcome", result.outcome().name());
        switch (pd.op()) {
            case START, PROMOTE -> started(g, r, result, d);
            case STOP, DEMOTE -> stopped(g, r, result, d);
            case RECOVER -> recovered(g, r, result, d);
            case START_STANDBY, STOP_STANDBY -> { } // (routed to the standbys above)
        }
    }

    private void started(GroupRecord g, GroupRecord.Res r, ActionResult result, Map<String, String> d) {
        if (result.isDone()) {
            r.running = true;
            r.nextQuick = s.now + r.spec.quickInterval().toMillis();
            r.nextDeep = s.now + r.spec.deepInterval().toMillis();
            s.health.rescheduled(g);
            r.failing = false;
            s.emit(EventKind.RESOURCE_STARTED, Level.INFO, g.id(), r.spec.id(), "started " + r.spec.id() + ": " + result.reason(), d);
            if (replicated(g, g.seq)) {
                Map<String, String> risk = s.standbys.atRisk(g);
                s.emit(EventKind.PROMOTED, g.transition.equals("failover") ? Level.WARNING : Level.INFO, g.id(), r.spec.id(),
                        r.spec.id() + " promoted to primary on " + s.self + " at generation " + g.gen + " (" + g.transition
                        + "); data at risk: " + risk.get("atRiskBytes") + " bytes, " + risk.get("atRiskSeconds")
                        + " s (this copy " + risk.get("position") + ", best known " + risk.get("bestKnown") + ")", risk);
            }
            g.seq++;
            startNext(g);
        } else {
            s.emit(EventKind.RESOURCE_START_FAILED, Level.ERROR, g.id(), r.spec.id(), "start of " + r.spec.id()
                    + " failed on " + s.self + ": " + result.reason() + tail(result.output()), d);
            block(g, "start of " + r.spec.id() + " failed: " + result.reason(), result.severity());
            beginStop(g, StopReason.START_FAILED);
        }
    }

    private void stopped(GroupRecord g, GroupRecord.Res r, ActionResult result, Map<String, String> d) {
        String gid = g.id();
        if (result.isDone()) {
            r.running = false;
            if (g.stopReason != StopReason.CLEANUP) {
                s.emit(EventKind.RESOURCE_STOPPED, Level.INFO, gid, r.spec.id(), "stopped " + r.spec.id(), d);
            }
            if (replicated(g, g.seq) && (g.stopReason == StopReason.SWITCHOVER || g.stopReason == StopReason.SWITCHBACK)) {
                s.emit(EventKind.DEMOTED, Level.INFO, gid, r.spec.id(), r.spec.id() + " demoted on " + s.self + " ("
                        + g.stopReason.describe() + "); it follows the new primary as a standby", d);
            }
            g.seq--;
            stopNext(g);
            return;
        }
        if (g.stopReason.lettingGo()) {
            // Another node may take this group now: this node must stop touching it, whatever it takes.
            s.resetReason = "cannot stop group " + gid + " (" + r.spec.id() + ": " + result.reason() + ") while "
                    + g.stopReason.describe();
            s.emit(EventKind.STAND_DOWN, Level.ERROR, gid, r.spec.id(), s.resetReason + (s.spec.watchdog().enabled()
                    ? "; letting the watchdog reset this node" : "; no watchdog is configured: reset this node by hand"), Map.of());
        }
        s.setState(g, LocalState.FAILED, "stop of " + r.spec.id() + " failed: " + result.reason());
        s.emit(EventKind.RESOURCE_STOP_FAILED, Level.ERROR, gid, r.spec.id(), "stop of " + r.spec.id()
                + " failed on " + s.self + ": " + result.reason() + "; group " + gid + " is FAILED here and will"
                + " not start elsewhere until " + s.self + " is fenced or an operator clears it"
                + tail(result.output()), d);
        for (GroupRecord.Waiter w : g.waiters) {
            s.commands.complete(w.commandId(), CommandResult.refused("stop of " + r.spec.id() + " failed on " + s.self
                    + ": " + result.reason() + "; the group is FAILED"));
        }
        g.waiters.clear();
    }

    private void recovered(GroupRecord g, GroupRecord.Res r, ActionResult result, Map<String, String> d) {
        if (result.isDone()) {
            s.setState(g, LocalState.ONLINE, "online, generation " + g.gen + " (recovered " + r.spec.id() + ")");
            r.nextQuick = s.now + r.spec.quickInterval().toMillis();
            r.nextDeep = s.now + r.spec.deepInterval().toMillis();
            s.health.rescheduled(g);
            r.running = true;
            s.emit(EventKind.RECOVERY_SUCCEEDED, Level.WARNING, g.id(), r.spec.id(), "local recovery of " + r.spec.id()
                    + " worked in " + result.duration().toMillis() + " ms: " + result.reason(), d);
            if (g.stopAfter != null) {
                StopReason sr = g.stopAfter;
                g.stopAfter = null;
                beginStop(g, sr);
            }
        } else {
            s.emit(EventKind.RECOVERY_FAILED, Level.ERROR, g.id(), r.spec.id(), "local recovery of " + r.spec.id()
                    + " failed: " + result.reason() + "; failing over" + tail(result.output()), d);
            block(g, "local recovery of " + r.spec.id() + " failed", result.severity());
            beginStop(g, StopReason.FAILOVER);
        }
    }

    /**
     * A probe found a resource of {@code g} running here. Before the node booted (UNKNOWN) the clean-up at start stops
     * it; while the group is OFFLINE here it is stopped, unless the group runs nowhere and this node is the one to
     * start it (its idempotent start takes it over), or the group is in maintenance or promotable (its standby runs
     * here by design: reported only). In any other state the group may run here: nothing to do.
     */
    void foundRunning(GroupRecord g, String resource, String reason) {
        String where = "resource " + resource + " of group " + g.id() + " found running on " + s.self + " (" + reason + ")";
        Map<String, String> d = Map.of("probe", reason == null ? "" : reason);
        switch (g.state) {
            case UNKNOWN -> s.emit(EventKind.RESOURCE_FOUND_RUNNING, Level.WARNING, g.id(), resource, where
                    + " when the node started; the clean-up at start stops it", d);
            case OFFLINE -> {
                String holder = s.placement.holder(g);
                String target = s.placement.target(g);
                String runs = holder != null ? "the group runs on " + holder : "the group runs nowhere"
                        + (target == null ? "" : " and " + target + " is next to start it");
                if (g.maintOn || g.spec.promotable()) {
                    s.emit(EventKind.RESOURCE_FOUND_RUNNING, Level.ERROR, g.id(), resource, where + ", where the group"
                            + " does not run (" + runs + "); the group is " + (g.maintOn ? "in maintenance" : "promotable")
                            + ": left alone, the operator decides", d);
                } else if (holder == null && s.self.equals(target)) {
                    s.emit(EventKind.RESOURCE_FOUND_RUNNING, Level.WARNING, g.id(), resource, where + " before the group"
                            + " started; " + runs.replace(target + " is", "this node is") + ": its start takes it over", d);
                } else {
                    s.emit(EventKind.RESOURCE_FOUND_RUNNING, Level.ERROR, g.id(), resource, where + ", where the group"
                            + " does not run (" + runs + "): stopping it here", d);
                    beginStop(g, StopReason.FOUND_RUNNING);
                }
            }
            case CLAIMING, STARTING, ONLINE, RECOVERING, STOPPING, FAILED -> { }
        }
    }

    static String tail(List<String> output) {
        if (output.isEmpty()) {
            return "";
        }
        return "; output: " + String.join(" | ", output.subList(Math.max(0, output.size() - 3), output.size()));
    }

    void block(GroupRecord g, String reason, Severity severity) {
        g.blocked = true;
        g.blockedReason = reason;
        if (severity == Severity.FATAL) {
            g.fatal = true;
            s.emit(EventKind.GROUP_STATE, Level.ERROR, g.id(), null, "group " + g.id() + " has a configuration"
                    + " error and will run nowhere until it is fixed and cleared: " + reason, Map.of());
        }
    }
}
