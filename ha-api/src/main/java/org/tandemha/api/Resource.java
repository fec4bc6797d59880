package org.tandemha.api;

/**
 * One protected thing: an address, a volume, a process, a database, or anything a user defines.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@code start} and {@code stop} are idempotent: starting a running resource and stopping a stopped one
 *       succeed without doing anything.</li>
 *   <li>Both must return before {@link ActionContext#deadline()}. The engine stops waiting at the deadline and
 *       records a timeout either way; an implementation that runs processes kills their whole tree then.</li>
 *   <li>A stop that fails is an emergency: the engine marks the group failed and will not let another node start
 *       it until this node is fenced. So return {@link ActionResult#done(String)} only when the resource is
 *       really gone.</li>
 *   <li>Failures are returned, not thrown. An exception escaping is recorded as an {@link ActionResult.Outcome#ERROR}.</li>
 * </ul>
 */
public interface Resource {
    /** Brings the resource up on this node. */
    ActionResult start(ActionContext context);

    /** Takes the resource down on this node; "already stopped" is success. */
    ActionResult stop(ActionContext context);
}
