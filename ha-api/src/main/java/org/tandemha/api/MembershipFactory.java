package org.tandemha.api;

/**
 * Builds the membership described by the configuration's {@code paths}. Found through
 * {@link java.util.ServiceLoader}; {@code ha-heartbeat} provides one.
 */
public interface MembershipFactory {
    /**
     * Builds (does not start) the membership.
     *
     * @throws InvalidConfigException if a path or address is unusable, naming it and the fix
     */
    Membership create(ClusterConfig config, NodeContext context) throws InvalidConfigException;
}
