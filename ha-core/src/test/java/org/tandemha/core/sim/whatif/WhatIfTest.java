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

    @Test
    void aPromotableGroupShowsItsPrimaryAndItsStandbysCopies() throws Exception {
        ClusterSpec spec = SweepTest.config("replicated.yaml");
        WhatIfReport r = WhatIf.run(spec, WhatIf.Options.defaults(),
                List.of("at 3s standby-lags node2 db", "at 8s show", "at 10s crash node1"));
        System.out.print(r.text());
        assertThat(r.transcript()).contains("at 3s standby-lags node2 db");
        // the standby stopped receiving at about 2-3 s, the primary went on
        assertThat(r.transcript()).anySatisfy(l -> assertThat(l).matches("  \\| db: node1=ONLINE node2=OFFLINE\\+standby"
                + " generation=1 running=node1 primaries=node1 copies=node1@1:7\\d{3},node2@1:[12]\\d{3}"));
        // the lagging standby is the only candidate: promoted, with the data at risk said
        assertThat(r.transcript()).anySatisfy(l -> assertThat(l).containsPattern("node2 PROMOTED db/pg: pg promoted to"
                + " primary on node2 at generation 2 \\(failover\\); data at risk: [1-9]\\d* bytes"));
        assertThat(r.after()).anySatisfy(l -> assertThat(l).startsWith("db: node1=down node2=ONLINE generation=2 running=node2"
                + " primaries=node2 copies=node1@1:"));
        WhatIfReport.Replication db = r.replication().get("db");
        assertThat(db.primaries()).containsExactly("node2");
        assertThat(db.maxPrimaries()).isEqualTo(1);
        assertThat(db.copies()).extracting(WhatIfReport.Copy::role).containsExactly("down", "primary");
        assertThat(r.text()).contains("replication (promotable groups):\n  db: primary node2; node1 down, copy 1:");
        assertThat(r.json()).contains("\"replication\"", "\"role\" : \"primary\"", "\"maxPrimaries\" : 1");
        assertThat(r.violations()).isEmpty();

        // the standby is a standby again once node1 is back: how far behind it is, in bytes
        WhatIfReport back = WhatIf.run(spec, WhatIf.Options.defaults(), List.of("at 10s crash node1", "at 20s boot node1"));
        assertThat(back.replication().get("db").copies()).anySatisfy(c -> {
            assertThat(c.node()).isEqualTo("node1");
            assertThat(c.role()).isEqualTo("standby");
            assertThat(c.behind()).isGreaterThanOrEqualTo(0);
        });
        assertThat(back.text()).containsPattern("node1 standby, copy 2:\\d+, (up to date|\\d+ bytes behind the primary)");
    }

    @Test
    void aStandbyThatCannotStartIsAnAlarmInTheReport() throws Exception {
        ClusterSpec spec = SweepTest.config("replicated.yaml");
        WhatIfReport r = WhatIf.run(spec, WhatIf.Options.defaults(),
                List.of("at 5s crash node1", "at 8s standby-start-fails node1 db", "at 8s boot node1"));
        assertThat(r.transcript()).anySatisfy(l -> assertThat(l).contains("node1 STANDBY_STATE db/pg: standby of pg on node1"
                + " FAILED: could not start as a standby: sim: rewind failed"));
        assertThat(r.after()).anySatisfy(l -> assertThat(l).contains("node1=OFFLINE+standby(FAILED)"));
        assertThat(r.replication().get("db").copies().get(0).role()).isEqualTo("standby failed");
    }

    @Test
    void standbyFaultsAreRefusedWhereThereIsNoStandby() throws Exception {
        assertThatThrownBy(() -> WhatIf.run(SweepTest.config("web.yaml"), WhatIf.Options.defaults(),
                List.of("at 2s standby-lags node2 web")))
                .hasMessageContaining("event 1 ('at 2s standby-lags node2 web'): group web is not promotable")
                .hasMessageContaining("fix: use standby-lags on a group with promotable: true");
        assertThatThrownBy(() -> WhatIf.run(SweepTest.config("replicated.yaml"), WhatIf.Options.defaults(),
                List.of("fault node2 db/vip standby-start-fails")))
                .hasMessageContaining("resource db/vip is not the replicated resource of group db")
                .hasMessageContaining("write 'standby-start-fails node2 db' or name pg");
        assertThatThrownBy(() -> WhatIf.run(SweepTest.config("replicated.yaml"), WhatIf.Options.defaults(),
                List.of("standby-lags node2")))
                .hasMessageContaining("the group and resource are missing");
    }
}
