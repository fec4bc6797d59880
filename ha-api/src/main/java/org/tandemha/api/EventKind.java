package org.tandemha.api;

/** What a {@link ClusterEvent} is about. Names follow the operator's words. */
public enum EventKind {
    /** The node started its engine. */
    NODE_STARTED,
    /** The node stopped its engine. */
    NODE_STOPPED,
    /** A heartbeat path to a peer came up. */
    PATH_UP,
    /** A heartbeat path to a peer went down (a warning only, while another path is up). */
    PATH_DOWN,
    /** A peer became reachable (on any path). */
    PEER_REACHABLE,
    /** A peer became unreachable (on every path). */
    PEER_UNREACHABLE,
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
    /** A resource started. */
    RESOURCE_STARTED,
    /** A resource failed to start. */
    RESOURCE_START_FAILED,
    /** A resource stopped. */
    RESOURCE_STOPPED,
    /** A resource failed to stop (the group is FAILED on this node until it is fenced or cleared). */
    RESOURCE_STOP_FAILED,
    /**
     * A probe (a one-off check at node start and when a peer joins; for OCF agents a monitor with
     * {@code OCF_RESKEY_CRM_meta_interval=0}) found a resource running on a node where its group does not run.
     */
    RESOURCE_FOUND_RUNNING,
    /** A quick or deep check failed. */
    CHECK_FAILED,
    /** A check passed again after a failure. */
    CHECK_RECOVERED,
    /** Local recovery of a resource was tried. */
    RECOVERY_ATTEMPTED,
    /** Local recovery worked. */
    RECOVERY_SUCCEEDED,
    /** Local recovery did not work. */
    RECOVERY_FAILED,
    /** A group's state changed on this node. */
    GROUP_STATE,
    /** This node claims a group for a new generation, or withdraws its claim. */
    GROUP_CLAIMED,
    /** A failover (unplanned move) started. */
    FAILOVER_STARTED,
    /** A failover finished: the group is online on its new node. */
    FAILOVER_FINISHED,
    /** A switchover (planned move) or switchback started. */
    SWITCHOVER_STARTED,
    /** A switchover or switchback finished. */
    SWITCHOVER_FINISHED,
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
    STANDBY_STATE,
    /**
     * Remote disaster recovery: the operator's {@code promote-dr} of a DR node (the data at risk shown, the primary
     * site's nodes fenced by the operator, the DR node promoted), or its refusal's reason.
     */
    DR_PROMOTION
}
