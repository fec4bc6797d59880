package org.tandemha.core.sim;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.api.CommandResult;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

/**
 * The simulated node processes and machines: boots, machine crashes, daemon crashes, orderly shutdowns, second
 * copies of a process, SIGSTOP/SIGCONT and a generation store that cannot be written. What each does is described on
 * the matching method of {@link SimCluster}.
 */
final class SimProcesses {
    /** The wall clock the simulated engines display: simulated time from a fixed epoch. */
    static final long EPOCH_MS = 1_700_000_000_000L;

    private final SimWorld w;
    private int twinSerial;

    SimProcesses(SimWorld w) {
        this.w = w;
    }

    /** A fresh engine for the node {@code id}, as a (re)started process builds it. */
    Engine newEngine(String id) {
        return new Engine(w.spec, id, w.fencing, this::wallClock);
    }

    /** The wall time the simulated engines display for simulated time {@code ms}. */
    Instant wallClock(long ms) {
        return Instant.ofEpochMilli(EPOCH_MS + ms);
    }

    void boot(String node) {
        SimNode n = w.node(node);
        SimNode twin = w.twins.get(node);
        if (twin != null && !twin.elsewhere && twin.alive(twin.incarnation)) {
            // a copy of the node already runs on this machine and holds the state directory's lock
            w.log("boot " + node + " is refused by the state directory's lock (" + twin.key + " runs)");
            return;
        }
        if (n.crashed || n.engine == null) {
            boot(n);
        }
    }

    void boot(SimNode n) {
        n.engine = newEngine(n.id);
        n.incarnation = w.now() + 1 + w.random.nextInt(1000);
        if (n.machineDown || n.twin) {
            n.fenced = false; // a machine that was down registers again before it holds anything
        }
        n.crashed = false;
        n.machineDown = false;
        n.left = false;
        n.paused = false;
        n.standingAside = false;
        n.announced = null;
        n.held.clear();
        n.reach.clear();
        n.cleaning.clear();
        for (GroupSpec g : w.spec.groups()) {
            n.cleaning.add(g.id());
        }
        w.log("boot " + n.key);
        n.storeFailing = false;
        n.engineKnowsNotDurable = false;
        w.edge.deliver(n, new Input.Boot(w.machine(n).persisted, n.incarnation));
        w.network.linksChanged(n);
        if (w.coordination != null) {
            w.coordination.booted(n);
        }
    }

    void crash(String node) {
        SimNode n = w.node(node);
        if (n.machineDown) {
            return;
        }
        w.log("crash " + node);
        n.machineDown = true;
        n.left = false;
        n.running.clear();
        for (SimNode i : w.instances(node)) {
            if (!i.elsewhere) {
                stopProcess(i); // a second copy on another machine runs on
            }
        }
    }

    void crashDaemon(String node) {
        SimNode n = w.node(node);
        if (n.crashed) {
            return;
        }
        w.log("daemon of " + node + " crashes; its resources keep running");
        stopProcess(n);
    }

    void stopProcess(SimNode n) {
        if (n.crashed && n.engine == null) {
            return;
        }
        n.crashed = true;
        n.engine = null;
        n.paused = false;
        n.wakeAt = Long.MAX_VALUE;
        n.held.clear();
        w.network.linksChanged(n);
        if (w.coordination != null) {
            w.coordination.processStopped(n);
        }
    }

    void shutdown(String node) {
        SimNode n = w.node(node);
        if (n.crashed || n.engine == null) {
            return;
        }
        w.log("shutdown " + node);
        w.edge.deliver(n, new Input.Shutdown());
        // NodeRuntime.close waits for the engine to leave at most the sum of the stop timeouts plus 10 s, then
        // exits anyway: a node whose stop failed exits without leaving, what it could not stop still running
        long bound = w.spec.groups().stream().flatMap(g -> g.resources().stream())
                .mapToLong(r -> r.stopTimeout().toMillis()).sum() + 10_000;
        exitAfter(n, n.incarnation, bound);
    }

    /** The runtime's bound: it counts only while nothing is being stopped (a frozen process must not exit mid-stop). */
    private void exitAfter(SimNode n, long inc, long delay) {
        w.at(delay, () -> {
            if (!n.alive(inc)) {
                return;
            }
            if (n.paused || n.engine.inTransition()) {
                exitAfter(n, inc, 200);
                return;
            }
            // To its peers this is a crashed process: they keep what they heard it announce FAILED blocked (scenarios
            // 55, 56); what they never heard of is a crash's leftovers, which only fencing or a watchdog covers.
            w.log(n.key + " exits without leaving" + (n.anyRunning() ? "; still running: " + n.runningKeys() : ""));
            stopProcess(n);
        });
    }

    /** The process exits after it has left: its last announcement (leaving) goes out with a few more heartbeats. */
    void leave(SimNode n, long inc) {
        w.at(3 * SimCluster.HEARTBEAT_MS + w.network.netDelayMs + w.network.reorderMs, () -> {
            if (n.alive(inc)) {
                w.log(n.key + " left" + (n.anyRunning() ? "; still running: " + n.runningKeys() : ""));
                if (w.coordination != null) {
                    w.coordination.closed(n);
                }
                stopProcess(n);
                n.left = !n.twin;
            }
        });
    }

    void duplicate(String node, boolean sameMachine) {
        SimNode n = w.node(node);
        SimNode old = w.twins.get(node);
        if ((sameMachine && n.machineDown) || (old != null && !old.crashed)) {
            return;
        }
        if (sameMachine && !n.crashed) {
            // NodeRuntime.start locks the state directory first: the copy fails before it boots or touches anything
            w.log("a second copy of " + node + " is refused by the state directory's lock");
            return;
        }
        SimNode t = new SimNode(node, node + "'" + (++twinSerial), true);
        t.elsewhere = !sameMachine;
        if (sameMachine) {
            t.running = n.running;
            n.left = false; // the machine's process is this copy now: what runs there is its, or a crash's leftovers
        }
        w.twins.put(node, t);
        w.log("a second copy of " + node + " starts" + (sameMachine ? "" : " on another machine"));
        boot(t);
    }

    void stopDuplicate(String node) {
        SimNode t = w.twins.get(node);
        if (t == null || t.crashed) {
            return;
        }
        w.log("the second copy of " + node + " is killed");
        stopProcess(t);
    }

    void generationStoreFails(String node, boolean fails) {
        w.log("generation store of " + node + (fails ? " cannot be written" : " works again"));
        w.node(node).generationStoreFails = fails;
        for (SimNode i : w.instances(node)) {
            if (!fails) {
                w.at(0, () -> w.edge.deliver(i, new Input.Tick())); // the runtime tries the write again every second
            }
        }
    }

    void pause(String node) {
        SimNode n = w.node(node);
        if (n.crashed || n.paused) {
            return;
        }
        w.log("pause " + node);
        n.paused = true;
        n.pausedAt = w.now();
        w.network.linksChanged(n);
        if (w.coordination != null) {
            w.coordination.paused(n);
        }
    }

    void resume(String node) {
        SimNode n = w.node(node);
        if (!n.paused) {
            return;
        }
        w.log("resume " + node);
        n.paused = false;
        n.resumedAt = w.now();
        List<Input> held = new ArrayList<>(n.held);
        n.held.clear();
        w.edge.deliver(n, new Input.Resumed(w.now() - n.pausedAt));
        if (n.fenced) {
            w.edge.deliver(n, new Input.SelfFenced("sim: reservation key preempted"));
        }
        for (Input in : held) {
            w.edge.deliver(n, in);
        }
        w.network.linksChanged(n);
        if (w.coordination != null) {
            w.coordination.resumed(n);
        }
    }

    /** How the machine is, as the test harness sees it (see {@link SimCluster#condition}). */
    String condition(String node) {
        SimNode n = w.node(node);
        SimNode t = w.twins.get(node);
        String copy = t != null && !t.crashed && t.engine != null ? " (and a second copy)" : "";
        if (n.machineDown || (n.engine == null && !n.crashed)) {
            return "down"; // the machine is down, or the node was never started
        }
        if (n.crashed || n.engine == null) {
            String what = n.left ? "left" : "process down";
            return (n.anyRunning() ? what + " (still running: " + String.join(", ", n.runningKeys()) + ")" : what)
                    + (n.fenced ? " fenced" : "") + copy;
        }
        return (n.paused ? "paused" : n.fenced ? "fenced" : "up") + copy;
    }

    /** What an operator does before "clear" after a failed stop: makes sure the group's leftovers are gone. */
    void operatorCleanup(String group) {
        for (SimNode n : w.nodes.values()) {
            if (n.engine != null && n.engine.state(group) == LocalState.FAILED) {
                w.log("operator cleans up " + group + " on " + n.id);
                n.running.keySet().removeIf(k -> k.startsWith(group + "/"));
            }
        }
    }

    /** An operator command, refused at once when the node's process is down. */
    long command(long id, String node, Input.Command.Kind kind, String group, String target) {
        w.log("command " + node + " " + kind + " " + group + (target == null ? "" : " " + target));
        SimNode n = w.node(node);
        if (n.engine == null) {
            w.commandResults.put(id, CommandResult.refused("node down"));
        } else {
            w.edge.deliver(n, new Input.Command(id, kind, group, target));
        }
        return id;
    }

    void replaceEngine(String node, Engine e) {
        SimNode n = w.node(node);
        if (n.crashed || n.engine == null) {
            throw new IllegalStateException("simulated cluster: cannot replace the engine of " + node
                    + ": its process is not running (fix: boot it first)");
        }
        n.engine = e;
        n.wakeAt = e.nextWakeup();
    }
}
