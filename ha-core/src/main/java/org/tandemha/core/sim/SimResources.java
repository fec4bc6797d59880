package org.tandemha.core.sim;

import java.util.HashMap;
import java.util.Map;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;
import org.tandemha.core.sim.SimCluster.Fault;

/**
 * The simulated resources and their checks: starts, stops and recoveries take 10 to 50 ms, a check 1 to 10 ms, and
 * each can be given a {@link Fault} per node, group and resource. The first resource of every group is the volume
 * on the shared disk (see {@link SharedArray}): starting it registers the node and writes the generation, and each
 * of its checks is a write.
 *
 * <p>Promotable groups: the first resource is the replicated one; promoting it counts as the volume's start (the
 * generation is the fencing token of the replicated data). Each node has its copy of the data, a position (a
 * timeline and an offset): the primary's grows by one byte per millisecond, a standby copies the primary's at each
 * of its checks while the link is up (unless it lags, {@link Fault#STANDBY_LAGS}), and a promotion starts a new
 * timeline. A standby start on a node whose copy diverged rewinds it to the primary's history. Checks publish the
 * position as the facts the runtime publishes; a stop of the replicated resource publishes the stopped copy's.
 */
final class SimResources {
    private final SimWorld w;
    private final Map<String, Fault> faults = new HashMap<>(); // node/group/resource
    /** Promotable groups: each node's copy of the data, node/group -> {timeline, offset, updatedAt}. */
    private final Map<String, long[]> copies = new HashMap<>();
    /** Promotable groups: node/group where the replicated resource runs as a standby. */
    final java.util.Set<String> standbys = new java.util.HashSet<>();
    /** Promotable groups: the newest timeline per group. */
    private final Map<String, Long> timelines = new HashMap<>();
    /** Promotable groups: every promotion, as "node@generation", per group (in order). */
    final Map<String, java.util.List<String>> promotions = new HashMap<>();

    SimResources(SimWorld w) {
        this.w = w;
    }

    void fault(String node, String group, String resource, Fault f) {
        w.log("fault " + node + "/" + group + "/" + resource + " " + f);
        faults.put(node + "/" + group + "/" + resource, f);
    }

    void clearFaults() {
        faults.clear();
    }

    void kill(String node, String group, String resource) {
        SimNode n = w.node(node);
        w.log("kill " + node + "/" + group + "/" + resource);
        n.running.remove(group + "/" + resource);
    }

    private Fault faultOf(SimNode n, String group, String resource) {
        return faults.getOrDefault(n.id + "/" + group + "/" + resource, Fault.NONE);
    }

    /** Whether the resource is the group's volume on the shared disk (its first resource). */
    boolean isDisk(String group, String resource) {
        return w.spec.group(group).orElseThrow().resources().get(0).id().equals(resource);
    }

    void run(SimNode n, long inc, Action.RunResource r) {
        Fault f = faultOf(n, r.group(), r.resource());
        String key = r.group() + "/" + r.resource();
        long latency = 10 + w.random.nextInt(40);
        switch (r.op()) {
            case START_STANDBY -> w.at(latency, () -> {
                if (!n.alive(inc)) {
                    return;
                }
                if (f == Fault.STANDBY_START_FAILS || f == Fault.START_FAILS) {
                    standbys.remove(n.id + "/" + r.group());
                    w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: rewind failed")));
                    return;
                }
                n.running.put(key, false); // a primary left running here (a crash) is demoted first
                standbys.add(n.id + "/" + r.group());
                follow(n, r.group(), true);
                w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: standby")));
            });
            case STOP_STANDBY -> w.at(latency, () -> {
                if (!n.alive(inc)) {
                    return;
                }
                standbys.remove(n.id + "/" + r.group());
                publishStopped(n, r.group());
                w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: standby stopped")));
            });
            case PROMOTE, START -> {
                boolean promote = r.op() == Action.ResourceOp.PROMOTE;
                if (f == Fault.START_HANGS) {
                    return;
                }
                w.at(latency, () -> {
                    if (!n.alive(inc)) {
                        return;
                    }
                    if (f == Fault.START_FAILS) {
                        n.running.put(key, false);
                        w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: start fails")));
                    } else {
                        n.running.put(key, true);
                        if (isDisk(r.group(), r.resource())) {
                            w.array.volumeStarted(n, r.group(), r.generation());
                        }
                        if (promote) {
                            standbys.remove(n.id + "/" + r.group());
                            long[] c = copy(n.id, r.group());
                            long tl = timelines.merge(r.group(), c[0] + 1, Math::max);
                            c[0] = tl;
                            c[2] = w.now();
                            java.util.List<String> ps = promotions.computeIfAbsent(r.group(), x -> new java.util.ArrayList<>());
                            if (!ps.isEmpty()) {
                                String last = ps.get(ps.size() - 1);
                                if (Long.parseLong(last.substring(last.indexOf('@') + 1)) >= r.generation()) {
                                    w.violations.add("t=" + w.now() + " " + n.id + " promoted " + r.group() + " at generation "
                                            + r.generation() + ", not above the last promotion " + last);
                                }
                            }
                            ps.add(n.id + "@" + r.generation());
                        }
                        w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: started")));
                    }
                });
            }
            case STOP, DEMOTE -> {
                if (f == Fault.STOP_HANGS) {
                    return;
                }
                w.at(latency, () -> {
                    if (!n.alive(inc)) {
                        return;
                    }
                    if (f == Fault.STOP_FAILS) {
                        w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: stop fails")));
                    } else {
                        n.running.put(key, false);
                        if (w.spec.group(r.group()).orElseThrow().promotable() && isDisk(r.group(), r.resource())) {
                            publishStopped(n, r.group());
                        }
                        w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: stopped")));
                    }
                });
            }
            case RECOVER -> w.at(latency, () -> {
                if (!n.alive(inc)) {
                    return;
                }
                if (f == Fault.RECOVER_FAILS) {
                    n.running.put(key, false);
                    w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: recovery fails")));
                } else {
                    n.running.put(key, true);
                    if (f == Fault.CHECK_FAILS_ONCE) {
                        faults.remove(n.id + "/" + key);
                    }
                    w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: restarted")));
                }
            });
        }
    }

    private long[] copy(String node, String group) {
        return copies.computeIfAbsent(node + "/" + group, k -> new long[] {0, 0, w.now()});
    }

    /** The node whose replicated resource runs as the primary, with a live process, or null. */
    private SimNode primary(String group) {
        String res = w.spec.group(group).orElseThrow().resources().get(0).id();
        for (SimNode p : w.nodes.values()) {
            if (Boolean.TRUE.equals(p.running.get(group + "/" + res)) && !p.machineDown) {
                return p;
            }
        }
        return null;
    }

    /** A standby receives from the primary (if the link is up and it keeps up): its copy becomes the primary's. */
    private void follow(SimNode n, String group, boolean receives) {
        SimNode p = primary(group);
        long[] mine = copy(n.id, group);
        if (p == null || p == n || !w.network.linkUp(n, p)) {
            return;
        }
        long[] theirs = copy(p.id, group);
        theirs[1] += Math.max(0, w.now() - theirs[2]);
        theirs[2] = w.now();
        if (mine[0] != theirs[0]) {
            mine[0] = theirs[0]; // rewound onto the primary's history (what it had beyond the fork is gone)
            mine[1] = Math.min(mine[1], theirs[1]);
        }
        if (receives) {
            mine[1] = theirs[1];
            mine[2] = w.now(); // a standby's last receipt (its lag is the time since)
        }
    }

    private void publish(SimNode n, String group, boolean standby) {
        long[] c = copy(n.id, group);
        w.edge.deliver(n, new Input.Fact(org.tandemha.api.ReplicationState.POSITION_FACT + group, c[0] + ":" + c[1]));
        w.edge.deliver(n, new Input.Fact(org.tandemha.api.ReplicationState.LAG_FACT + group,
                String.valueOf(standby ? Math.max(0, w.now() - c[2]) : 0)));
    }

    /**
     * A stopped copy's position, read from its data (the real resource reads its data directory), published at every
     * stop of the replicated resource: the clean-up stop of a node that starts included. A node with no copy: nothing.
     */
    private void publishStopped(SimNode n, String group) {
        long[] c = copies.get(n.id + "/" + group);
        if (c != null) {
            w.edge.deliver(n, new Input.Fact(org.tandemha.api.ReplicationState.POSITION_FACT + group, c[0] + ":" + c[1]));
        }
    }

    /** A node's copy of a promotable group's data as {timeline, offset}. */
    long[] position(String node, String group) {
        long[] c = copy(node, group);
        return new long[] {c[0], c[1]};
    }

    void check(SimNode n, long inc, Action.RunCheck c) {
        Fault f = faultOf(n, c.group(), c.resource());
        if (f == Fault.CHECK_HANGS) {
            return;
        }
        String key = c.group() + "/" + c.resource();
        w.at(1 + w.random.nextInt(10), () -> {
            if (!n.alive(inc)) {
                return;
            }
            if (c.kind() == Action.CheckKind.STANDBY) {
                boolean up = standbys.contains(n.id + "/" + c.group());
                if (up) {
                    follow(n, c.group(), f != Fault.STANDBY_LAGS);
                    publish(n, c.group(), true);
                }
                w.edge.deliver(n, new Input.CheckDone(c.id(), !up ? CheckResult.failed("sim: expected a standby, found STOPPED")
                        : f == Fault.CHECK_FAILS ? CheckResult.failed("sim: standby check fails") : CheckResult.ok("sim: standby")));
                return;
            }
            if (w.spec.group(c.group()).orElseThrow().promotable() && isDisk(c.group(), c.resource())
                    && Boolean.TRUE.equals(n.running.get(key))) {
                long[] p = copy(n.id, c.group());
                p[1] += Math.max(0, w.now() - p[2]); // the primary takes writes
                p[2] = w.now();
                publish(n, c.group(), false);
            }
            if (isDisk(c.group(), c.resource()) && Boolean.TRUE.equals(n.running.get(key))) {
                w.array.checkWrite(n, c.group(), c.generation());
            }
            if (w.machine(n).fenced) {
                w.edge.deliver(n, new Input.SelfFenced("sim: RESERVATION CONFLICT"));
                return;
            }
            CheckResult res;
            if (!Boolean.TRUE.equals(n.running.get(key))) {
                res = CheckResult.notRunning("sim: not running");
            } else if (f == Fault.CHECK_FAILS || f == Fault.CHECK_FAILS_ONCE) {
                res = CheckResult.failed(Severity.SOFT, "sim: check fails");
            } else {
                res = CheckResult.ok("sim: ok");
            }
            w.edge.deliver(n, new Input.CheckDone(c.id(), res));
        });
    }
}
