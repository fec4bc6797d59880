package org.tandemha.core.sim;

import java.util.ArrayList;
import java.util.List;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

/**
 * What a simulated node's runtime does around its engine: hands it each input (held while the process is frozen),
 * shows the step to the {@link SimCluster.InputObserver}s, writes the generations ahead as {@code NodeRuntime} does
 * (a step whose generations are not durable runs nothing that uses one), carries out the actions through an
 * {@link Action.Handler} (a new kind of action does not compile until the simulation decides what it means), and
 * checks the invariants after every step.
 */
final class SimEdge {
    private final SimWorld w;
    private final List<SimCluster.InputObserver> observers = new ArrayList<>();
    /** How many inputs the engines handled (a check for the observers' tests). */
    long handled;

    SimEdge(SimWorld w) {
        this.w = w;
    }

    void observe(SimCluster.InputObserver o) {
        observers.add(o);
    }

    void deliver(SimNode n, Input in) {
        if (n.crashed || n.engine == null) {
            return;
        }
        if (n.paused) {
            n.held.add(in);
            return;
        }
        List<Action> actions = n.engine.handle(in, w.now());
        handled++;
        for (SimCluster.InputObserver o : observers) {
            o.handled(n.key, w.now(), in, actions);
        }
        if (in instanceof Input.GenerationsDurable d) {
            n.engineKnowsNotDurable = !d.durable();
        }
        // write-ahead, as NodeRuntime does: a step whose generations are not durable runs nothing that uses one
        SimNode machine = w.machine(n);
        boolean durable = !machine.generationStoreFails;
        if (durable) {
            machine.persisted = n.engine.knownGenerations();
            if (n.storeFailing) {
                n.storeFailing = false;
                tellDurable(n, new Input.GenerationsDurable(true, null));
            }
        } else if (!n.storeFailing) {
            n.storeFailing = true;
            tellDurable(n, new Input.GenerationsDurable(false, "sim: the generation store cannot be written"));
        }
        Runner runner = new Runner(n);
        long inc = n.incarnation;
        for (Action a : actions) {
            if (durable || Action.runsWithoutDurableGenerations(a, n.engineKnowsNotDurable)) {
                a.dispatch(runner);
            } else {
                // refused by the write-ahead rule: what the engine waits for fails at once, as the runtime reports it
                Input answer = Action.heldBackAnswer(a, "sim: not done, the generations could not be saved");
                if (answer != null) {
                    w.at(0, () -> {
                        if (n.alive(inc)) {
                            deliver(n, answer);
                        }
                    });
                }
            }
        }
        if (n.engine == null) {
            return;
        }
        // A clean-up that failed (FAILED) leaves what ran there as the crash's leftovers: they were there before
        // the node came back, and only fencing or a watchdog deals with them; the group is the node's again once
        // it is stopped (OFFLINE, after a clear) or started by this process.
        n.cleaning.removeIf(g -> n.engine.state(g) != LocalState.UNKNOWN && n.engine.state(g) != LocalState.STOPPING
                && n.engine.state(g) != LocalState.FAILED);
        n.wakeAt = n.engine.nextWakeup();
        if (n.fenced && w.spec.groups().stream().noneMatch(g -> n.engine.state(g.id()).active())) {
            n.fenced = false; // stood down; it registers again before it may hold anything
        }
        if (w.coordination != null) {
            w.coordination.retry();
        }
        w.invariants.check();
    }

    /** Carries out an action of {@code n}'s engine again (a snapshot's action in flight; see {@link SimRestore}). */
    void carryOut(SimNode n, Action a) {
        a.dispatch(new Runner(n));
    }

    private void tellDurable(SimNode n, Input.GenerationsDurable d) {
        long inc = n.incarnation;
        w.at(0, () -> {
            if (n.alive(inc)) {
                deliver(n, d);
            }
        });
    }

    /** Carries out one node's actions. */
    private final class Runner implements Action.Handler {
        private final SimNode n;

        Runner(SimNode n) {
            this.n = n;
        }

        @Override
        public void runResource(Action.RunResource a) {
            w.resources.run(n, n.incarnation, a);
        }

        @Override
        public void runCheck(Action.RunCheck a) {
            w.resources.check(n, n.incarnation, a);
        }

        @Override
        public void announce(Action.Announce a) {
            n.announced = a.announcement();
            for (SimNode o : w.all()) {
                if (!o.id.equals(n.id)) {
                    w.network.sendState(n, o);
                }
            }
        }

        @Override
        public void send(Action.Send a) {
            w.network.send(n, a.peer(), a.message());
        }

        @Override
        public void runSafetyCheck(Action.RunSafetyCheck a) {
            w.arbiters.safetyCheck(n, n.incarnation, a);
        }

        @Override
        public void fencePeer(Action.FencePeer a) {
            w.arbiters.fencePeer(n, n.incarnation, a);
        }

        @Override
        public void emit(Action.Emit a) {
            w.events.add(a.event());
            w.eventSink.accept(a.event());
        }

        @Override
        public void completeCommand(Action.CompleteCommand a) {
            w.commandResults.put(a.id(), a.result());
        }

        @Override
        public void refreshPeerStates(Action.RefreshPeerStates a) {
            for (SimNode o : w.all()) {
                if (!o.id.equals(n.id) && Boolean.TRUE.equals(n.reach.get(o.key))) {
                    w.network.sendState(o, n);
                }
            }
        }

        @Override
        public void peerRejoined(Action.PeerRejoined a) {
            // simulated resources hold no addresses to announce again
        }

        @Override
        public void left(Action.Left a) {
            w.processes.leave(n, n.incarnation);
        }

        @Override
        public void acquireLease(Action.AcquireLease a) {
            if (w.coordination != null) {
                w.coordination.acquire(n, a.group());
            }
        }

        @Override
        public void standAside(Action.StandAside a) {
            w.log(n.key + (a.aside() ? " stands aside: its arbiters stop vouching for it" : " vouches again"));
            n.standingAside = a.aside();
        }

        @Override
        public void releaseLease(Action.ReleaseLease a) {
            if (w.coordination != null) {
                w.coordination.release(n, a.group());
            }
        }
    }
}
