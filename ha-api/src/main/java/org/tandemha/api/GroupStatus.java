package org.tandemha.api;

import java.util.List;

/**
 * One resource group as this node sees it.
 *
 * @param group       the group id
 * @param localState  its state on this node
 * @param activeNode  where it runs (as far as this node knows), or {@code null} if nowhere
 * @param generation  its generation: grows at each takeover
 * @param preferred   the nodes in priority order
 * @param switchback  {@code AUTOMATIC} or {@code ADMINISTRATOR}
 * @param managed     {@code false} in maintenance: the cluster neither starts, stops nor recovers it
 * @param blockedOn   nodes where it may not run until cleared (start failed, recovery exhausted)
 * @param resources   its resources, bottom-up
 * @param detail      a short explanation of the current state
 */
public record GroupStatus(String group, GroupState localState, String activeNode, long generation,
                          List<String> preferred, String switchback, boolean managed, List<String> blockedOn,
                          List<ResourceStatus> resources, String detail) {
}
