package org.tandemha.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The cluster-wide part of the configuration that plugins need to build heartbeats and arbiters: the nodes, their
 * addresses on each path, the paths and the shared key. The engine parses and validates it.
 *
 * @param cluster   the cluster's name (heartbeats of another cluster are dropped)
 * @param localNode this node's id
 * @param key       the shared cluster key for HMAC-SHA256 authentication
 * @param nodes     every node, in configuration order
 * @param paths     every heartbeat path, in priority order
 * @param realtime  the real-time settings of the heartbeat threads (section {@code realtime}); never null
 */
public record ClusterConfig(String cluster, String localNode, byte[] key, List<Node> nodes, List<Path> paths,
                            Realtime realtime) {

    /** Without real-time settings. */
    public ClusterConfig(String cluster, String localNode, byte[] key, List<Node> nodes, List<Path> paths) {
        this(cluster, localNode, key, nodes, paths, Realtime.NONE);
    }

    public ClusterConfig {
        realtime = realtime == null ? Realtime.NONE : realtime;
    }

    /**
     * Real-time scheduling and memory locking for the threads that send and watch heartbeats, so that a busy or
     * swapping machine does not delay them (keepalived's {@code vrrp_rt_priority} and {@code vrrp_no_swap}).
     *
     * @param priority   the real-time priority of the heartbeat threads, 1 to 99; 0: normal scheduling
     * @param policy     {@code rr} (SCHED_RR, the default) or {@code fifo} (SCHED_FIFO)
     * @param lockMemory lock the whole process in memory ({@code mlockall(MCL_CURRENT|MCL_FUTURE)})
     * @param required   when a setting is not permitted, fail the node's start instead of running without it
     */
    public record Realtime(int priority, String policy, boolean lockMemory, boolean required) {
        /** Normal scheduling, memory not locked. */
        public static final Realtime NONE = new Realtime(0, "rr", false, false);

        /** Whether anything is asked for. */
        public boolean enabled() {
            return priority > 0 || lockMemory;
        }
    }

    /**
     * One node.
     *
     * @param id        the node id
     * @param addresses the node's address on each path, by path name ({@code host:port}, or a device for a disk
     *                  path)
     */
    public record Node(String id, Map<String, String> addresses) {
    }

    /**
     * One heartbeat path.
     *
     * @param name      the path's name
     * @param transport {@code udp} (default), {@code tcp}, {@code multicast}, or a plugin's medium such as
     *                  {@code disk}
     * @param priority  lower is preferred for messages
     * @param interval  time between heartbeats
     * @param misses    heartbeats missed before the path is down
     * @param options   transport-specific settings (multicast group, device...)
     */
    public record Path(String name, String transport, int priority, Duration interval, int misses,
                       Map<String, Object> options) {
    }

    /** The peers: every node but this one. */
    public List<Node> peers() {
        return nodes.stream().filter(n -> !n.id().equals(localNode)).toList();
    }
}
