package org.tandemha.core.runtime;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.EventKind;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Input;

/**
 * What the plugins of one node (resources, arbiters, fencers, heartbeats) see of it: its identity, its state
 * directory and services, the engine's view of its peers as of the last step, and the inputs they may give (facts,
 * "this node is fenced", quorum device votes, notes).
 */
final class PluginContext extends NodeIdentityContext {
    private final StepLoop steps;
    private final Consumer<Input> submit;
    private final EventDispatcher events;

    PluginContext(ClusterSpec spec, String self, Path stateDir, Map<Class<?>, Object> services, StepLoop steps,
                  EventDispatcher events) {
        super(spec, self, stateDir, services);
        this.steps = steps;
        this.submit = steps::submit;
        this.events = events;
    }

    @Override
    public boolean peerDeadOrFenced(String node) {
        return steps.peerDeadOrFenced(node);
    }

    @Override
    public Map<String, String> peerFacts(String node) {
        return steps.peerFacts(node);
    }

    @Override
    public void publishFact(String key, String value) {
        submit.accept(new Input.Fact(key, value));
    }

    @Override
    public void reportFenced(String reason) {
        submit.accept(new Input.SelfFenced(reason));
    }

    @Override
    public void quorumVote(String device, boolean reachable) {
        submit.accept(new Input.QuorumDevice(device, reachable));
    }

    @Override
    public void note(String group, String resource, String message) {
        events.dispatch(new ClusterEvent(0, Instant.now(), EventKind.NOTE, ClusterEvent.Level.INFO, self, group, resource, message, Map.of()));
    }
}
