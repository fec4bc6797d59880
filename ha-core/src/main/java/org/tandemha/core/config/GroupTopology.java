package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.api.Problem;

/**
 * What a resource learns from its group while it is built ({@link org.tandemha.api.NodeContext#groupNodes},
 * {@link org.tandemha.api.NodeContext#promotable}, {@link org.tandemha.api.NodeContext#drNodes}): one answer for the
 * running node and for {@code tandem validate}, which asks it of a configuration whose other parts may be broken
 * ({@link #lenient}).
 *
 * @param groups the groups, as configured
 */
public record GroupTopology(List<GroupSpec> groups) {
    public GroupTopology {
        groups = List.copyOf(groups);
    }

    /** The topology of a valid configuration. */
    public static GroupTopology of(ClusterSpec spec) {
        return new GroupTopology(spec.groups());
    }

    /**
     * The groups as far as they can be read from a configuration tree that may have problems elsewhere (or in some
     * groups: those are left out). Reports nothing: {@link ConfigLoader} reports the problems.
     */
    public static GroupTopology lenient(JsonNode root) {
        if (root == null || !root.isObject()) {
            return new GroupTopology(List.of());
        }
        List<Problem> ignored = new ArrayList<>();
        try {
            // The groups' node lists as written (the nodes section may be the broken part).
            return new GroupTopology(new GroupsReader(ignored, null).groups(root.get("groups"), List.of(), null));
        } catch (RuntimeException e) {
            return new GroupTopology(List.of());
        }
    }

    /** The nodes of the group that holds {@code resource}, in priority order (the DR nodes last); empty if none. */
    public List<String> groupNodes(String resource) {
        for (GroupSpec g : groups) {
            if (g.resources().stream().anyMatch(r -> r.id().equals(resource))) {
                return g.nodes();
            }
        }
        return List.of();
    }

    /** Whether {@code resource} is the replicated resource of a promotable group. */
    public boolean promotable(String resource) {
        return groups.stream().anyMatch(g -> resource.equals(g.promotableResource()));
    }

    /** The nodes of every group's DR site, each once. */
    public List<String> drNodes() {
        return groups.stream().flatMap(g -> g.dr().nodes().stream()).distinct().toList();
    }
}
