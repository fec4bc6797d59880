package org.tandemha.core.config;

import java.time.Duration;
import java.util.List;

/**
 * One configured resource group, validated: its nodes in priority order, its switchback policy, its local
 * recovery limit, and its resources sorted so that each comes after what it depends on (start order).
 */
public record GroupSpec(String id, List<String> nodes, SwitchbackPolicy switchback, Duration settle,
                        int maxRecoveries, Duration recoveryWindow, List<ResourceSpec> resources) {
    public GroupSpec {
        nodes = List.copyOf(nodes);
        resources = List.copyOf(resources);
    }

    /** The priority index of a node (0 is most preferred), or -1 if it may not run the group. */
    public int priority(String node) {
        return nodes.indexOf(node);
    }
}
