package org.tandemha.api;

/**
 * Builds a {@link HeartbeatPath} for a configured path whose {@code transport} the membership does not handle
 * itself (such as {@code disk}). Found through {@link java.util.ServiceLoader}.
 */
public interface PathFactory {
    /** The transport name this factory handles, such as {@code disk}. */
    String transport();

    /** Builds (does not start) the path. */
    HeartbeatPath create(ClusterConfig.Path path, ClusterConfig cluster, NodeContext context) throws InvalidConfigException;
}
