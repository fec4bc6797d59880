package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;

/** The hooks for journal replay and snapshots: the input observer, a node's engine and replacing it. */
class SimHooksTest {
    private record Step(long nowMs, Input input, List<Action> actions) {
    }

    private static SimCluster cluster(long seed) {
        return new SimCluster(Specs.cluster(List.of("node1", "node2", "node3"),
                Specs.group("web", List.of("node1", "node2", "node3"), SwitchbackPolicy.ADMINISTRATOR, "disk", "app"),
                Specs.group("db", List.of("node2", "node1", "node3"), SwitchbackPolicy.AUTOMATIC, "vol", "pg")), seed)
                .arbiter(SimCluster.ArbiterMode.DISK_RACE);
    }

    /** Faults on every kind of input: crashes and reboots, a pause, a cut, loss, a failing check, a command. */
    private static void play(SimCluster c, Runnable midway) {
        c.startAll();
        c.runFor(5_000);
        c.fault("node2", "db", "pg", SimCluster.Fault.CHECK_FAILS);
        c.loss("node1", "node3", 0.3);
        c.runFor(8_000);
        midway.run();
        c.crash("node1");
        c.pause("node3");
        c.runFor(3_000);
        c.resume("node3");
        c.cut("node2", "node3");
        c.runFor(5_000);
        c.healAll();
        c.clearFaults();
        c.boot("node1");
        c.runFor(10_000);
        c.command("node1", Input.Command.Kind.SWITCHBACK, "web", null);
        c.runFor(20_000);
    }

    @Test
    void theObserverSeesEveryInputAndReplayingThemGivesTheSameDecisions() {
        SimCluster c = cluster(7);
        Map<String, List<List<Step>>> byInstance = new HashMap<>(); // instance -> one list of steps per boot
        long[] seen = {0};
        c.observe((node, now, in, actions) -> {
            seen[0]++;
            List<List<Step>> boots = byInstance.computeIfAbsent(node, k -> new ArrayList<>());
            if (in instanceof Input.Boot) {
                boots.add(new ArrayList<>());
            }
            boots.get(boots.size() - 1).add(new Step(now, in, List.copyOf(actions)));
        });
        play(c, () -> { });

        assertThat(seen[0]).isEqualTo(c.handledInputs()).isGreaterThan(300);
        assertThat(byInstance.get("node1")).hasSize(2); // booted twice
        for (Map.Entry<String, List<List<Step>>> e : byInstance.entrySet()) {
            for (List<Step> boot : e.getValue()) {
                Engine fresh = c.newEngine(e.getKey());
                for (Step s : boot) {
                    assertThat(fresh.handle(s.input(), s.nowMs()).toString())
                            .as("%s at t=%d after %s", e.getKey(), s.nowMs(), s.input())
                            .isEqualTo(s.actions().toString());
                }
            }
        }
    }

    @Test
    void anEngineRebuiltFromItsInputsReplacesTheNodesEngineMidRunAndTheRunGoesOnTheSame() {
        SimCluster plain = cluster(11);
        play(plain, () -> { });

        SimCluster c = cluster(11);
        Map<String, List<Step>> sinceBoot = new HashMap<>();
        c.observe((node, now, in, actions) -> {
            if (in instanceof Input.Boot) {
                sinceBoot.put(node, new ArrayList<>());
            }
            sinceBoot.get(node).add(new Step(now, in, actions));
        });
        List<Engine> replaced = new ArrayList<>();
        play(c, () -> {
            for (String node : List.of("node1", "node2", "node3")) {
                Engine copy = c.newEngine(node);
                for (Step s : sinceBoot.get(node)) {
                    copy.handle(s.input(), s.nowMs());
                }
                replaced.add(c.engine(node));
                c.replaceEngine(node, copy);
                assertThat(c.engine(node)).isSameAs(copy);
            }
        });

        assertThat(replaced).doesNotContainNull();
        assertThat(c.log()).isEqualTo(plain.log());
        assertThat(c.events().toString()).isEqualTo(plain.events().toString());
        assertThat(c.describe()).isEqualTo(plain.describe());
        assertThat(c.violations()).isEqualTo(plain.violations()).isEmpty();
    }

    @Test
    void aDownNodesEngineCannotBeReplaced() {
        SimCluster c = cluster(3);
        assertThat(c.engine("node1")).isNull();
        assertThatThrownBy(() -> c.replaceEngine("node1", c.newEngine("node1")))
                .hasMessageContaining("node1").hasMessageContaining("boot it first");
        assertThatThrownBy(() -> c.engine("node9")).hasMessageContaining("no node 'node9'");
    }
}
