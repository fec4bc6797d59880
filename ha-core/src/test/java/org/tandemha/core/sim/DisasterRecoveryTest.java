package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.DrSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.Input.Command.Kind;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.engine.StandbyState;

/**
 * Remote disaster recovery (issue 19, point 5) in simulated time: node1 and node2 are the primary site, node3 the DR
 * site of the promotable group {@code db}. The DR node is never promoted by the cluster (unless autoPromote), the
 * operator's promote-dr shows the data at risk, refuses while the primary site may hold the group, and with
 * --fence-primary-site promotes the DR node; the fenced old primary that returns is demoted by the generation.
 */
class DisasterRecoveryTest {
    private static ClusterSpec spec(boolean autoPromote) {
        GroupSpec g0 = Specs.group("db", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "pg", "vip");
        GroupSpec db = new GroupSpec(g0.id(), List.of("node1", "node2", "node3"), g0.switchback(), g0.settle(),
                g0.maxRecoveries(), g0.recoveryWindow(), g0.resources(), true,
                new DrSpec(List.of("node3"), autoPromote, Map.of()));
        return Specs.cluster(List.of("node1", "node2", "node3"), db);
    }

    private static SimCluster started(boolean autoPromote) {
        SimCluster c = new SimCluster(spec(autoPromote), 7).arbiter(SimCluster.ArbiterMode.TRUTH);
        c.startAll();
        c.runFor(5000);
        assertThat(c.state("node1", "db")).isEqualTo(LocalState.ONLINE);
        assertThat(c.engine("node3").standby("db")).isEqualTo(StandbyState.RUNNING);
        return c;
    }

    private static CommandResult run(SimCluster c, String node, Kind kind, long forMs) {
        long id = c.command(node, kind, "db", "node3");
        c.runUntil(() -> c.commandResult(id) != null, forMs);
        CommandResult r = c.commandResult(id);
        assertThat(r).as("an answer to " + kind).isNotNull();
        return r;
    }

    @Test
    void previewShowsTheDataAtRiskAndConfirmIsRefusedWhileThePrimarySiteHoldsTheGroup() {
        SimCluster c = started(false);
        CommandResult preview = run(c, "node1", Kind.PROMOTE_DR_PREVIEW, 1000);
        assertThat(preview.accepted()).isTrue();
        assertThat(preview.message()).contains("data at risk:").contains("bytes").contains("not done")
                .contains("node1 holds it");
        CommandResult onNode1 = run(c, "node1", Kind.PROMOTE_DR, 1000);
        assertThat(onNode1.accepted()).isFalse();
        assertThat(onNode1.message()).contains("must be given on the DR node node3");
        CommandResult refused = run(c, "node3", Kind.PROMOTE_DR, 1000);
        assertThat(refused.accepted()).isFalse();
        assertThat(refused.message()).contains("node1 holds it").contains("--fence-primary-site");
        c.runFor(3000);
        assertThat(c.primaries("db")).containsExactly("node1");
        assertThat(c.events()).anyMatch(e -> e.kind() == EventKind.DR_PROMOTION && e.message().contains("refused"));
        assertThat(c.violations()).isEmpty();
    }

    @Test
    void primarySiteLostTheDrNodeWaitsForTheOperatorThenIsPromoted() {
        SimCluster c = started(false);
        c.crash("node1");
        c.crash("node2");
        c.runFor(10_000);
        assertThat(c.primaries("db")).as("a DR node is never promoted by the cluster").isEmpty();
        assertThat(c.state("node3", "db")).isEqualTo(LocalState.OFFLINE);
        CommandResult preview = run(c, "node3", Kind.PROMOTE_DR_PREVIEW, 1000);
        assertThat(preview.message()).contains("data at risk:").contains("to promote it: promote-dr db --node node3 --confirm")
                .contains("since node1, the last primary, went silent");
        CommandResult done = run(c, "node3", Kind.PROMOTE_DR, 10_000);
        assertThat(done.accepted()).as(done.message()).isTrue();
        assertThat(done.message()).contains("now runs on node3");
        assertThat(c.primaries("db")).containsExactly("node3");
        assertThat(c.generation("node3", "db")).isGreaterThan(1);
        c.boot("node1");
        c.runFor(10_000);
        assertThat(c.primaries("db")).containsExactly("node3");
        assertThat(c.state("node1", "db")).isEqualTo(LocalState.OFFLINE);
        assertThat(c.engine("node1").standby("db")).isEqualTo(StandbyState.RUNNING);
        assertThat(c.violations()).isEmpty();
        // home again (a planned switchover), then the primary site lost once more: the operator's earlier
        // promote-dr was used once, node3 waits for the operator again
        assertThat(run(c, "node3", Kind.CLEAR, 2000).accepted()).isTrue();
        long home = c.command("node3", Kind.SWITCHOVER, "db", "node1");
        c.runUntil(() -> c.commandResult(home) != null, 20_000);
        assertThat(c.commandResult(home).accepted()).as(c.commandResult(home).message()).isTrue();
        c.runFor(5000);
        c.crash("node1");
        c.runFor(10_000);
        assertThat(c.primaries("db")).isEmpty();
    }

    @Test
    void fencedOldPrimaryThatReturnsIsDemoted() {
        SimCluster c = started(false);
        long gen = c.generation("node1", "db");
        c.cut("node3", "node1");
        c.cut("node3", "node2");
        c.runFor(5000);
        CommandResult refused = run(c, "node3", Kind.PROMOTE_DR, 1000);
        assertThat(refused.accepted()).isFalse();
        assertThat(refused.message()).contains("node1 is silent and the safety check has not declared it dead");
        CommandResult done = run(c, "node3", Kind.PROMOTE_DR_FENCE, 10_000);
        assertThat(done.accepted()).as(done.message()).isTrue();
        assertThat(c.state("node3", "db")).isEqualTo(LocalState.ONLINE);
        assertThat(c.generation("node3", "db")).isGreaterThan(gen);
        assertThat(c.events()).anyMatch(e -> e.kind() == EventKind.DR_PROMOTION && e.message().contains("fenced the primary site (node1, node2)"));
        // the DR node's engine restored from its snapshot (its process restarted): the operator's fence is kept
        EngineSnapshot snap = c.engine("node3").snapshot();
        EngineSnapshot back = SnapshotJson.read(SnapshotJson.write(snap));
        assertThat(back).isEqualTo(snap);
        assertThat(back.groups().get(0).operator()).isNotNull()
                .satisfies(o -> assertThat(o.drFenced()).containsExactly("node1", "node2"));
        c.replaceEngine("node3", Engine.restore(c.spec(), back, t -> Instant.ofEpochMilli(1_700_000_000_000L + t)));
        // the operator said node1 and node2 are powered off or cut off; here they are cut off and come back
        c.healAll();
        c.runFor(10_000);
        assertThat(c.primaries("db")).containsExactly("node3");
        assertThat(c.state("node1", "db")).isEqualTo(LocalState.OFFLINE);
        assertThat(c.engine("node1").standby("db")).isEqualTo(StandbyState.RUNNING);
        assertThat(c.state("node3", "db")).isEqualTo(LocalState.ONLINE);
        // the fence lasts until the operator clears
        CommandResult cleared = run(c, "node3", Kind.CLEAR, 2000);
        assertThat(cleared.accepted()).isTrue();
        assertThat(c.events()).anyMatch(e -> e.kind() == EventKind.DR_PROMOTION && e.message().contains("is cleared"));
    }

    @Test
    void autoPromoteMakesTheDrNodeAnOrdinaryLastChoice() {
        SimCluster c = started(true);
        c.crash("node1");
        c.crash("node2");
        c.runFor(10_000);
        assertThat(c.primaries("db")).containsExactly("node3");
    }
}
