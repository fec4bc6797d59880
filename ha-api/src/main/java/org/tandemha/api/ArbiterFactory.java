package org.tandemha.api;

/**
 * Builds an arbiter from the configuration's {@code arbiters} list. Found through {@link java.util.ServiceLoader}.
 */
public interface ArbiterFactory {
    /** The name used as {@code type:} in the configuration, such as {@code witness}. */
    String type();

    /** Builds (does not start) the arbiter. */
    Arbiter create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException;
}
