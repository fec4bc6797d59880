package org.tandemha.core.config;

import java.util.List;
import java.util.Map;

/**
 * Remote disaster recovery for a promotable group ({@code dr:} in the group): the nodes of the DR site, which run an
 * asynchronous standby (never one of the synchronous standbys), have no quorum vote, and are promoted only by the
 * operator's {@code promote-dr} unless {@code autoPromote} is on; and the resources that run only at one site (an
 * address of the primary site's range is not moved to the DR site: {@code site: primary} on it, and a DR address with
 * {@code site: dr}).
 *
 * @param nodes       the DR site's nodes (also members of the group, after its {@code nodes})
 * @param autoPromote whether the cluster may promote a DR node by itself, like any other node (default false)
 * @param sites       resource id to {@code primary} or {@code dr}: where it runs; a resource not listed runs at both
 */
public record DrSpec(List<String> nodes, boolean autoPromote, Map<String, String> sites) {
    /** No DR site. */
    public static final DrSpec NONE = new DrSpec(List.of(), false, Map.of());

    /** The site value of a resource that runs only with a primary on a primary-site node. */
    public static final String PRIMARY = "primary";
    /** The site value of a resource that runs only with a primary on a DR node. */
    public static final String DR = "dr";

    public DrSpec {
        nodes = List.copyOf(nodes);
        sites = Map.copyOf(sites);
    }

    /** Whether {@code node} is at the DR site. */
    public boolean isDr(String node) {
        return nodes.contains(node);
    }

    /** Whether the resource runs when the group is primary on {@code node}. */
    public boolean runsOn(String resource, String node) {
        String site = sites.get(resource);
        return site == null || site.equals(isDr(node) ? DR : PRIMARY);
    }

    /** Whether anything is configured. */
    public boolean present() {
        return !nodes.isEmpty() || !sites.isEmpty();
    }
}
