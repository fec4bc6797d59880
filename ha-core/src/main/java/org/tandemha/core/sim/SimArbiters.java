package org.tandemha.core.sim;

import java.util.HashMap;
import java.util.Map;
import org.tandemha.api.ActionResult;
import org.tandemha.api.Verdict;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;
import org.tandemha.core.sim.SimCluster.ArbiterMode;
import org.tandemha.core.sim.SimCluster.ScriptedAnswer;
import org.tandemha.core.sim.SimCluster.ScriptedFence;

/**
 * The simulated safety check and fencing. The safety check answers by its {@link ArbiterMode} (the truth, a
 * shared-disk race, or silence), or from a script per asker and peer; it reports the highest generation the arbiters
 * have seen. Fencing powers the peer off, unless scripted to fail or never answer. Both answer 50 ms after the ask.
 */
final class SimArbiters {
    private final SimWorld w;
    ArbiterMode mode = ArbiterMode.TRUTH;
    /** Scripted safety-check answers: key "asker>peer", or "asker>*" for any peer of that asker. */
    private final Map<String, ScriptedAnswer> script = new HashMap<>();
    private boolean scriptOn;
    /** Asks nobody scripted are answered by the mode, not "unknown" (what-if runs script a few answers only). */
    private boolean unscriptedByMode;
    /** How fencing goes: null = the peer is powered off and fencing reports done. */
    private ScriptedFence fenceScript;

    SimArbiters(SimWorld w) {
        this.w = w;
    }

    void scripted(boolean on) {
        w.log("scripted arbiter " + (on ? "on" : "off"));
        this.scriptOn = on;
        this.unscriptedByMode = false;
        if (on) {
            this.mode = ArbiterMode.TRUTH; // side-effect free; its answer is replaced by the script
        }
    }

    void scriptOverMode() {
        w.log("scripted arbiter answers override the mode " + mode);
        scriptOn = true;
        unscriptedByMode = true;
    }

    void answers(String asker, String peer, ScriptedAnswer a) {
        w.log("arbiter " + asker + " about " + (peer == null ? "*" : peer) + " answers " + a);
        script.put(asker + ">" + (peer == null ? "*" : peer), a);
    }

    void fencerAnswers(ScriptedFence f) {
        w.log("fencer answers " + f);
        this.fenceScript = f;
    }

    /** {@code n}'s engine asked for a safety check: the answer arrives 50 ms later (or never, if so scripted). */
    void safetyCheck(SimNode n, long inc, Action.RunSafetyCheck sc) {
        w.at(50, () -> {
            if (n.alive(inc)) {
                Verdict v = verdict(n, w.nodes.get(sc.peer()));
                Verdict answer = scripted(n, sc.peer(), Verdict.of(v.answer(), v.reason(), w.array.arbiterGeneration()));
                if (answer != null) {
                    w.edge.deliver(n, new Input.SafetyDone(sc.id(), sc.peer(), answer));
                }
            }
        });
    }

    /** {@code n}'s engine asked to fence a peer: the result arrives 50 ms later (or never, if so scripted). */
    void fencePeer(SimNode n, long inc, Action.FencePeer f) {
        w.at(50, () -> {
            ActionResult fenced = fence(w.nodes.get(f.peer()));
            if (fenced != null && n.alive(inc)) {
                w.edge.deliver(n, new Input.FenceDone(f.id(), f.peer(), fenced));
            }
        });
    }

    private Verdict verdict(SimNode asker, SimNode peer) {
        switch (mode) {
            case TRUTH -> {
                // The process is what answers the arbiters: a node whose process crashed or left is dead to them,
                // even if its resources still run. One that stands aside (OneWayCut) no longer vouches for itself
                // (no reports to the witness, no answer to probes): dead to them too.
                if (w.processDown(peer)) {
                    return Verdict.of(Verdict.Answer.PEER_DEAD, "sim: " + peer.id + " is down");
                }
                return w.instances(peer.id).stream().allMatch(i -> i.crashed || i.engine == null || i.standingAside)
                        ? Verdict.of(Verdict.Answer.PEER_DEAD, "sim: " + peer.id + " stands aside (its arbiters no"
                                + " longer vouch for it)")
                        : Verdict.of(Verdict.Answer.PEER_ALIVE, "sim: " + peer.id + " is alive");
            }
            case SILENT -> {
                return Verdict.of(Verdict.Answer.UNKNOWN, "sim: no arbiter answers");
            }

            case DISK_RACE -> {
                // A shared disk: a live owner keeps it; otherwise the asker preempts and the peer is fenced.
                SimNode owner = w.array.owner == null ? null : w.nodes.get(w.array.owner);
                if (owner != null && !owner.id.equals(asker.id) && !w.processDown(owner) && !owner.fenced) {
                    return Verdict.of(Verdict.Answer.WE_LOST, "sim: " + w.array.owner + " holds the disk");
                }
                w.array.owner = asker.id;
                if (!peer.machineDown && !peer.fenced) {
                    peer.fenced = true; // preempted: also the leftovers of a crashed process are cut off the disk
                    peer.fencedSince = w.now();
                }
                return Verdict.of(Verdict.Answer.PEER_DEAD, "sim: preempt won, " + peer.id + " fenced");
            }
            default -> throw new IllegalStateException("arbiter mode " + mode + " is not simulated");
        }
    }

    /** The answer {@code asker} gets about {@code peer}: {@code real} unless scripted; null for no answer at all. */
    private Verdict scripted(SimNode asker, String peer, Verdict real) {
        if (!scriptOn) {
            return real;
        }
        ScriptedAnswer a = script.get(asker.id + ">" + peer);
        if (a == null) {
            a = script.get(asker.id + ">*");
        }
        if (a == null && unscriptedByMode) {
            return real;
        }
        if (a == null) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "script: no answer scripted for " + asker.id + " about " + peer);
        }
        if (a.answer() == null) {
            return null;
        }
        if (a.fences() && a.answer() == Verdict.Answer.PEER_DEAD) {
            SimNode p = w.nodes.get(peer);
            if (!p.crashed && !p.fenced) {
                w.log(peer + " fenced by " + asker.id + "'s arbiter");
                p.fenced = true;
                p.fencedSince = w.now();
            }
        }
        return Verdict.of(a.answer(), a.reason(), a.generation());
    }

    /** Carries out a fencing request against {@code peer}; returns its result, or null if it never answers. */
    private ActionResult fence(SimNode peer) {
        ScriptedFence f = fenceScript;
        if (f == null || (f.result() != null && f.result().isDone())) {
            w.processes.crash(peer.id);
            return f == null ? ActionResult.done("powered off") : f.result();
        }
        w.log("fencing " + peer.id + " " + (f.result() == null ? "hangs" : "fails: " + f.result()));
        return f.result();
    }
}
