package org.tandemha.core.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.tandemha.api.NodeContext;

/**
 * A node context for plugin tests (published in ha-core's test jar): peers' facts and deaths set by hand; what the
 * plugin publishes, notes and reports recorded; optional services; each call also reported to a listener.
 */
public class FakeNodeContext implements NodeContext {
    private final String nodeId;
    private final Path stateDirectory;
    private final Consumer<String> onEvent;
    public final Map<String, String> published = new ConcurrentHashMap<>();
    public final Map<String, Map<String, String>> peerFacts = new ConcurrentHashMap<>();
    public final Set<String> dead = ConcurrentHashMap.newKeySet();
    public final List<String> notes = Collections.synchronizedList(new ArrayList<>());
    public final List<String> fenced = Collections.synchronizedList(new ArrayList<>());
    public final Map<Class<?>, Object> services = new ConcurrentHashMap<>();
    public final List<String> peers = Collections.synchronizedList(new ArrayList<>());

    public FakeNodeContext(String nodeId, Path stateDirectory) {
        this(nodeId, stateDirectory, e -> { });
    }

    public FakeNodeContext(String nodeId, Path stateDirectory, Consumer<String> onEvent) {
        this.nodeId = nodeId;
        this.stateDirectory = stateDirectory;
        this.onEvent = onEvent;
    }

    /** Makes a service available through {@link #service(Class)}. */
    public <T> FakeNodeContext with(Class<T> type, T service) {
        services.put(type, service);
        return this;
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
    public List<String> peers() {
        return List.copyOf(peers);
    }

    @Override
    public Path stateDirectory() {
        return stateDirectory;
    }

    @Override
    public <T> Optional<T> service(Class<T> type) {
        return Optional.ofNullable(services.get(type)).map(type::cast);
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
        fenced.add(reason);
        onEvent.accept("fenced " + reason);
    }

    @Override
    public void note(String group, String resource, String message) {
        notes.add(message);
        onEvent.accept("note " + message);
    }
}
