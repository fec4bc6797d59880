package org.tandemha.api;

/**
 * A resource whose data is replicated between the nodes of a promotable group: it runs as the primary on the node
 * that holds the group and as a standby on the other eligible nodes. The engine decides the roles; the resource
 * carries them out.
 *
 * <p>Contract, besides {@link Resource}'s:
 * <ul>
 *   <li>{@link #start} brings it up as a <em>standby</em>, never as a primary: a node that held the primary before
 *       (it crashed, it was cut off) must first make its copy follow the current primary again (rewind it, or
 *       rebuild it), and return a failure when it cannot. {@link #stop} takes it down whatever its role.</li>
 *   <li>{@link #promote} makes it the primary, starting it first if it is not running. The engine calls it only on
 *       the node that holds the group at {@link ActionContext#generation()}: the generation is the fencing token, and
 *       a resource that can record it (in its data, in the replication stream) should, so that a copy written under
 *       an older generation can be told apart.</li>
 *   <li>{@link #demote} ends the primary role on a planned release (a switchover): afterwards the resource is
 *       stopped or a standby, and {@link #start} makes it follow the new primary.</li>
 *   <li>{@link #replicationState} is cheap (it runs with every check) and never throws: it says what role the
 *       resource plays and how far its copy goes. The engine compares {@link ReplicationState#position()} between
 *       nodes to promote the standby with the most data.</li>
 *   <li>All actions are idempotent and return before the context's deadline, like {@link Resource}'s.</li>
 * </ul>
 */
public interface PromotableResource extends Resource {
    /** Brings the resource up on this node as a standby of the current primary (idempotent). */
    @Override
    ActionResult start(ActionContext context);

    /** Makes this node's copy the primary, at {@link ActionContext#generation()}. */
    ActionResult promote(ActionContext context);

    /** Ends the primary role here (planned release); the resource is then stopped or a standby. */
    ActionResult demote(ActionContext context);

    /** The role and position of this node's copy, as found now. */
    ReplicationState replicationState(ActionContext context);
}
