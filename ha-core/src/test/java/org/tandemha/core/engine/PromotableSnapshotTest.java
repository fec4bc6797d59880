package org.tandemha.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.GroupState;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.SimCluster;
import org.tandemha.core.sim.Specs;

/** A standby is part of the engine's state: its snapshot carries it, and the status shows the STANDBY role. */
class PromotableSnapshotTest {
    @Test
    void standbySurvivesSnapshotAndShowsInStatus() {
        GroupSpec g0 = Specs.group("db", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "pg", "ip");
        GroupSpec g = new GroupSpec(g0.id(), g0.nodes(), g0.switchback(), g0.settle(), g0.maxRecoveries(),
                g0.recoveryWindow(), g0.resources(), true);
        ClusterSpec spec = Specs.cluster(List.of("node1", "node2"), g);
        SimCluster c = new SimCluster(spec, 7);
        c.startAll();
        c.runFor(5000);
        Engine e = c.engine("node2");
        assertThat(e.standby("db")).isEqualTo(StandbyState.RUNNING);
        assertThat(e.status(Instant.EPOCH).groups().get(0).localState()).isEqualTo(GroupState.STANDBY);
        assertThat(c.engine("node1").status(Instant.EPOCH).groups().get(0).localState()).isEqualTo(GroupState.ONLINE);
        EngineSnapshot snap = e.snapshot();
        EngineSnapshot back = SnapshotJson.read(SnapshotJson.write(snap));
        assertThat(back).isEqualTo(snap);
        Engine restored = Engine.restore(spec, back, t -> Instant.ofEpochMilli(1_700_000_000_000L + t)); // the sim's clock
        assertThat(restored.standby("db")).isEqualTo(StandbyState.RUNNING);
        assertThat(restored.snapshot()).isEqualTo(snap);
        // a snapshot taken before the operator's decisions were kept (no "operator") reads as none of them
        String json = SnapshotJson.write(snap);
        assertThat(json).contains("\"operator\":null");
        assertThat(SnapshotJson.read(json.replace(",\"operator\":null", "").replace("\"operator\":null,", ""))).isEqualTo(snap);
    }
}
