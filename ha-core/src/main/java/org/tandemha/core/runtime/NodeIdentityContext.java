package org.tandemha.core.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tandemha.api.NodeContext;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupTopology;

/** The half of a {@link NodeContext} that is known before the runtime exists: who the node is, its directory and services. */
abstract class NodeIdentityContext implements NodeContext {
    final ClusterSpec spec;
    final String self;
    private final Path stateDir;
    private final Map<Class<?>, Object> services;
    private final GroupTopology topology;

    NodeIdentityContext(ClusterSpec spec, String self, Path stateDir, Map<Class<?>, Object> services) {
        this.spec = spec;
        this.self = self;
        this.stateDir = stateDir;
        this.services = services;
        this.topology = GroupTopology.of(spec);
    }

    @Override
    public String nodeId() {
        return self;
    }

    @Override
    public String clusterName() {
        return spec.cluster();
    }

    @Override
    public List<String> peers() {
        return spec.nodeIds().stream().filter(n -> !n.equals(self)).toList();
    }

    @Override
    public List<String> groupNodes(String resource) {
        return topology.groupNodes(resource);
    }

    @Override
    public boolean promotable(String resource) {
        return topology.promotable(resource);
    }

    @Override
    public List<String> drNodes() {
        return topology.drNodes();
    }

    @Override
    public Path stateDirectory() {
        try {
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the state directory " + stateDir + ": " + e.getMessage(), e);
        }
        return stateDir;
    }

    @Override
    public <T> Optional<T> service(Class<T> type) {
        return Optional.ofNullable(services.get(type)).map(type::cast);
    }
}
