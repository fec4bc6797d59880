package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.EventKind;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.PingSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Input;

/**
 * The reachability monitor in simulated time: each node announces how many ping hosts it reaches (the fact
 * {@link PingSpec#FACT}, dampened where it is measured); placement prefers the nodes that reach more, and a group moves
 * off a node that reaches fewer hosts than a peer that may run it.
 */
class PingPlacementTest {
    private static final String REACH = PingSpec.FACT;

    private static SimCluster cluster(SwitchbackPolicy policy, boolean ping) {
        ClusterSpec c = Specs.cluster(List.of("node1", "node2"), Specs.group("web", List.of("node1", "node2"), policy, "ip", "app"));
        PingSpec p = ping ? new PingSpec(List.of("192.0.2.1", "192.0.2.2", "192.0.2.3"), Map.of(), "icmp", 0,
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(5)) : null;
        return new SimCluster(new ClusterSpec(c.cluster(), c.key(), c.nodes(), c.paths(), c.arbiters(), c.fencers(),
                c.quorum(), c.timing(), c.groups(), c.fingerprint(), c.watchdog(), null, p), 7);
    }

    private static void reach(SimCluster c, String node, int n) {
        c.fact(node, REACH, Integer.toString(n));
    }

    @Test
    void aGroupStartsOnTheNodeThatReachesMoreHosts() {
        SimCluster c = cluster(SwitchbackPolicy.ADMINISTRATOR, true);
        c.startAll();
        reach(c, "node1", 1);
        reach(c, "node2", 3);
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), 10_000)).as(c.describe()).isTrue();
        c.runFor(10_000);
        assertThat(c.onlineOn("web")).containsExactly("node2");
        assertThat(c.violations()).isEmpty();
    }

    /** The status shows each node's count as this node last heard it, of how many hosts it pings. */
    @Test
    void theStatusShowsEachNodesCount() {
        SimCluster c = cluster(SwitchbackPolicy.ADMINISTRATOR, true);
        c.startAll();
        reach(c, "node1", 2);
        assertThat(c.runUntil(() -> !c.onlineOn("web").isEmpty(), 10_000)).as(c.describe()).isTrue();
        org.tandemha.api.ClusterStatus s = c.engine("node2").status(java.time.Instant.EPOCH);
        assertThat(s.node("node1").pingReachable()).isEqualTo(2);
        assertThat(s.node("node1").pingHosts()).isEqualTo(3);
        assertThat(s.node("node2").pingKnown()).as("node2 has announced no count").isFalse();
        assertThat(s.node("node2").pingHosts()).isEqualTo(3);
        SimCluster plain = cluster(SwitchbackPolicy.ADMINISTRATOR, false);
        plain.startAll();
        plain.runFor(1_000);
        org.tandemha.api.ClusterStatus none = plain.engine("node1").status(java.time.Instant.EPOCH);
        assertThat(none.node("node1").pingHosts()).isZero();
        assertThat(none.node("node1").pingReachable()).isEqualTo(-1);
    }

    @Test
    void aGroupMovesOffANodeThatReachesFewerHostsAndSwitchesBackOnlyToOneThatReachesAsMany() {
        SimCluster c = cluster(SwitchbackPolicy.AUTOMATIC, true);
        c.startAll();
        reach(c, "node1", 3);
        reach(c, "node2", 3);
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();

        reach(c, "node1", 1); // the owner loses two of its hosts
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), 10_000)).as(c.describe()).isTrue();
        assertThat(c.events()).anyMatch(e -> e.kind() == EventKind.SWITCHOVER_STARTED && e.node().equals("node1")
                && e.message().contains("node2 reaches 3 of its ping hosts, node1 only 1"));
        c.runFor(20_000); // node1 is preferred and switchback automatic, but it reaches fewer: no switchback
        assertThat(c.onlineOn("web")).containsExactly("node2");

        reach(c, "node2", 2); // fewer for node2 too, still more than node1
        c.runFor(20_000);
        assertThat(c.onlineOn("web")).containsExactly("node2");

        reach(c, "node1", 3); // node1 is back (more than node2): the group moves back to it
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 20_000)).as(c.describe()).isTrue();
        reach(c, "node2", 3); // equal again: node1 keeps it (the priority list breaks ties)
        c.runFor(20_000);
        assertThat(c.onlineOn("web")).containsExactly("node1");
        assertThat(c.violations()).isEmpty();
    }

    @Test
    void anAdministratorsSwitchoverStaysUnlessTheNodeReachesNothing() {
        SimCluster c = cluster(SwitchbackPolicy.ADMINISTRATOR, true);
        c.startAll();
        reach(c, "node1", 3);
        reach(c, "node2", 2);
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
        long cmd = c.command("node1", Input.Command.Kind.SWITCHOVER, "web", "node2");
        assertThat(c.runUntil(() -> c.commandResult(cmd) != null, 30_000)).isTrue();
        assertThat(c.commandResult(cmd).accepted()).as(c.commandResult(cmd).message()).isTrue();
        c.runFor(20_000);
        assertThat(c.onlineOn("web")).as("the operator's choice stays although node1 reaches more").containsExactly("node2");
        reach(c, "node2", 0);
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
        assertThat(c.violations()).isEmpty();
    }

    @Test
    void withoutAPingSectionTheCountsChangeNothing() {
        SimCluster c = cluster(SwitchbackPolicy.ADMINISTRATOR, false);
        c.startAll();
        reach(c, "node1", 0);
        reach(c, "node2", 3);
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
        c.runFor(20_000);
        assertThat(c.onlineOn("web")).containsExactly("node1");
        assertThat(c.violations()).isEmpty();
    }
}
