package org.tandemha.api;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of the cluster as one node sees it: everything the status view shows.
 *
 * @param cluster   the cluster's name
 * @param localNode this node's id
 * @param time      when the snapshot was taken (wall clock)
 * @param nodes     every configured node
 * @param paths     every heartbeat path to every peer
 * @param groups    every group
 */
public record ClusterStatus(String cluster, String localNode, Instant time, List<NodeStatus> nodes,
                            List<PathStatus> paths, List<GroupStatus> groups) {

    /** The status of one group, or {@code null}. */
    public GroupStatus group(String id) {
        return groups.stream().filter(g -> g.group().equals(id)).findFirst().orElse(null);
    }

    /** The status of one node, or {@code null}. */
    public NodeStatus node(String id) {
        return nodes.stream().filter(n -> n.node().equals(id)).findFirst().orElse(null);
    }
}
