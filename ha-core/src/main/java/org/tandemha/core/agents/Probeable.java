package org.tandemha.core.agents;

import org.tandemha.api.ActionContext;
import org.tandemha.api.CheckResult;

/**
 * Implemented by a resource with a one-off check of its own for probes (the check the runtime runs of every resource
 * at node start and when a peer joins, to find it running where it should not). An OCF agent's probe is
 * {@code monitor} with {@code OCF_RESKEY_CRM_meta_interval=0}, as Pacemaker runs it, so that the agent knows it is
 * not a recurring check. Resources without one are probed with their quick check.
 */
public interface Probeable {
    /** Whether the resource runs here: OK (or DEGRADED) when it does, NOT_RUNNING when it does not. Never throws. */
    CheckResult probe(ActionContext context);
}
