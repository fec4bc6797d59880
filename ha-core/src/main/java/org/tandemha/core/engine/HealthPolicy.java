package org.tandemha.core.engine;

import java.time.Duration;
import java.util.List;
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

    void runDueChecks() {
        if (s.checkDueExact && s.now < s.checkDue) {
            return; // nothing due yet: no need to look at every resource
        }
        long next = Long.MAX_VALUE;
        for (GroupRecord g : s.groups.values()) {
            if (g.state != LocalState.ONLINE) {
                continue;
            }
            for (GroupRecord.Res r : g.res.values()) {
                if (r.quickId == 0) {
                    if (s.now >= r.nextQuick) {
                        r.quickId = issueCheck(g, r, CheckKind.QUICK, r.spec.quickTimeout());
                    } else {
                        next = Math.min(next, r.nextQuick);
                    }
                }
                if (r.deepId == 0) {
                    if (s.now >= r.nextDeep) {
                        r.deepId = issueCheck(g, r, CheckKind.DEEP, r.spec.deepTimeout());
                    } else {
                        next = Math.min(next, r.nextDeep);
                    }
                }
            }
        }
        s.checkDue = next;
        s.checkDueExact = true;
    }

    /** When the next checks are due (of the groups online here). */
    void wakeups(NextWakeup t) {
        if (s.checkDueExact) {
            t.add(s.checkDue);
            return;
        }
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
    }

    /** A check of {@code g} falls due at {@code at}: the earliest due time stays exact without a scan. */
    private void checkScheduled(GroupRecord g, long at) {
        if (g.state == LocalState.ONLINE) {
            s.checkDue = Math.min(s.checkDue, at);
        }
    }

    private long issueCheck(GroupRecord g, GroupRecord.Res r, CheckKind kind, Duration timeout) {
        long id = s.newId();
        s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.CHECK, g.id(), r.spec.id(), g.epoch,
                s.now + timeout.toMillis() + EngineState.DEADLINE_GRACE_MS, null, kind, null, timeout));
        s.out.add(new Action.RunCheck(id, kind, g.id(), r.spec.id(), g.gen, timeout));
        return id;
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
            r.nextQuick = s.now + r.spec.quickInterval().toMillis();
            checkScheduled(g, r.nextQuick);
        } else {
            r.deepId = 0;
            r.nextDeep = s.now + r.spec.deepInterval().toMillis();
            checkScheduled(g, r.nextDeep);
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
