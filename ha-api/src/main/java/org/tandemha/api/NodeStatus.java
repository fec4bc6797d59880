package org.tandemha.api;

/**
 * One cluster member as this node sees it.
 *
 * @param node          the node id
 * @param state         local, reachable, unreachable, dead or unknown
 * @param incarnation   the member's incarnation (changes at each restart), 0 if unknown
 * @param detail        a short explanation ("all 2 paths down for 1.2 s; safety check: peer alive")
 * @param pingReachable how many of its ping hosts the member reaches, as it last announced (the configuration's
 *                      {@code ping} section); -1 when there is no {@code ping} section or it has announced no count yet
 * @param pingHosts     how many ping hosts the member pings; 0 when there is no {@code ping} section
 */
public record NodeStatus(String node, NodeState state, long incarnation, String detail, int pingReachable,
                         int pingHosts) {

    /** A member of a cluster without reachability monitoring ({@code ping}). */
    public NodeStatus(String node, NodeState state, long incarnation, String detail) {
        this(node, state, incarnation, detail, -1, 0);
    }

    /** Whether the member has announced how many of its ping hosts it reaches. */
    public boolean pingKnown() {
        return pingHosts > 0 && pingReachable >= 0;
    }
}
