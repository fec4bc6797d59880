package org.tandemha.core.engine;

import org.tandemha.api.GroupState;

/**
 * A group's state on one node. Transitions (all in {@link Engine}):
 *
 * <pre>
 * UNKNOWN    --boot-->                 STOPPING (clean-up of leftovers)
 * OFFLINE    --target, peers clear-->  CLAIMING        --probe found it running-->  STOPPING
 * CLAIMING   --every peer acks-->      STARTING        --conflict-->  OFFLINE
 * STARTING   --all started-->          ONLINE          --failed-->    STOPPING (blocked here)
 * ONLINE     --check fails-->          RECOVERING      --release-->   STOPPING
 * RECOVERING --recovered-->            ONLINE          --failed-->    STOPPING (blocked here)
 * STOPPING   --all stopped-->          OFFLINE         --stop failed--> FAILED
 * FAILED     --clear, or fenced-->     OFFLINE
 * </pre>
 */
public enum LocalState {
    UNKNOWN, OFFLINE, CLAIMING, STARTING, ONLINE, RECOVERING, STOPPING, FAILED;

    /** Whether the group's resources may be running here (what blocks every other node). */
    public boolean active() {
        return switch (this) {
            case UNKNOWN, STARTING, ONLINE, RECOVERING, STOPPING, FAILED -> true;
            case OFFLINE, CLAIMING -> false;
        };
    }

    public GroupState toApi() {
        return switch (this) {
            case UNKNOWN -> GroupState.UNKNOWN;
            case OFFLINE -> GroupState.OFFLINE;
            case CLAIMING, STARTING -> GroupState.STARTING;
            case ONLINE -> GroupState.ONLINE;
            case RECOVERING -> GroupState.RECOVERING;
            case STOPPING -> GroupState.STOPPING;
            case FAILED -> GroupState.FAILED;
        };
    }
}
