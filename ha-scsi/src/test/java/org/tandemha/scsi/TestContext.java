package org.tandemha.scsi;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.tandemha.api.NodeContext;

/** A NodeContext that records what plugins tell the engine (fencing, notes). */
final class TestContext implements NodeContext {
    final String node;
    final String cluster;
    final List<String> fenced = new CopyOnWriteArrayList<>();
    final Map<Class<?>, Object> services = new ConcurrentHashMap<>();

    TestContext(String cluster, String node) {
        this.cluster = cluster;
        this.node = node;
    }

    @Override
    public String nodeId() {
        return node;
    }

    @Override
    public String clusterName() {
        return cluster;
    }

    @Override
    public Path stateDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    @Override
    public <T> Optional<T> service(Class<T> type) {
        return Optional.ofNullable(type.cast(services.get(type)));
    }

    @Override
    public boolean peerDeadOrFenced(String n) {
        return false;
    }

    @Override
    public Map<String, String> peerFacts(String n) {
        return Map.of();
    }

    @Override
    public void publishFact(String key, String value) {
    }

    @Override
    public void reportFenced(String reason) {
        fenced.add(reason);
    }

    @Override
    public void note(String group, String resource, String message) {
    }
}
