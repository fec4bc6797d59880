package org.tandemha.api;

/**
 * How bad a failure is, which decides where the resource may be retried (as in the OCF resource-agent API).
 */
public enum Severity {
    /** Retry allowed on this node: local recovery first, then failover. */
    SOFT,
    /** Do not retry on this node; move the group to the next node. */
    HARD,
    /** A configuration error: the group runs nowhere until the operator fixes and clears it. */
    FATAL
}
