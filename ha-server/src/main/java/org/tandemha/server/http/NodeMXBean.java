package org.tandemha.server.http;

/**
 * A node's view of the cluster over JMX, {@code org.tandemha:type=Node,name=<node>}; see {@link JmxBeans}. Each
 * attribute read takes a fresh status snapshot.
 */
public interface NodeMXBean {
    /** The cluster's name. */
    String getCluster();

    /** This node's id. */
    String getLocalNode();

    /** Peers heard on at least one heartbeat path. */
    int getPeersReachable();

    /** Peers configured. */
    int getPeersTotal();

    /** Heartbeat paths that are up. */
    int getPathsUp();

    /** Heartbeat paths configured (one per path and peer). */
    int getPathsTotal();

    /** Groups online on this node. */
    int getGroupsOnline();

    /** True if the engine could not refresh its status view. */
    boolean isStale();

    /** Age of the engine's status view, in milliseconds. */
    long getStatusAgeMs();

    /**
     * How many of its ping hosts this node reaches, as it last announced; -1 without a {@code ping} section or before
     * its first count.
     */
    int getPingReachable();

    /** How many ping hosts this node pings; 0 without a {@code ping} section. */
    int getPingHosts();

    /** Every node as {@code "node1 LOCAL"}, {@code "node2 REACHABLE"}. */
    String[] getNodes();
}
