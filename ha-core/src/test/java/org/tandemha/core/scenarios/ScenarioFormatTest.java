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
                .hasMessageContaining("unknown step 'explode'");
    }

    @Test
    void diffShowsExpectedThenActualWithContext() {
        String d = TextDiff.unified("e", List.of("a", "b", "c", "d", "e", "f", "g", "h"), "a",
                List.of("a", "b", "c", "d", "X", "f", "g", "h"));
        assertThat(d).isEqualTo("--- e\n+++ a\n@@ line 2 @@\n b\n c\n d\n-e\n+X\n f\n g\n h\n");
    }
}
