package org.tandemha.api;

/**
 * One fencing method: cut a peer off shared resources (SCSI preempt), power it off (a script for IPMI or a cloud
 * API), or leave it a poison pill on the shared disk. Methods are tried in order, each with its deadline; the first
 * success counts.
 */
public interface Fencer {
    /** A short name for events. */
    String name();

    /** Fences the peer. {@link ActionResult.Outcome#DONE} means the peer can no longer touch shared resources. */
    ActionResult fence(String peer, ActionContext context);
}
