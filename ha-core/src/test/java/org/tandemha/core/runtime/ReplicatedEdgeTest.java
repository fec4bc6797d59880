package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.PromotableResource;
import org.tandemha.api.ReplicationPosition;
import org.tandemha.api.ReplicationRole;
import org.tandemha.api.ReplicationState;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Severity;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;

/** The runtime's edge of promotable groups: actions mapped to the SPI, role-aware checks, position facts. */
class ReplicatedEdgeTest {
    /** A promotable resource that plays the role it is told. */
    static final class Fake implements PromotableResource, Checker {
        ReplicationRole role = ReplicationRole.STANDBY;
        final List<String> calls = new ArrayList<>();

        @Override
        public ActionResult start(ActionContext c) {
            calls.add("start");
            return ActionResult.done("standby");
        }

        @Override
        public ActionResult stop(ActionContext c) {
            calls.add("stop");
            return ActionResult.done("stopped");
        }

        @Override
        public ActionResult promote(ActionContext c) {
            calls.add("promote@" + c.generation());
            return ActionResult.done("primary");
        }

        @Override
        public ActionResult demote(ActionContext c) {
            calls.add("demote");
            return ActionResult.done("demoted");
        }

        @Override
        public ReplicationState replicationState(ActionContext c) {
            return new ReplicationState(role, new ReplicationPosition(3, 4096), Duration.ofMillis(250), "streaming");
        }

        @Override
        public CheckResult quickCheck(ActionContext c) {
            return CheckResult.ok("answers");
        }

        @Override
        public CheckResult deepCheck(ActionContext c) {
            return CheckResult.ok("query ok");
        }
    }

    private static ActionContext ctx(long gen) {
        return new ActionContext("node1", "db", "pg", gen, Duration.ofSeconds(1), System.nanoTime() + 1_000_000_000L);
    }

    @Test
    void actionsGoToTheSpiAndChecksAreRoleAware() {
        Fake f = new Fake();
        ResourceParts p = new ResourceParts(f, f, (c, why) -> ActionResult.done("restarted"));
        assertThat(Replicated.run(Action.ResourceOp.START_STANDBY, p, ctx(0)).isDone()).isTrue();
        assertThat(Replicated.run(Action.ResourceOp.PROMOTE, p, ctx(7)).isDone()).isTrue();
        assertThat(Replicated.run(Action.ResourceOp.DEMOTE, p, ctx(7)).isDone()).isTrue();
        assertThat(f.calls).containsExactly("start", "promote@7", "demote");

        List<Input> facts = new ArrayList<>();
        CheckResult standby = Replicated.standbyCheck(p, ctx(7), facts::add);
        assertThat(standby.healthy()).as(standby.reason()).isTrue();
        assertThat(standby.reason()).contains("3:4096").contains("250 ms");
        assertThat(facts).containsExactly(new Input.Fact(ReplicationState.POSITION_FACT + "db", "3:4096"),
                new Input.Fact(ReplicationState.LAG_FACT + "db", "250"));
        CheckResult asPrimary = Replicated.primaryCheck(p, ctx(7), CheckResult.ok("answers"), facts::add);
        assertThat(asPrimary.healthy()).as("a standby where the primary should be").isFalse();
        assertThat(asPrimary.reason()).contains("expected the primary").contains("STANDBY");

        f.role = ReplicationRole.PRIMARY;
        assertThat(Replicated.primaryCheck(p, ctx(7), CheckResult.ok("answers"), facts::add).healthy()).isTrue();
        CheckResult wrong = Replicated.standbyCheck(p, ctx(7), facts::add);
        assertThat(wrong.healthy()).as("a primary where a standby should be").isFalse();
        assertThat(wrong.reason()).contains("expected a standby").contains("PRIMARY");
    }

    @Test
    void anOrdinaryResourceCannotBePromoted() {
        Resource plain = new Resource() {
            @Override
            public ActionResult start(ActionContext c) {
                return ActionResult.done("up");
            }

            @Override
            public ActionResult stop(ActionContext c) {
                return ActionResult.done("down");
            }
        };
        Checker ok = new Checker() {
            @Override
            public CheckResult quickCheck(ActionContext c) {
                return CheckResult.ok("ok");
            }

            @Override
            public CheckResult deepCheck(ActionContext c) {
                return CheckResult.ok("ok");
            }
        };
        ResourceParts p = new ResourceParts(plain, ok, (c, why) -> ActionResult.done("restarted"));
        ActionResult r = Replicated.run(Action.ResourceOp.PROMOTE, p, ctx(1));
        assertThat(r.isDone()).isFalse();
        assertThat(r.severity()).isEqualTo(Severity.FATAL);
        assertThat(r.reason()).contains("not promotable");
        assertThat(Replicated.primaryCheck(p, ctx(1), CheckResult.ok("ok"), x -> { }).healthy()).isTrue();
    }
}
