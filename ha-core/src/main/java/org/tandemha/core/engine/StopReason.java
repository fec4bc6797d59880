package org.tandemha.core.engine;

/** Why a group is being stopped on this node: it decides what the stop's end and a failed stop mean. */
enum StopReason {
    CLEARED("stopping again after the operator cleared a failed stop"),
    CLEANUP("clean-up at start"),
    FOUND_RUNNING("a probe found it running here, where it does not run"),
    SWITCHOVER("switchover"),
    SWITCHBACK("switchback"),
    CONNECTIVITY("moving to a node that reaches more of its ping hosts"),
    FAILOVER("failing over"),
    START_FAILED("start failed"),
    STAND_DOWN("standing down"),
    LOST_GENERATION("another node holds a newer generation"),
    SHUTDOWN("node shutting down"),
    QUORUM("quorum is lost"),
    LEASE_LOST("its lease from the coordination service is lost or in doubt");

    private final String description;

    StopReason(String description) {
        this.description = description;
    }

    String describe() {
        return description;
    }

    /** Another node may take the group once this stop is over: a failed stop here must end in a reset. */
    boolean lettingGo() {
        return this == STAND_DOWN || this == LOST_GENERATION || this == QUORUM || this == SHUTDOWN || this == LEASE_LOST;
    }
}
