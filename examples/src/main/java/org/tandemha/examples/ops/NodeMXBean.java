package org.tandemha.examples.ops;

/**
 * A node's view of the cluster over JMX, {@code org.tandemha:type=Node,name=<node>}; see {@link JmxExporter}.
 * Each attribute read takes a fresh status snapshot.
 */
public interface NodeMXBean {
    /** The cluster's name. */
    String getCluster();

    /** This node's id. */
    String getLocalNode();

    /** Every node as {@code "node1 LOCAL"}, {@code "node2 REACHABLE"}. */
    String[] getNodes();

    /** Every heartbeat path as {@code "loopback to node2: UP, rtt 0.4 ms, loss 0.0%, last heartbeat 80 ms ago"}. */
    String[] getPaths();

    /** Every group as {@code "hello: ONLINE here, active on node1, generation 1, managed"}. */
    String[] getGroups();
}
