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
 */
public record ClusterConfig(String cluster, String localNode, byte[] key, List<Node> nodes, List<Path> paths) {

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
