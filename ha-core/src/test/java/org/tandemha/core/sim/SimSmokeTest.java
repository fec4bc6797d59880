package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

class SimSmokeTest {
    private SimCluster twoNodes(SwitchbackPolicy policy) {
        return new SimCluster(Specs.cluster(List.of("node1", "node2"),
                Specs.group("web", List.of("node1", "node2"), policy, "ip", "app")), 1);
    }

    @Test
    void startsOnPreferredNodeThenRecoversThenFailsOver() {
        SimCluster c = twoNodes(SwitchbackPolicy.ADMINISTRATOR);
        c.startAll();
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
        c.kill("node1", "web", "app");
        c.runFor(3_000);
        assertThat(c.onlineOn("web")).as(c.describe()).containsExactly("node1");
        c.fault("node1", "web", "app", SimCluster.Fault.CHECK_FAILS);
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), 20_000)).as(c.describe()).isTrue();
        assertThat(c.generation("node2", "web")).isEqualTo(2);
        c.events().forEach(System.out::println);
        assertThat(c.violations()).isEmpty();
    }

    @Test
    void crashFailsOverAndSwitchbackWaitsForAdministrator() {
        SimCluster c = twoNodes(SwitchbackPolicy.ADMINISTRATOR);
        c.startAll();
        c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000);
        c.crash("node1");
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), 10_000)).as(c.describe()).isTrue();
        c.boot("node1");
        c.runFor(20_000);
        assertThat(c.onlineOn("web")).containsExactly("node2");
        long cmd = c.command("node1", Input.Command.Kind.SWITCHBACK, "web", null);
        assertThat(c.runUntil(() -> c.commandResult(cmd) != null, 30_000)).isTrue();
        assertThat(c.commandResult(cmd).accepted()).as(c.commandResult(cmd).message()).isTrue();
        assertThat(c.onlineOn("web")).containsExactly("node1");
        assertThat(c.violations()).isEmpty();
    }

    @Test
    void partitionWithLiveePeerMovesNothing() {
        SimCluster c = twoNodes(SwitchbackPolicy.ADMINISTRATOR);
        c.startAll();
        c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000);
        c.cut("node1", "node2");
        c.runFor(30_000);
        assertThat(c.onlineOn("web")).containsExactly("node1");
        assertThat(c.state("node2", "web")).isEqualTo(LocalState.OFFLINE);
        assertThat(c.violations()).isEmpty();
    }
}
