package org.tandemha.server.http;

/**
 * One group over JMX, {@code org.tandemha:type=Group,node=<node>,name=<group>}; see {@link JmxBeans}. The
 * operations wait for the node's answer, return it as {@code "done: ..."} or {@code "refused: ..."}, and are
 * written to the audit log (who: {@code jmx}).
 */
public interface GroupMXBean {
    /** Its state on this node (ONLINE, OFFLINE, ...). */
    String getState();

    /**
     * Its state as a number, for graphs: 0 OFFLINE, 1 STARTING, 2 ONLINE, 3 RECOVERING, 4 STOPPING, 5 FAILED,
     * 6 STANDBY (promotable groups), -1 UNKNOWN.
     */
    int getStateCode();

    /** True if it runs on this node. */
    boolean isOnline();

    /** Where it runs, or {@code null} if nowhere. */
    String getActiveNode();

    /** Its generation: grows at each takeover. */
    long getGeneration();

    /** {@code false} in maintenance. */
    boolean isManaged();

    /** Its resources running on this node. */
    int getResourcesRunning();

    /** Consecutive failed checks, summed over its resources. */
    int getCheckFailures();

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
