package org.tandemha.api;

/** What a {@link ClusterEvent} is about. Names follow the operator's words. */
public enum EventKind {
    /** The node started or stopped its engine. */
    NODE_STARTED, NODE_STOPPED,
    /** A heartbeat path to a peer came up or went down (a warning only, while another path is up). */
    PATH_UP, PATH_DOWN,
    /** A peer became reachable (on any path) or unreachable (on every path). */
    PEER_REACHABLE, PEER_UNREACHABLE,
    /** A peer came back with a new incarnation: it restarted. */
    PEER_RESTARTED,
    /** The safety check ran and reached a verdict, with its reasons. */
    SAFETY_CHECK,
    /** The peer is unreachable on every path but alive: nothing moves, the cluster runs without redundancy. */
    CLUSTER_DEGRADED,
    /** This node lost the safety check, or found itself fenced, and stops its shared groups. */
    STAND_DOWN,
    /** Fencing of a peer was attempted; details say with which method and how it ended. */
    FENCE,
    /** A resource action started, finished or failed. */
    RESOURCE_STARTED, RESOURCE_START_FAILED, RESOURCE_STOPPED, RESOURCE_STOP_FAILED,
    /** A quick or deep check failed, or passed again after a failure. */
    CHECK_FAILED, CHECK_RECOVERED,
    /** Local recovery was tried; details say whether it worked. */
    RECOVERY_ATTEMPTED, RECOVERY_SUCCEEDED, RECOVERY_FAILED,
    /** A group's state changed on this node. */
    GROUP_STATE,
    /** This node claims a group for a new generation, or withdraws its claim. */
    GROUP_CLAIMED,
    /** A failover (unplanned move) started and finished. */
    FAILOVER_STARTED, FAILOVER_FINISHED,
    /** A switchover (planned move) or switchback started and finished. */
    SWITCHOVER_STARTED, SWITCHOVER_FINISHED,
    /** A group was put into, or taken out of, maintenance (unmanaged). */
    MAINTENANCE,
    /** An administrator command was refused, with the reason. */
    COMMAND_REFUSED,
    /** A note from a resource or plugin. */
    NOTE,
    /** Something is wrong with the node itself: a starved thread, a clock jump, a failed periodic task. */
    NODE_WARNING,
    /**
     * Promotable groups: a standby was promoted to primary (details: generation, the positions compared, and the
     * data at risk: {@code atRiskBytes}, {@code atRiskSeconds}), or a primary was demoted on a planned release.
     */
    PROMOTED, DEMOTED,
    /** Promotable groups: a standby started, stopped, fell behind, or failed (an alarm: never a quiet "running"). */
    STANDBY_STATE
}
