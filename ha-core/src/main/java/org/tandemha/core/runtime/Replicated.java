package org.tandemha.core.runtime;

import java.util.function.Consumer;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.PromotableResource;
import org.tandemha.api.ReplicationRole;
import org.tandemha.api.ReplicationState;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Severity;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;

/**
 * The edge of promotable groups: runs promote, demote and a standby's start on a {@link PromotableResource}, and
 * makes its checks role-aware (a primary that finds itself a standby, or a standby that finds itself a primary,
 * fails its check), publishing the copy's position and lag as facts for the engine to compare.
 */
final class Replicated {
    private Replicated() {
    }

    static ActionResult run(Action.ResourceOp op, ResourceParts p, ActionContext ctx) {
        if (!(p.resource() instanceof PromotableResource pr)) {
            return ActionResult.failed(Severity.FATAL, "resource " + ctx.resource() + " of group " + ctx.group()
                    + " is not promotable (its type has no promote, demote or standby role): make it a type that"
                    + " replicates, or set promotable: false on the group");
        }
        return switch (op) {
            case PROMOTE -> pr.promote(ctx);
            case DEMOTE -> pr.demote(ctx);
            case START_STANDBY -> pr.start(ctx);
            default -> throw new IllegalArgumentException(op + " is not an action of a replicated resource");
        };
    }

    /** A standby's check: the resource must say it is a standby. */
    static CheckResult standbyCheck(ResourceParts p, ActionContext ctx, Consumer<Input> submit) {
        if (!(p.resource() instanceof PromotableResource pr)) {
            return CheckResult.failed(Severity.FATAL, "resource " + ctx.resource() + " is not promotable");
        }
        ReplicationState st = publish(pr, ctx, submit);
        if (st.role() != ReplicationRole.STANDBY) {
            return CheckResult.failed("expected a standby on " + ctx.node() + ", found " + st.role()
                    + (st.detail().isEmpty() ? "" : ": " + st.detail()));
        }
        CheckResult quick = p.checker().quickCheck(ctx);
        return quick.healthy() ? CheckResult.ok("standby at " + st.position() + ", lag " + st.lag().toMillis() + " ms"
                + (st.detail().isEmpty() ? "" : "; " + st.detail())) : quick;
    }

    /** A primary's quick check of a promotable resource: it must also say it is the primary. */
    static CheckResult primaryCheck(ResourceParts p, ActionContext ctx, CheckResult quick, Consumer<Input> submit) {
        if (!(p.resource() instanceof PromotableResource pr) || !quick.healthy()) {
            return quick;
        }
        ReplicationState st = publish(pr, ctx, submit);
        if (st.role() != ReplicationRole.PRIMARY) {
            return CheckResult.failed("expected the primary on " + ctx.node() + ", found " + st.role()
                    + (st.detail().isEmpty() ? "" : ": " + st.detail()));
        }
        return quick;
    }

    private static ReplicationState publish(PromotableResource pr, ActionContext ctx, Consumer<Input> submit) {
        ReplicationState st;
        try {
            st = pr.replicationState(ctx);
        } catch (RuntimeException e) {
            st = new ReplicationState(ReplicationRole.UNKNOWN, null, null, "replicationState threw " + e);
        }
        if (st == null) {
            st = new ReplicationState(ReplicationRole.UNKNOWN, null, null, "replicationState returned nothing");
        }
        if (st.role() == ReplicationRole.PRIMARY || st.role() == ReplicationRole.STANDBY) {
            submit.accept(new Input.Fact(ReplicationState.POSITION_FACT + ctx.group(), st.position().toFact()));
            submit.accept(new Input.Fact(ReplicationState.LAG_FACT + ctx.group(), String.valueOf(st.lag().toMillis())));
        }
        return st;
    }
}
