package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Tandem;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.SimCluster;
import org.tandemha.core.sim.Specs;
import org.tandemha.core.sim.InMemoryNetwork;

/** Self-fencing's last resort: the watchdog is fed while the node is sane, and starved when it must be reset. */
class WatchdogTest {
    @Test
    void fedWhileSaneStarvedWhenTheNodeMustBeReset(@TempDir Path dir) throws Exception {
        Path dev = Files.createFile(dir.resolve("watchdog"));
        Watchdog w = new Watchdog("node1", dev);
        w.open();
        w.feed(null);
        w.feed(null);
        assertThat(Files.readString(dev)).isEqualTo("..");
        w.feed("cannot stop group db while standing down");
        w.feed("cannot stop group db while standing down");
        assertThat(Files.readString(dev)).isEqualTo("..");
        assertThat(w.starving()).isTrue();
        w.close();
        assertThat(Files.readString(dev)).as("no magic close: the reset must happen").isEqualTo("..");
    }

    @Test
    void aCleanStopDisarmsIt(@TempDir Path dir) throws Exception {
        Path dev = Files.createFile(dir.resolve("watchdog"));
        Watchdog w = new Watchdog("node1", dev);
        w.open();
        w.feed(null);
        w.close();
        assertThat(Files.readString(dev)).isEqualTo(".V");
    }

    @Test
    void theEngineAsksForAResetWhenAStandDownStopFails() {
        SimCluster c = new SimCluster(Specs.cluster(List.of("node1", "node2"),
                Specs.group("db", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "disk", "pg")), 3);
        c.startAll();
        c.runUntil(() -> c.onlineOn("db").equals(List.of("node1")), 10_000);
        assertThat(c.engine("node1").mustReset()).isNull();
        c.fault("node1", "db", "pg", SimCluster.Fault.STOP_FAILS);
        c.pause("node1");
        c.runFor(10_000); // longer than the pause threshold: node1 stands down when it wakes
        c.resume("node1");
        c.runFor(10_000);
        assertThat(c.engine("node1").mustReset()).contains("cannot stop group db").contains("standing down");
        assertThat(c.events()).anyMatch(e -> e.message().contains("reset this node"));
    }

    @Test
    void aMissingDeviceIsRefusedAtBuild(@TempDir Path dir) {
        String cfg = EmbeddingTest.CONFIG + "watchdog: {device: " + dir.resolve("nope") + "}\n";
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            assertThatThrownBy(() -> Tandem.builder().configText(cfg, true).localNode("node1").membership(net.member("node1"))
                    .stateDirectory(dir).build())
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("watchdog.device").hasMessageContaining("does not exist").hasMessageContaining("softdog");
        }
    }
}
