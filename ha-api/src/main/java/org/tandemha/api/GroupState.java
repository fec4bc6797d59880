package org.tandemha.api;

/** The state of a resource group on one node. */
public enum GroupState {
    /** Not running here, cleanly stopped. */
    OFFLINE,
    /** Claimed or being started here, bottom-up. */
    STARTING,
    /** Running here, checks passing. */
    ONLINE,
    /** Running here; local recovery of a failed resource is under way. */
    RECOVERING,
    /** Being stopped here, top-down. */
    STOPPING,
    /**
     * A stop failed or timed out: the group may still hold its resources here, so no other node may start it until
     * this node is fenced or the operator clears it.
     */
    FAILED,
    /** The node does not know yet (it has just started and not yet made sure the group is stopped). */
    UNKNOWN,
    /**
     * A promotable group that is primary elsewhere: its replicated resource runs here as a standby, ready to be
     * promoted (not offline: it holds a copy of the data). A standby that failed shows as OFFLINE with the reason in
     * the detail.
     */
    STANDBY
}
