package org.tandemha.core.agents;

import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;

/**
 * Implemented by a resource that can check its configuration on this node without changing anything (an OCF
 * agent's {@code validate-all}). A failure's severity says whether the problem is this node's
 * ({@link org.tandemha.api.Severity#HARD}) or the configuration's ({@link org.tandemha.api.Severity#FATAL}).
 */
public interface Validatable {
    /** Checks the configuration on this node. */
    ActionResult validate(ActionContext context);
}
