package org.tandemha.api;

/**
 * One cluster member as this node sees it.
 *
 * @param node        the node id
 * @param state       local, reachable, unreachable, dead or unknown
 * @param incarnation the member's incarnation (changes at each restart), 0 if unknown
 * @param detail      a short explanation ("all 2 paths down for 1.2 s; safety check: peer alive")
 */
public record NodeStatus(String node, NodeState state, long incarnation, String detail) {
}
