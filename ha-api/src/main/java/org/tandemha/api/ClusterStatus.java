package org.tandemha.api;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of the cluster as one node sees it: everything the status view shows.
 *
 * @param cluster   the cluster's name
 * @param localNode this node's id
 * @param time      when the node's view (nodes and groups) was taken (wall clock); with {@code stale}, it can be
 *                  well before the call
 * @param nodes     every configured node
 * @param paths     every heartbeat path to every peer (always current)
 * @param groups    every group
 * @param stale     the node's engine was too busy to answer in time: nodes and groups are the last view it gave,
 *                  taken at {@code time}
 */
public record ClusterStatus(String cluster, String localNode, Instant time, List<NodeStatus> nodes,
                            List<PathStatus> paths, List<GroupStatus> groups, boolean stale) {

    /** A fresh snapshot. */
    public ClusterStatus(String cluster, String localNode, Instant time, List<NodeStatus> nodes,
                         List<PathStatus> paths, List<GroupStatus> groups) {
        this(cluster, localNode, time, nodes, paths, groups, false);
    }

    /** How old the node's view is at {@code now}. */
    public java.time.Duration age(Instant now) {
        return time.isAfter(now) ? java.time.Duration.ZERO : java.time.Duration.between(time, now);
    }

    /** The status of one group, or {@code null}. */
    public GroupStatus group(String id) {
        return groups.stream().filter(g -> g.group().equals(id)).findFirst().orElse(null);
    }

    /** The status of one node, or {@code null}. */
    public NodeStatus node(String id) {
        return nodes.stream().filter(n -> n.node().equals(id)).findFirst().orElse(null);
    }
}
