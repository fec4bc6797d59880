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
 */
final class SimResources {
    private final SimWorld w;
    private final Map<String, Fault> faults = new HashMap<>(); // node/group/resource

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
            case START -> {
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
                        w.edge.deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: started")));
                    }
                });
            }
            case STOP -> {
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
