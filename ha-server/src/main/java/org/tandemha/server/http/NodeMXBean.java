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

    /** Every node as {@code "node1 LOCAL"}, {@code "node2 REACHABLE"}. */
    String[] getNodes();
}
