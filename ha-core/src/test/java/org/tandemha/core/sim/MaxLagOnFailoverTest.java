package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.EventKind;
import org.tandemha.api.ReplicationState;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Input;

/**
 * {@code maxLagOnFailover} (async replication, issue 19), in simulated time: a standby further behind the best
 * position known than the limit (published by the resource as {@link ReplicationState#MAX_LAG_FACT}) is not promoted
 * by a failover: the group stays down with an alarm naming the lag and the setting; the operator's clear promotes it
 * anyway. A copy whose distance cannot be known (the other node never heard since this one started) is refused too.
 */
class MaxLagOnFailoverTest {
    private static final List<String> NODES = List.of("node1", "node2");

    private static SimCluster cluster() {
        GroupSpec g0 = Specs.group("db", NODES, SwitchbackPolicy.ADMINISTRATOR, "pg", "ip");
        GroupSpec db = new GroupSpec(g0.id(), g0.nodes(), g0.switchback(), g0.settle(), g0.maxRecoveries(),
                g0.recoveryWindow(), g0.resources(), true);
        ClusterSpec spec = Specs.cluster(NODES, db);
        return new SimCluster(spec, 7).arbiter(SimCluster.ArbiterMode.TRUTH);
    }

    private static void maxLag(SimCluster c, String node, long bytes) {
        c.fact(node, ReplicationState.MAX_LAG_FACT + "db", Long.toString(bytes));
    }

    private static List<ClusterEvent> refusals(SimCluster c) {
        return c.events().stream().filter(e -> e.kind() == EventKind.GROUP_STATE && e.level() == ClusterEvent.Level.ERROR
                && e.message().contains("is not promoted on")).toList();
    }

    @Test
    void aStandbyTooFarBehindIsNotPromotedUntilTheOperatorClears() {
        SimCluster c = cluster();
        c.startAll();
        maxLag(c, "node1", 1000);
        maxLag(c, "node2", 1000);
        c.runFor(3000);
        assertThat(c.primaries("db")).containsExactly("node1");
        c.fault("node2", "db", "pg", SimCluster.Fault.STANDBY_LAGS);
        c.runFor(7000);
        c.crash("node1");
        c.runFor(10_000);

        assertThat(c.primaries("db")).as(String.join("\n", c.log())).isEmpty();
        List<ClusterEvent> alarms = refusals(c);
        assertThat(alarms).hasSize(1);
        assertThat(alarms.get(0).node()).isEqualTo("node2");
        assertThat(alarms.get(0).message()).contains("not promoted on node2", "bytes behind node1's last known position",
                "more than maxLagOnFailover 1000 bytes", "tandem clear db");

        long id = c.command("node2", Input.Command.Kind.CLEAR, "db", null);
        c.runFor(5000);
        assertThat(c.commandResult(id)).isNotNull();
        assertThat(c.primaries("db")).as("the operator's clear accepts the loss").containsExactly("node2");
        assertThat(c.events().stream().filter(e -> e.kind() == EventKind.PROMOTED && e.node().equals("node2")).findFirst()
                .orElseThrow().details().get("atRiskBytes")).satisfies(b -> assertThat(Long.parseLong(b)).isGreaterThan(1000));
    }

    @Test
    void aStandbyWithinTheLimitIsPromoted() {
        SimCluster c = cluster();
        c.startAll();
        maxLag(c, "node1", 5000);
        maxLag(c, "node2", 5000);
        c.runFor(10_000);
        c.crash("node1");
        c.runFor(10_000);
        assertThat(c.primaries("db")).containsExactly("node2");
        assertThat(refusals(c)).isEmpty();
    }

    @Test
    void aCopyWhoseLagCannotBeKnownIsNotPromotedWithALimit() {
        // both machines lost together; the old standby's comes back alone: it never heard the primary since
        SimCluster c = cluster();
        c.startAll();
        c.runFor(5000);
        c.crash("node2");
        c.crash("node1");
        c.boot("node2");
        maxLag(c, "node2", 1000);
        c.runFor(15_000);
        assertThat(c.primaries("db")).isEmpty();
        assertThat(refusals(c)).singleElement().satisfies(e -> assertThat(e.message())
                .contains("node1's position was never heard since node2 started"));

        SimCluster free = cluster(); // no limit: the old behaviour (node1 declared dead, node2 takes the group)
        free.startAll();
        free.runFor(5000);
        free.crash("node2");
        free.crash("node1");
        free.boot("node2");
        free.runFor(15_000);
        assertThat(free.primaries("db")).containsExactly("node2");
    }

    @Test
    void quorumCommitPromotesOnlyWhenEnoughCopiesAreKnown() {
        List<String> three = List.of("node1", "node2", "node3");
        GroupSpec g0 = Specs.group("db", three, SwitchbackPolicy.ADMINISTRATOR, "pg", "ip");
        GroupSpec db = new GroupSpec(g0.id(), g0.nodes(), g0.switchback(), g0.settle(), g0.maxRecoveries(),
                g0.recoveryWindow(), g0.resources(), true);
        for (boolean bothLost : List.of(false, true)) {
            // two more nodes outside the group keep the cluster quorate when two of the group's are lost
            SimCluster c = new SimCluster(Specs.cluster(List.of("node1", "node2", "node3", "node4", "node5"), db), 11)
                    .arbiter(SimCluster.ArbiterMode.TRUTH);
            c.startAll();
            for (String n : three) {
                c.fact(n, ReplicationState.QUORUM_FACT + "db", "2"); // ANY 1 of 2 standbys: know 2 - 1 + 1 = 2 copies
            }
            c.runFor(5000);
            assertThat(c.primaries("db")).containsExactly("node1");
            c.crash("node1");
            if (bothLost) {
                c.crash("node2"); // the primary and the standby that may hold the last commits, lost together
            }
            c.runFor(10_000);
            if (bothLost) {
                assertThat(c.primaries("db")).as("node3 alone may lack commits acknowledged by node2").isEmpty();
                assertThat(refusals(c)).singleElement().satisfies(e -> assertThat(e.message())
                        .contains("not promoted on node3 (quorum commit): only 1 copy can be compared"));
            } else {
                assertThat(c.primaries("db")).hasSize(1).doesNotContain("node1");
                assertThat(refusals(c)).isEmpty();
            }
        }
    }

    /**
     * The primary and its lagging standby lost together, then both machines back: each publishes its stopped copy's
     * position at its clean-up stop, and the most advanced copy is promoted, not the first in the priority list.
     */
    @Test
    void bothCopiesBackTogetherTheMostAdvancedIsPromoted() {
        for (String first : List.of("node1", "node2")) {
            SimCluster c = cluster();
            c.startAll();
            c.runFor(5000);
            c.crash("node1");
            c.runFor(5000);
            assertThat(c.primaries("db")).containsExactly("node2");
            c.boot("node1");
            c.runFor(5000);
            c.fault("node1", "db", "pg", SimCluster.Fault.STANDBY_LAGS); // node1, first in priority, falls behind
            c.runFor(5000);
            c.crash("node1");
            c.runFor(500);
            c.crash("node2");
            String ahead = c.position("node2", "db");
            assertThat(pos(c.position("node1", "db"))).as("node1 lags").isLessThan(pos(ahead));
            c.clearFaults();
            c.boot(first);
            c.boot(first.equals("node1") ? "node2" : "node1");
            c.runFor(10_000);
            assertThat(c.primaries("db")).as("%s back first\n%s", first, String.join("\n", c.log())).containsExactly("node2");
            assertThat(c.promotions("db").get(c.promotions("db").size() - 1)).startsWith("node2@");
        }
    }

    private static org.tandemha.api.ReplicationPosition pos(String pos) {
        return org.tandemha.api.ReplicationPosition.parse(pos);
    }
}
