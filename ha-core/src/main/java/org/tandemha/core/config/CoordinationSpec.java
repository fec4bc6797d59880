package org.tandemha.core.config;

import java.time.Duration;

/**
 * An external coordination service that decides who owns each group (the {@code coordination} section), instead of
 * the peer-to-peer claim protocol. A group is owned by the node holding its lease; the lease's token is the group's
 * generation (a fencing token). Provided at run time by a module (for {@code type: zookeeper}: ha-zookeeper).
 *
 * @param type           the service type ({@code zookeeper})
 * @param connect        the service's connect string ({@code host:port,host:port})
 * @param sessionTimeout the session timeout: a node that lost its session for this long has lost its leases
 * @param path           the root path of Tandem's nodes; each cluster lives under {@code path/<cluster>}
 * @param digest         {@code user:password} for ZooKeeper's digest ACLs on the cluster's nodes, or null for open ACLs
 */
public record CoordinationSpec(String type, String connect, Duration sessionTimeout, String path, String digest) {
    /** The default session timeout. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);

    /** Never prints the digest credentials. */
    @Override
    public String toString() {
        return "CoordinationSpec[type=" + type + ", connect=" + connect + ", sessionTimeout=" + sessionTimeout
                + ", path=" + path + ", digest=" + (digest == null ? "none" : "***") + "]";
    }
}
