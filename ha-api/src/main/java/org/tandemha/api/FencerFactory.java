package org.tandemha.api;

/**
 * Builds a fencer from the configuration's {@code fencing} list. Found through {@link java.util.ServiceLoader}.
 */
public interface FencerFactory {
    /** The name used as {@code type:} in the configuration, such as {@code script}. */
    String type();

    /** Builds the fencer. */
    Fencer create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException;
}
