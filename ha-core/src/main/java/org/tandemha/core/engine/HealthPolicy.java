package org.tandemha.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Map;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.api.Severity;
import org.tandemha.core.engine.Action.CheckKind;
import org.tandemha.core.engine.Action.ResourceOp;

/**
 * Runs each online resource's quick and deep checks on their own intervals and decides what a failed check means:
 * a soft failure is recovered locally, up to {@code maxRecoveries} times in {@code recoveryWindow}, then the group
 * fails over; a hard or fatal failure fails it over at once (fatal: it runs nowhere until cleared). A group in
 * maintenance is checked and reported, never acted on.
 */
final class HealthPolicy {
    private final EngineState s;

    HealthPolicy(EngineState s) {
        this.s = s;
    }

    /**
     * A check due at {@code at}: the queue of due checks holds one for every check of a group online here that is
     * not running (and some that no longer hold, dropped when they come up), so that an input looks only at the checks
     * due, not at every resource (thousands of resources, thousands of check results a second).
     */
    private record Due(long at, int group, int res, boolean deep, GroupRecord g, GroupRecord.Res r) {
        boolean holds() {
            return g.state == LocalState.ONLINE && (deep ? r.deepId == 0 && r.nextDeep == at : r.quickId == 0 && r.nextQuick == at);
        }
    }

    /** The order of the old scan of every resource: group, resource, quick before deep. */
    private static final Comparator<Due> IN_ORDER = (a, b) -> {
        int c = Integer.compare(a.group, b.group);
        if (c == 0) {
            c = Integer.compare(a.res, b.res);
        }
        return c != 0 ? c : Boolean.compare(a.deep, b.deep);
    };
    private static final Comparator<Due> BY_TIME = (a, b) -> {
        int c = Long.compare(a.at, b.at);
        return c != 0 ? c : IN_ORDER.compare(a, b);
    };
    private final PriorityQueue<Due> due = new PriorityQueue<>(BY_TIME);
    private final Map<GroupRecord, Integer> groupIndex = new IdentityHashMap<>();
    private boolean queued;

    void runDueChecks() {
        if (!queued) {
            queued = true;
            for (GroupRecord g : s.groups.values()) {
                groupIndex.put(g, groupIndex.size());
            }
            for (GroupRecord g : s.groups.values()) {
                rescheduled(g);
            }
        }
        List<Due> now = new ArrayList<>();
        while (!due.isEmpty() && due.peek().at() <= s.now) {
            Due d = due.poll();
            if (d.holds()) {
                now.add(d);
            }
        }
        now.sort(IN_ORDER);
        for (Due d : now) {
            if (!d.holds()) {
                continue; // (queued twice)
            }
            if (d.deep()) {
                d.r().deepId = issueCheck(d.g(), d.r(), CheckKind.DEEP, d.r().spec.deepTimeout());
            } else {
                d.r().quickId = issueCheck(d.g(), d.r(), CheckKind.QUICK, d.r().spec.quickTimeout());
            }
        }
    }

    /** When the next checks are due (of the groups online here). */
    void wakeups(NextWakeup t) {
        if (!queued) {
            for (GroupRecord g : s.groups.values()) {
                if (g.state == LocalState.ONLINE) {
                    for (GroupRecord.Res r : g.res.values()) {
                        if (r.quickId == 0) {
                            t.add(r.nextQuick);
                        }
                        if (r.deepId == 0) {
                            t.add(r.nextDeep);
                        }
                    }
                }
            }
            return;
        }
        while (!due.isEmpty() && !due.peek().holds()) {
            due.poll();
        }
        if (!due.isEmpty()) {
            t.add(due.peek().at());
        }
    }

    /** The checks of {@code g} may fall due at new times (it came online, a resource started or recovered). */
    void rescheduled(GroupRecord g) {
        if (g.state != LocalState.ONLINE) {
            return; // queued when it comes online
        }
        for (GroupRecord.Res r : g.res.values()) {
            queue(g, r, false, r.nextQuick);
            queue(g, r, true, r.nextDeep);
        }
    }

    private void queue(GroupRecord g, GroupRecord.Res r, boolean deep, long at) {
        if (!queued || at == Long.MAX_VALUE || g.state != LocalState.ONLINE) {
            return;
        }
        due.add(new Due(at, groupIndex.get(g), r.index, deep, g, r));
    }

    private long issueCheck(GroupRecord g, GroupRecord.Res r, CheckKind kind, Duration timeout) {
        long id = s.newId();
        s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.CHECK, g.id(), r.spec.id(), g.epoch,
                s.now + timeout.toMillis() + EngineState.DEADLINE_GRACE_MS, null, kind, null, timeout));
        s.out.add(new Action.RunCheck(id, kind, g.id(), r.spec.id(), g.gen, timeout));
        return id;
    }

    /**
     * When the next check is due after one that was due at {@code due} has answered: one interval after it was due,
     * not after it answered, so that a check keeps its rhythm (the time it takes to run and to be answered does not
     * add up from one check to the next); one interval from now when it answered later than that (a check that ran
     * past its interval is not run again at once to catch up).
     */
    private long inRhythm(long due, long interval) {
        return due != Long.MAX_VALUE && due + interval > s.now ? due + interval : s.now + interval;
    }

    void checkDone(long id, CheckResult result) {
        EngineState.Pending pd = s.pending.remove(id);
        if (pd == null || pd.kind() != EngineState.PendingKind.CHECK) {
            return;
        }
        if (pd.check() == CheckKind.STANDBY) {
            s.standbys.checkDone(id, pd, result);
            return;
        }
        GroupRecord g = s.groups.get(pd.group());
        if (g == null || pd.epoch() != g.epoch) {
            return;
        }
        GroupRecord.Res r = g.res.get(pd.resource());
        if (pd.check() == CheckKind.QUICK) {
            r.quickId = 0;
            r.nextQuick = inRhythm(r.nextQuick, r.spec.quickInterval().toMillis());
            queue(g, r, false, r.nextQuick);
        } else {
            r.deepId = 0;
            r.nextDeep = inRhythm(r.nextDeep, r.spec.deepInterval().toMillis());
            queue(g, r, true, r.nextDeep);
        }
        r.last = result;
        r.lastAt = s.now;
        String gid = g.id();
        String kind = pd.check() == CheckKind.QUICK ? "quick" : "deep";
        if (result.healthy()) {
            s.quiet = !r.failing; // only when the check's rhythm moved on
            if (r.failing) {
                r.failing = false;
                s.emit(EventKind.CHECK_RECOVERED, Level.INFO, gid, r.spec.id(), kind + " check of " + r.spec.id() + " passes again", Map.of());
            }
            return;
        }
        if (g.state != LocalState.ONLINE) {
            return;
        }
        r.failing = true;
        Map<String, String> d = Map.of("check", kind, "health", result.health().name(), "severity", result.severity().name());
        if (g.maintOn) {
            s.emit(EventKind.CHECK_FAILED, Level.WARNING, gid, r.spec.id(), kind + " check of " + r.spec.id() + " failed: "
                    + result.reason() + " (group in maintenance: no action)", d);
            return;
        }
        s.emit(EventKind.CHECK_FAILED, Level.WARNING, gid, r.spec.id(), kind + " check of " + r.spec.id() + " failed on "
                + s.self + ": " + result.reason() + Sequencer.tail(result.output()), d);
        if (result.severity() != Severity.SOFT) {
            s.sequencer.block(g, kind + " check of " + r.spec.id() + " failed (" + result.severity().name().toLowerCase()
                    + "): " + result.reason(), result.severity());
            s.sequencer.beginStop(g, StopReason.FAILOVER);
            return;
        }
        long window = g.spec.recoveryWindow().toMillis();
        while (!r.failures.isEmpty() && s.now - r.failures.peekFirst() >= window) {
            r.failures.removeFirst();
        }
        if (r.failures.size() >= g.spec.maxRecoveries()) {
            s.sequencer.block(g, "local recovery limit reached for " + r.spec.id() + ": " + r.failures.size() + " attempts in "
                    + Durations.format(g.spec.recoveryWindow()), Severity.SOFT);
            s.sequencer.beginStop(g, StopReason.FAILOVER);
            return;
        }
        r.failures.addLast(s.now);
        g.epoch++; // results of other checks in flight no longer count
        for (GroupRecord.Res o : g.res.values()) {
            o.quickId = 0;
            o.deepId = 0;
        }
        s.setState(g, LocalState.RECOVERING, "recovering " + r.spec.id());
        s.emit(EventKind.RECOVERY_ATTEMPTED, Level.WARNING, gid, r.spec.id(), "recovering " + r.spec.id() + " locally (attempt "
                + r.failures.size() + " of " + g.spec.maxRecoveries() + " in " + Durations.format(g.spec.recoveryWindow()) + ")", d);
        s.sequencer.issueResource(g, r, ResourceOp.RECOVER, r.spec.recoverTimeout(), result);
    }
}
