package org.tandemha.api;

/**
 * A kind of resource (an address, a volume, a process, a database, a user's own). Found through
 * {@link java.util.ServiceLoader}: list the implementation in
 * {@code META-INF/services/org.tandemha.api.ResourceType}, or register it on the
 * {@link NodeBuilder#resourceType(ResourceType) builder}.
 *
 * <p>{@link #create} only builds objects: it must not start anything or touch the outside world, because the
 * engine also calls it to validate a configuration.
 */
public interface ResourceType {
    /** The name used as {@code type:} in the configuration, such as {@code process} or {@code postgresql}. */
    String name();

    /**
     * Builds the resource, its checker and its recoverer from the configuration.
     *
     * @throws InvalidConfigException with every problem found, each naming the parameter and the fix
     */
    ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException;
}
