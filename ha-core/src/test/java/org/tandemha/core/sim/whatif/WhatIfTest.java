package org.tandemha.core.sim.whatif;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.sim.SimCluster;

class WhatIfTest {
    @Test
    void startsFromSnapshotsAndCarriesOn() throws Exception {
        ClusterSpec spec = SweepTest.config("web.yaml");
        SimCluster live = new SimCluster(spec, 7);
        live.startAll();
        live.runFor(12_345);
        Map<String, EngineSnapshot> snaps = new LinkedHashMap<>();
        for (String n : spec.nodeIds()) {
            snaps.put(n, SnapshotJson.read(SnapshotJson.write(live.engine(n).snapshot())));
        }
        WhatIfReport quiet = WhatIf.run(spec, WhatIf.Options.defaults().withSnapshots(snaps), List.of());
        assertThat(quiet.after()).contains("web: node1=ONLINE node2=OFFLINE generation=1 running=node1");
        assertThat(quiet.decisions()).isEmpty();

        WhatIfReport r = WhatIf.run(spec, WhatIf.Options.defaults().withSnapshots(snaps), List.of("at 2s crash node1"));
        assertThat(r.text()).contains("at 2s crash node1", "node2 FAILOVER_STARTED web: taking over group web, generation 2");
        assertThat(r.after()).contains("web: node1=down node2=ONLINE generation=2 running=node2");
        assertThat(r.downtime().get("web").totalMs()).isBetween(1L, 1_000L);
        assertThat(r.json()).contains("\"kind\" : \"FAILOVER_STARTED\"", "\"downtime\"");
        assertThat(r.violations()).isEmpty();
    }

    @Test
    void aBadEventNamesItselfItsPositionAndTheFix() throws Exception {
        ClusterSpec spec = SweepTest.config("web.yaml");
        assertThatThrownBy(() -> WhatIf.run(spec, WhatIf.Options.defaults(), List.of("at 2s crash node1", "at 3s crsh node2")))
                .hasMessageContaining("event 2 ('at 3s crsh node2'): unknown event 'crsh'; fix: use one of:");
        assertThatThrownBy(() -> WhatIf.run(spec, WhatIf.Options.defaults(), List.of("at 2s cut node1 node9")))
                .hasMessageContaining("event 1").hasMessageContaining("no node 'node9'").hasMessageContaining("[node1, node2]");
        assertThatThrownBy(() -> WhatIf.run(spec, WhatIf.Options.defaults(), List.of("at 5s crash node1", "at 2s boot node1")))
                .hasMessageContaining("event 2").hasMessageContaining("list the events in time order");
        assertThatThrownBy(() -> WhatIf.run(spec, WhatIf.Options.defaults(), List.of("stop-fails node1 web db")))
                .hasMessageContaining("group web has no resource 'db'").hasMessageContaining("[ip, app]");
    }
}
