package org.tandemha.ip;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** A node context for tests: facts and peer states set by hand, notes and published facts recorded. */
final class FakeNodeContext implements org.tandemha.api.NodeContext {
    private final String nodeId;
    final Map<String, String> published = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> peerFacts = new ConcurrentHashMap<>();
    final Set<String> dead = ConcurrentHashMap.newKeySet();
    final List<String> notes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Consumer<String> onEvent;

    FakeNodeContext(String nodeId, Consumer<String> onEvent) {
        this.nodeId = nodeId;
        this.onEvent = onEvent;
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String clusterName() {
        return "test";
    }

    @Override
    public Path stateDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    @Override
    public <T> Optional<T> service(Class<T> type) {
        return Optional.empty();
    }

    @Override
    public boolean peerDeadOrFenced(String node) {
        return dead.contains(node);
    }

    @Override
    public Map<String, String> peerFacts(String node) {
        return peerFacts.getOrDefault(node, Map.of());
    }

    @Override
    public void publishFact(String key, String value) {
        if (!value.equals(published.put(key, value))) {
            onEvent.accept("fact " + key + " " + value);
        }
    }

    @Override
    public void reportFenced(String reason) {
        onEvent.accept("fenced " + reason);
    }

    @Override
    public void note(String group, String resource, String message) {
        notes.add(message);
        onEvent.accept("note " + message);
    }
}
