package org.tandemha.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.CheckResult;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Announcement.GroupAnn;
import org.tandemha.core.sim.Specs;

/** The snapshot written as JSON reads back equal; newer formats, other configurations and non-snapshots are refused. */
class SnapshotJsonTest {
    private static ClusterSpec spec(String group) {
        return Specs.cluster(List.of("node1", "node2"),
                Specs.group(group, List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "app"));
    }

    private static Engine running(ClusterSpec s) {
        Engine e = new Engine(s, "node1", false, Instant::ofEpochMilli);
        e.handle(new Input.Boot(Map.of("web", 3L), 42), 0);
        e.handle(new Input.PeerReachable("node2", 7), 10);
        e.handle(new Input.Fact("mac", "02:00:00:00:00:01"), 15);
        e.handle(new Input.PeerState("node2", 7, new Announcement(1, s.fingerprint(), false, false, Map.of("mac", "x"),
                List.of(new GroupAnn("web", LocalState.OFFLINE, 3, null, 0, null, false, false, 0, null, false, 0, false)))), 20);
        return e;
    }

    @Test
    void roundTripIsExactAndRestoredEngineDecidesTheSame() {
        ClusterSpec s = spec("web");
        Engine e = running(s);
        EngineSnapshot snap = e.snapshot();
        String json = SnapshotJson.write(snap);
        assertThat(json).contains("\"format\":1");
        EngineSnapshot back = SnapshotJson.read(json);
        assertThat(back).isEqualTo(snap);
        Engine r = Engine.restore(s, back, Instant::ofEpochMilli);
        for (long t = 100; t < 20_000; t += 700) {
            Input in = t == 2_200 ? new Input.CheckDone(99, CheckResult.failed("x")) : new Input.Tick();
            assertThat(r.handle(in, t)).isEqualTo(e.handle(in, t));
        }
        assertThat(r.snapshot()).isEqualTo(e.snapshot());
    }

    @Test
    void aShiftedSnapshotDecidesTheSameLater() {
        ClusterSpec s = spec("web");
        Engine e = running(s);
        long d = 3_600_000; // a node started an hour before: its clock reads an hour more
        EngineSnapshot later = e.snapshot().shifted(d);
        assertThat(later.node().now()).isEqualTo(e.snapshot().node().now() + d);
        assertThat(later.wallBase()).isEqualTo(e.snapshot().wallBase() - d);
        Engine r = Engine.restore(s, later, ms -> Instant.ofEpochMilli(ms - d));
        for (long t = 100; t < 20_000; t += 700) {
            Input in = new Input.Tick();
            assertThat(r.handle(in, t + d)).isEqualTo(e.handle(in, t));
        }
        assertThat(r.snapshot().shifted(0)).isEqualTo(r.snapshot());
        assertThatThrownBy(() -> e.snapshot().shifted(-1)).hasMessageContaining("only later");
    }

    @Test
    void newerFormatIsRefusedWithTheFix() {
        String json = SnapshotJson.write(running(spec("web")).snapshot()).replace("\"format\":1", "\"format\":7");
        assertThatThrownBy(() -> SnapshotJson.read(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 7").hasMessageContaining("upgrade Tandem");
    }

    @Test
    void notASnapshotIsRefused() {
        assertThatThrownBy(() -> SnapshotJson.read("[1,2]")).hasMessageContaining("not an engine snapshot");
        assertThatThrownBy(() -> SnapshotJson.read("{\"format\":1,")).hasMessageContaining("bad JSON");
        assertThatThrownBy(() -> SnapshotJson.read("{\"format\":1,\"self\":5}")).hasMessageContaining("cannot be read");
    }

    @Test
    void anotherConfigurationIsRefused() {
        EngineSnapshot snap = running(spec("web")).snapshot();
        assertThatThrownBy(() -> Engine.restore(spec("db"), snap, Instant::ofEpochMilli))
                .hasMessageContaining("configuration file it was taken with");
    }
}
