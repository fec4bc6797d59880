package org.tandemha.api;

/** The state of one heartbeat path to one peer. */
public enum PathState {
    /** Heartbeats arrive. */
    UP,
    /** The miss count was reached: shown red, reported, but no failover while another path is up. */
    DOWN,
    /** Nothing heard yet. */
    UNKNOWN
}
