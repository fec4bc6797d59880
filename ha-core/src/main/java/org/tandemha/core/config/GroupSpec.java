package org.tandemha.core.config;

import java.time.Duration;
import java.util.List;

/**
 * One configured resource group, validated: its nodes in priority order, its switchback policy, its local
 * recovery limit, and its resources sorted so that each comes after what it depends on (start order).
 *
 * <p>A {@code promotable} group runs as primary on one node and as standby on the other eligible nodes: its first
 * resource is the replicated one (promoted where the group runs, a standby elsewhere); the group's other resources
 * (an address, an application) run with the primary only. Its {@link DrSpec} names the nodes of a remote DR site
 * (promoted by the operator only, unless configured) and the resources that run at one site only.
 */
public record GroupSpec(String id, List<String> nodes, SwitchbackPolicy switchback, Duration settle,
                        int maxRecoveries, Duration recoveryWindow, List<ResourceSpec> resources, boolean promotable,
                        DrSpec dr) {
    public GroupSpec {
        nodes = List.copyOf(nodes);
        resources = List.copyOf(resources);
        dr = dr == null ? DrSpec.NONE : dr;
    }

    /** A group with no DR site. */
    public GroupSpec(String id, List<String> nodes, SwitchbackPolicy switchback, Duration settle,
                     int maxRecoveries, Duration recoveryWindow, List<ResourceSpec> resources, boolean promotable) {
        this(id, nodes, switchback, settle, maxRecoveries, recoveryWindow, resources, promotable, DrSpec.NONE);
    }

    /** An ordinary (not promotable) group. */
    public GroupSpec(String id, List<String> nodes, SwitchbackPolicy switchback, Duration settle,
                     int maxRecoveries, Duration recoveryWindow, List<ResourceSpec> resources) {
        this(id, nodes, switchback, settle, maxRecoveries, recoveryWindow, resources, false);
    }

    /** The replicated resource of a promotable group (its first), or null for an ordinary group. */
    public String promotableResource() {
        return promotable && !resources.isEmpty() ? resources.get(0).id() : null;
    }

    /** The priority index of a node (0 is most preferred), or -1 if it may not run the group. */
    public int priority(String node) {
        return nodes.indexOf(node);
    }
}
