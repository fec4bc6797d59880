package org.tandemha.api;

/** What a node knows of a cluster member. */
public enum NodeState {
    /** This node itself. */
    LOCAL,
    /** Heard on at least one heartbeat path. */
    REACHABLE,
    /** Silent on every path; the safety check has not (yet) declared it dead. */
    UNREACHABLE,
    /** Silent on every path, and the safety check declared it dead or fenced. */
    DEAD,
    /** Not heard since this node started. */
    UNKNOWN
}
