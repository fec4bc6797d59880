package org.tandemha.core.scenarios;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The scenario format's parser and the diff it prints: bad files get a message naming the line and the fix. */
class ScenarioFormatTest {
    private static final List<String> HEAD = List.of(
            "# Title here",
            "nodes: node1 node2",
            "group web: nodes=node1,node2 resources=ip,app switchback=automatic maxRecoveries=3 settle=1.5s",
            "arbiter: silent",
            "seed: 7",
            "at 0s start all",
            "at 500ms crash node1",
            "run 2m");

    @Test
    void parsesTheClusterAndTheScript() {
        Scenario s = Scenario.parse("x.scenario", HEAD);
        assertThat(s.title).isEqualTo("Title here");
        assertThat(s.nodes).containsExactly("node1", "node2");
        assertThat(s.groups.get(0).maxRecoveries()).isEqualTo(3);
        assertThat(s.groups.get(0).settle().toMillis()).isEqualTo(1500);
        assertThat(s.steps).extracting(Scenario.Step::atMs).containsExactly(0L, 500L);
        assertThat(s.runMs).isEqualTo(120_000);
        assertThat(s.seed).isEqualTo(7);
        assertThat(s.hasExpectations).isFalse();
    }

    @Test
    void badLinesNameTheFileLineAndFix() {
        assertThatThrownBy(() -> Scenario.parse("bad.scenario", List.of("nodes: a", "group g: nodes=a resources=r",
                "at 5s start all", "at 1s crash a", "run 1s")))
                .hasMessageContaining("bad.scenario:4").hasMessageContaining("time order");
        assertThatThrownBy(() -> Scenario.parse("bad.scenario", List.of("nodes: a", "group g: nodes=a resources=r",
                "at ten start all", "run 1s")))
                .hasMessageContaining("bad.scenario:3").hasMessageContaining("write e.g. 500ms");
        assertThatThrownBy(() -> Scenario.parse("bad.scenario", List.of("nodes: a", "group g: nodes=a resources=r colour=red",
                "run 1s")))
                .hasMessageContaining("unknown group setting 'colour'");
        assertThatThrownBy(() -> Scenario.parse("bad.scenario", List.of("nodes: a", "group g: nodes=a resources=r")))
                .hasMessageContaining("needs a 'run <duration>' line");
    }

    @Test
    void unknownStepIsReportedWithItsLine() {
        Scenario s = Scenario.parse("s.scenario", List.of("nodes: a b", "group g: nodes=a,b resources=r",
                "at 0s start all", "at 1s explode a", "run 1s"));
        assertThatThrownBy(() -> new ScenarioRunner(s).run()).hasMessageContaining("s.scenario:4")
                .hasMessageContaining("unknown event 'explode'");
    }

    @Test
    void diffShowsExpectedThenActualWithContext() {
        String d = TextDiff.unified("e", List.of("a", "b", "c", "d", "e", "f", "g", "h"), "a",
                List.of("a", "b", "c", "d", "X", "f", "g", "h"));
        assertThat(d).isEqualTo("--- e\n+++ a\n@@ line 2 @@\n b\n c\n d\n-e\n+X\n f\n g\n h\n");
    }
    @Test
    void scriptedArbiterAndFencingLinesParse() {
        Scenario s = Scenario.parse("s.scenario", List.of("nodes: a b", "group g: nodes=a,b resources=r",
                "arbiter: script", "fencing: on", "run 1s"));
        assertThat(s.scriptedArbiter).isTrue();
        assertThat(s.fencing).isTrue();
        assertThatThrownBy(() -> Scenario.parse("bad.scenario", List.of("nodes: a", "group g: nodes=a resources=r",
                "fencing: maybe", "run 1s"))).hasMessageContaining("bad.scenario:3").hasMessageContaining("not on or off");
        assertThatThrownBy(() -> Scenario.parse("bad.scenario", List.of("nodes: a", "group g: nodes=a resources=r",
                "arbiter: oracle", "run 1s"))).hasMessageContaining("unknown arbiter 'oracle'");
    }

    @Test
    void badArbiterStepsNameTheLineAndTheForm() {
        for (String[] bad : new String[][] {
                {"at 1s arbiter a about b answers maybe", "unknown answer 'maybe'"},
                {"at 1s arbiter a about b says dead", "not an arbiter event"},
                {"at 1s arbiter a about a answers dead", "about itself"},
                {"at 1s arbiter a answers alive fences", "only a dead answer can fence"},
                {"at 1s arbiter a answers dead generation x", "'generation' needs a number"},
                {"at 1s arbiter a answers dead \"unclosed", "unbalanced quote"},
                {"at 1s arbiter c answers dead", "no node 'c'"},
                {"at 1s fencer explodes", "fencer works|fails|hangs"}}) {
            Scenario s = Scenario.parse("s.scenario", List.of("nodes: a b", "group g: nodes=a,b resources=r",
                    "arbiter: script", "at 0s start all", bad[0], "run 1s"));
            assertThatThrownBy(() -> new ScenarioRunner(s).run()).as(bad[0]).hasMessageContaining("s.scenario:5")
                    .hasMessageContaining(bad[1]);
        }
    }

    @Test
    void scriptedAnswersReachTheEngine() {
        Scenario s = Scenario.parse("s.scenario", List.of("nodes: a b", "group g: nodes=a,b resources=r",
                "arbiter: script", "at 0s arbiter a about b answers dead \"witness: b gone\" generation 4",
                "at 0s crash b", "at 0s boot a", "run 5s"));
        ScenarioRunner.Outcome o = new ScenarioRunner(s).run();
        assertThat(o.events()).anyMatch(l -> l.contains("witness: b gone; node b is dead or fenced"))
                .anyMatch(l -> l.contains("a claims group g for generation 5"));
        assertThat(o.violations()).isEmpty();
    }
}
