package org.tandemha.examples.ops;

/**
 * One group over JMX, {@code org.tandemha:type=Group,node=<node>,name=<group>}; see {@link JmxExporter}.
 * The operations wait for the node's answer and return it as {@code "done: ..."} or {@code "refused: ..."}.
 */
public interface GroupMXBean {
    /** Its state on this node (ONLINE, OFFLINE, ...). */
    String getState();

    /** Where it runs, or {@code null} if nowhere. */
    String getActiveNode();

    /** Its generation: grows at each takeover. */
    long getGeneration();

    /** {@code false} in maintenance. */
    boolean isManaged();

    /** Nodes where it may not run until cleared. */
    String[] getBlocked();

    /** A short explanation of its state. */
    String getDetail();

    /** Moves it to {@code node}. */
    String switchover(String node);

    /** Moves it back to its most preferred available node. */
    String switchback();

    /** Leaves it alone ({@code true}) or manages it again ({@code false}). */
    String maintenance(boolean on);

    /** Clears its recorded failures. */
    String clear();
}
