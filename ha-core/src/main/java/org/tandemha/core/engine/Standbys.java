package org.tandemha.core.engine;

import java.util.List;
import java.util.Map;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.EventKind;
import org.tandemha.api.ReplicationPosition;
import org.tandemha.api.ReplicationState;
import org.tandemha.core.engine.Action.CheckKind;
import org.tandemha.core.engine.Action.ResourceOp;

/**
 * Promotable groups: runs the replicated resource (the group's first) as a standby on every node of the group where
 * the group is not primary, while a primary runs elsewhere, and checks it there with its role-aware standby check.
 * The primary is decided exactly as the holder of an ordinary group ({@link Ownership}: the generation is the
 * fencing token); its start sequence promotes the resource and its planned stop demotes it ({@link Sequencer}). A
 * standby never becomes primary by itself: only a claim of a new generation, granted by the {@link Ownership}, does.
 *
 * <p>A standby that fails to start or fails its check is an alarm ({@link EventKind#STANDBY_STATE} at ERROR): it is
 * FAILED, not "running", and is started again after {@link #RETRY_MS}. The transitions are on {@link StandbyState}.
 *
 * <p>The position a node's copy has reached comes from the checks of the resource, published as a fact
 * ({@link ReplicationState#POSITION_FACT}); {@link Placement} promotes the eligible node with the highest.
 */
final class Standbys {
    /** How long a failed standby waits before it is started (or stopped) again. */
    static final long RETRY_MS = 10_000;

    private final EngineState s;

    Standbys(EngineState s) {
        this.s = s;
    }

    /** One step for the group's standby; true when something changed. */
    boolean reconcile(GroupRecord g) {
        if (!g.spec.promotable() || g.spec.priority(s.self) < 0 || g.maintOn) {
            return false;
        }
        boolean idle = g.state == LocalState.OFFLINE || g.state == LocalState.CLAIMING;
        boolean mustStop = idle && (s.shuttingDown || s.selfFenced || g.fatal || s.resetReason != null);
        return switch (g.standby) {
            case NONE -> {
                if (!mustStop && wanted(g)) {
                    issue(g, ResourceOp.START_STANDBY);
                    yield true;
                }
                yield false;
            }
            case STARTING, STOPPING -> false;
            case RUNNING -> {
                if (mustStop) {
                    issue(g, ResourceOp.STOP_STANDBY);
                    yield true;
                }
                yield false;
            }
            case FAILED -> {
                if (s.now < g.standbyRetryAt) {
                    yield false;
                }
                if (mustStop) {
                    issue(g, ResourceOp.STOP_STANDBY);
                    yield true;
                }
                if (wanted(g)) {
                    issue(g, ResourceOp.START_STANDBY);
                    yield true;
                }
                yield false;
            }
        };
    }

    /** Whether a standby should run here: the group is offline here, primary elsewhere, and may run here. */
    private boolean wanted(GroupRecord g) {
        if (g.state != LocalState.OFFLINE || !s.booted || s.shuttingDown || s.selfFenced || g.blocked || g.fatal) {
            return false;
        }
        return primaryElsewhere(g) != null;
    }

    /** A reachable peer that announces the group ONLINE or RECOVERING (the primary a standby follows), or null. */
    private String primaryElsewhere(GroupRecord g) {
        String best = null;
        long bestGen = -1;
        for (PeerRecord p : s.peers.values()) {
            Announcement.GroupAnn a = s.ann(p, g);
            if (p.reachable && a != null && (a.state() == LocalState.ONLINE || a.state() == LocalState.RECOVERING)
                    && a.gen() > bestGen) {
                best = p.id;
                bestGen = a.gen();
            }
        }
        return best;
    }

    private void issue(GroupRecord g, ResourceOp op) {
        GroupRecord.Res r = g.resAt(0);
        java.time.Duration timeout = op == ResourceOp.START_STANDBY ? r.spec.startTimeout() : r.spec.stopTimeout();
        long id = s.newId();
        g.standbyId = id;
        g.standbyCheckId = 0;
        g.standbyNextCheck = Long.MAX_VALUE;
        g.standby = op == ResourceOp.START_STANDBY ? StandbyState.STARTING : StandbyState.STOPPING;
        g.standbyDetail = op == ResourceOp.START_STANDBY ? "starting as a standby of " + primaryElsewhere(g) : "stopping";
        s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.RESOURCE, g.id(), r.spec.id(), 0,
                s.now + timeout.toMillis() + EngineState.DEADLINE_GRACE_MS, op, null, null, timeout));
        s.out.add(new Action.RunResource(id, op, g.id(), r.spec.id(), g.gen, timeout, null));
    }

    /** A standby's start or stop finished (also its timeout, declared by the engine). */
    void actionDone(long id, EngineState.Pending pd, ActionResult result) {
        GroupRecord g = s.groups.get(pd.group());
        if (g == null || g.standbyId != id) {
            return;
        }
        g.standbyId = 0;
        String res = pd.resource();
        Map<String, String> d = Map.of("durationMs", String.valueOf(result.duration().toMillis()), "outcome",
                result.outcome().name(), "role", "standby");
        if (pd.op() == ResourceOp.START_STANDBY) {
            if (result.isDone()) {
                g.standby = StandbyState.RUNNING;
                g.standbyDetail = "standby: " + result.reason();
                g.standbyNextCheck = s.now + g.resAt(0).spec.quickInterval().toMillis();
                s.emit(EventKind.STANDBY_STATE, Level.INFO, g.id(), res, "standby of " + res + " running on " + s.self
                        + ": " + result.reason(), d);
            } else {
                fail(g, res, "could not start as a standby: " + result.reason() + Sequencer.tail(result.output()), d);
            }
        } else if (result.isDone()) {
            g.standby = StandbyState.NONE;
            g.standbyDetail = "";
            s.emit(EventKind.STANDBY_STATE, Level.INFO, g.id(), res, "standby of " + res + " stopped on " + s.self, d);
        } else {
            fail(g, res, "standby could not be stopped: " + result.reason() + Sequencer.tail(result.output()), d);
        }
    }

    private void fail(GroupRecord g, String res, String why, Map<String, String> d) {
        g.standby = StandbyState.FAILED;
        g.standbyDetail = "standby FAILED: " + why;
        g.standbyRetryAt = s.now + RETRY_MS;
        g.standbyCheckId = 0;
        g.standbyNextCheck = Long.MAX_VALUE;
        s.emit(EventKind.STANDBY_STATE, Level.ERROR, g.id(), res, "standby of " + res + " on " + s.self + " FAILED: "
                + why + "; this node is not a ready standby (its copy may be behind or diverged); retrying in "
                + RETRY_MS / 1000 + " s", d);
    }

    void runDueChecks() {
        for (GroupRecord g : s.groups.values()) {
            if (g.standby == StandbyState.RUNNING && g.standbyCheckId == 0 && s.now >= g.standbyNextCheck) {
                GroupRecord.Res r = g.resAt(0);
                long id = s.newId();
                g.standbyCheckId = id;
                s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.CHECK, g.id(), r.spec.id(), 0,
                        s.now + r.spec.quickTimeout().toMillis() + EngineState.DEADLINE_GRACE_MS, null, CheckKind.STANDBY,
                        null, r.spec.quickTimeout()));
                s.out.add(new Action.RunCheck(id, CheckKind.STANDBY, g.id(), r.spec.id(), g.gen, r.spec.quickTimeout()));
            }
        }
    }

    /** A standby's check finished (also its timeout): a failure makes the standby FAILED, an alarm. */
    void checkDone(long id, EngineState.Pending pd, CheckResult result) {
        GroupRecord g = s.groups.get(pd.group());
        if (g == null || g.standbyCheckId != id) {
            return;
        }
        g.standbyCheckId = 0;
        if (g.standby != StandbyState.RUNNING) {
            return;
        }
        g.standbyNextCheck = s.now + g.resAt(0).spec.quickInterval().toMillis();
        if (result.healthy()) {
            g.standbyDetail = "standby: " + result.reason();
            return;
        }
        fail(g, pd.resource(), "its standby check failed: " + result.reason() + Sequencer.tail(result.output()),
                Map.of("check", "standby", "health", result.health().name()));
    }

    /** The group is promoted here: the resource now belongs to the start sequence. */
    void promoting(GroupRecord g) {
        if (g.standby == StandbyState.NONE) {
            return;
        }
        if (g.standbyId != 0) {
            s.pending.remove(g.standbyId); // (claims wait for it: not expected)
        }
        if (g.standbyCheckId != 0) {
            s.pending.remove(g.standbyCheckId);
        }
        g.standby = StandbyState.NONE;
        g.standbyId = 0;
        g.standbyCheckId = 0;
        g.standbyNextCheck = Long.MAX_VALUE;
        g.standbyDetail = "";
    }

    void wakeups(NextWakeup t) {
        for (GroupRecord g : s.groups.values()) {
            if (g.standby == StandbyState.RUNNING && g.standbyCheckId == 0) {
                t.add(g.standbyNextCheck);
            } else if (g.standby == StandbyState.FAILED) {
                t.add(g.standbyRetryAt);
            }
        }
    }

    /** Whether a standby's action is in flight (shutdown waits for it). */
    boolean busy() {
        for (GroupRecord g : s.groups.values()) {
            // (a group in maintenance is the operator's: its standby is left as it is)
            if (g.standby.busy() || (s.shuttingDown && g.standby == StandbyState.RUNNING && !g.maintOn)) {
                return true;
            }
        }
        return false;
    }

    /** The position a node's copy of the group's data reached, as last published ({@link ReplicationPosition#NONE} if none). */
    ReplicationPosition position(GroupRecord g, String node) {
        Map<String, String> f = node.equals(s.self) ? s.facts : factsOf(node);
        return parse(f.get(ReplicationState.POSITION_FACT + g.id()));
    }

    /** A node's fact {@code prefix + group} as last published, or null. */
    String fact(GroupRecord g, String node, String prefix) {
        Map<String, String> f = node.equals(s.self) ? s.facts : factsOf(node);
        return f.get(prefix + g.id());
    }

    private Map<String, String> factsOf(String node) {
        PeerRecord p = s.peers.get(node);
        return p == null || p.facts == null ? Map.of() : p.facts;
    }

    static ReplicationPosition parse(String v) {
        if (v == null) {
            return ReplicationPosition.NONE;
        }
        try {
            return ReplicationPosition.parse(v);
        } catch (IllegalArgumentException e) {
            return ReplicationPosition.NONE;
        }
    }

    /** The data a promotion here puts at risk: bytes behind the best other copy last heard, and this copy's lag. */
    Map<String, String> atRisk(GroupRecord g) {
        ReplicationPosition mine = position(g, s.self);
        ReplicationPosition best = mine;
        String bestNode = s.self;
        for (String n : g.spec.nodes()) {
            ReplicationPosition p = position(g, n);
            if (p.compareTo(best) > 0) {
                best = p;
                bestNode = n;
            }
        }
        long lagMs = 0;
        try {
            lagMs = Long.parseLong(s.facts.getOrDefault(ReplicationState.LAG_FACT + g.id(), "0"));
        } catch (NumberFormatException e) {
            lagMs = 0;
        }
        return Map.of("generation", String.valueOf(g.gen), "position", mine.toFact(), "bestKnown", best.toFact()
                + " (" + bestNode + ")", "atRiskBytes", String.valueOf(best.bytesAhead(mine)), "atRiskSeconds",
                String.format(java.util.Locale.ROOT, "%.3f", lagMs / 1000.0));
    }
}
