package org.tandemha.core.engine;

/**
 * The replicated resource of a promotable group on a node where the group is not primary. Transitions (in
 * {@link Standbys}):
 *
 * <pre>
 * NONE     --a primary runs elsewhere, this node may run the group-->  STARTING
 * STARTING --started-->         RUNNING       --failed-->  FAILED (alarm; retried later)
 * RUNNING  --check fails-->     FAILED (alarm)             --must stop (shutdown, stand down, blocked)--> STOPPING
 * RUNNING  --promoted here (the group's start sequence)--> NONE
 * FAILED   --retry due-->       STARTING      --must stop--> STOPPING
 * STOPPING --stopped-->         NONE          --failed-->  FAILED
 * </pre>
 */
public enum StandbyState {
    NONE, STARTING, RUNNING, STOPPING, FAILED;

    /** Whether an action of the standby is in flight (the group is not claimed meanwhile). */
    boolean busy() {
        return this == STARTING || this == STOPPING;
    }
}
