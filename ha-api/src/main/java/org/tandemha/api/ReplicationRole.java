package org.tandemha.api;

/**
 * The role a {@link PromotableResource} plays on one node, as the resource itself finds it (not as the engine
 * wants it): the engine compares the two in its role-aware checks.
 */
public enum ReplicationRole {
    /** Accepts writes; the others replicate from it. At most one node of a group may hold this role. */
    PRIMARY,
    /** Running, read-only, replaying what the primary sends (or waiting for it): ready to be promoted. */
    STANDBY,
    /** Not running on this node. */
    STOPPED,
    /** The resource could not tell (it does not answer, or answers something unexpected). */
    UNKNOWN
}
