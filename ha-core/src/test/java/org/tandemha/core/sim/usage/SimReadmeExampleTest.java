package org.tandemha.core.sim.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.SimCluster;
import org.tandemha.core.sim.Specs;

/**
 * The simulation example of the README, compiled and run from outside the package (public API only); the README
 * must show exactly these lines.
 */
class SimReadmeExampleTest {
    @Test
    void twoNodesFailOverInSimulatedTime() {
        // README-BEGIN
        ClusterSpec spec = Specs.cluster(List.of("node1", "node2"),
                Specs.group("web", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "disk", "app"));
        SimCluster c = new SimCluster(spec, 42);                        // the seed fixes every random choice
        c.startAll();
        c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000);  // simulated ms: nothing sleeps
        c.fault("node1", "web", "app", SimCluster.Fault.CHECK_FAILS);     // every check of the app fails from now on
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), 60_000)).isTrue();
        assertThat(c.violations()).isEmpty();                           // no step had two owners
        c.log().forEach(System.out::println);                           // what was done, with its times
        // README-END
    }

    @Test
    void readmeShowsTheseLines() throws Exception {
        Path here = Path.of("src/test/java/org/tandemha/core/sim/usage/SimReadmeExampleTest.java");
        Path readme = Path.of("../README.md");
        if (!Files.exists(readme)) {
            return; // built outside the repository
        }
        List<String> src = Files.readAllLines(here);
        List<String> block = src.subList(src.indexOf("        // README-BEGIN") + 1, src.indexOf("        // README-END"));
        String expected = String.join("\n", block.stream().map(l -> l.length() >= 8 ? l.substring(8) : l.strip()).toList());
        assertThat(Files.readString(readme)).contains(expected);
    }
}
