package org.tandemha.api;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Builds a {@link ClusterNode} from a configuration (YAML or JSON) and the plugins an application adds.
 * Obtain one with {@link Tandem#builder()}.
 */
public interface NodeBuilder {
    /** Reads the cluster configuration from a YAML ({@code .yaml}, {@code .yml}) or JSON ({@code .json}) file. */
    NodeBuilder config(Path file);

    /** Takes the configuration as text; {@code yaml} says whether it is YAML or JSON. */
    NodeBuilder configText(String text, boolean yaml);

    /** Which configured node this process is. */
    NodeBuilder localNode(String nodeId);

    /** Registers a resource type, in addition to those found through {@link java.util.ServiceLoader}. */
    NodeBuilder resourceType(ResourceType type);

    /** Uses this membership (heartbeats) instead of the one the configuration describes. */
    NodeBuilder membership(Membership membership);

    /** Adds a safety-check arbiter, consulted after those of the configuration, in the order added. */
    NodeBuilder arbiter(Arbiter arbiter);

    /** Adds a fencing method, tried after those of the configuration, in the order added. */
    NodeBuilder fencer(Fencer fencer);

    /** Makes a service available to resources through {@link NodeContext#service(Class)}. */
    <T> NodeBuilder service(Class<T> type, T service);

    /**
     * Where the node keeps its own files: the generations it has seen (its fencing tokens, so they must survive a
     * reboot), its heartbeat incarnation, the lock that keeps a second copy of the node from starting, and its
     * resources' logs. Created with owner-only permissions (0700). Defaults to {@code /var/lib/tandem/CLUSTER/NODE}
     * for root, else {@code $XDG_STATE_HOME/tandem/CLUSTER/NODE} ({@code ~/.local/state/...}); the node logs
     * where it went.
     */
    NodeBuilder stateDirectory(Path dir);

    /** Subscribes a listener before the node starts, so that no event is missed. */
    NodeBuilder listener(Consumer<ClusterEvent> listener);

    /**
     * Validates everything and builds the node (not yet started).
     *
     * @throws InvalidConfigException listing every problem, each with its field and fix
     */
    ClusterNode build() throws InvalidConfigException;
}
