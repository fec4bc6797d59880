package org.tandemha.api;

import java.time.Duration;

/**
 * Builds the {@link Coordinator} that the configuration's {@code coordination} section names. Found through
 * {@link java.util.ServiceLoader} by its {@link #type()}; {@code ha-zookeeper} provides {@code zookeeper}. An
 * application may also register one with {@link NodeBuilder#service(Class, Object)} under this interface: it is then
 * used instead of the one found on the class path.
 */
public interface CoordinatorFactory {
    /** The name used as {@code coordination.type} in the configuration, such as {@code zookeeper}. */
    String type();

    /**
     * Builds (does not start) the coordinator of one node.
     *
     * @throws InvalidConfigException if the settings are unusable, naming the field and the fix
     */
    Coordinator create(Settings settings, ClusterConfig cluster, NodeContext context) throws InvalidConfigException;

    /**
     * The {@code coordination} section as read from the configuration.
     *
     * @param type           the service type
     * @param connect        the servers, {@code host:port,host:port}
     * @param sessionTimeout the session timeout
     * @param path           the root path; the cluster lives under {@code path/<cluster>}
     * @param digest         {@code user:password} for digest ACLs, or null for open ACLs
     */
    record Settings(String type, String connect, Duration sessionTimeout, String path, String digest) {
        /** Never prints the digest credentials. */
        @Override
        public String toString() {
            return "Settings[type=" + type + ", connect=" + connect + ", sessionTimeout=" + sessionTimeout + ", path="
                    + path + ", digest=" + (digest == null ? "none" : "***") + "]";
        }
    }
}
