package org.tandemha.core.sim.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;

class SweepTest {
    static ClusterSpec config(String name) throws Exception {
        return ConfigLoader.load(Path.of("src/test/resources/whatif/" + name), null);
    }

    @Test
    void theSharedArrayExampleHasNoWeaknessAgainstAnySingleFault() throws Exception {
        Sweep.Result r = Sweep.run(config("shared-array.yaml"), WhatIf.Options.defaults(), List.of(), Sweep.Options.defaults());
        System.out.print(r.text());
        assertThat(r.singles()).isGreaterThan(80);
        assertThat(r.weaknesses()).isEmpty();
        assertThat(r.text()).contains("no weakness found");
    }

    @Test
    void noArbiterReachableFromOneNodeIsNamed() throws Exception {
        Sweep.Result r = Sweep.run(config("web.yaml"), WhatIf.Options.defaults(), List.of("arbiter unreachable from node2"),
                Sweep.Options.defaults());
        System.out.print(r.text());
        assertThat(r.weaknesses()).anySatisfy(w -> {
            assertThat(w.faults()).containsExactly("crash node1");
            assertThat(w.kind()).isEqualTo("left offline");
            assertThat(w.words()).contains("group web is offline", "node2 could run it", "no arbiter reachable from node2");
        });
    }

    @Test
    void aGroupWhoseOnlyStandbyIsBlockedIsNamed() throws Exception {
        // web failed over from node1 to node2 (app died and could not be restarted); node1 is healthy again but
        // blocked for web: its only standby will not take it
        List<String> state = List.of("at 1s recover-fails node1 web app; kill node1 web app", "at 20s healthy node1 web app");
        Sweep.Result r = Sweep.run(config("web.yaml"), WhatIf.Options.defaults(), state, Sweep.Options.defaults());
        System.out.print(r.text());
        assertThat(r.weaknesses()).anySatisfy(w -> {
            assertThat(w.faults()).containsExactly("crash node2");
            assertThat(w.words()).contains("group web is offline", "node1 could run it", "blocked there");
        });
    }

    @Test
    void twoNodesWithoutArbiterRunAGroupTwiceWhenTheCableIsCut() throws Exception {
        Sweep.Result r = Sweep.run(config("web-no-arbiter.yaml"), WhatIf.Options.defaults(), List.of(), Sweep.Options.defaults());
        System.out.print(r.text());
        assertThat(r.weaknesses()).anySatisfy(w -> {
            assertThat(w.faults()).containsExactly("cut node1 node2");
            assertThat(w.kind()).isEqualTo("two nodes");
            assertThat(w.words()).contains("group web runs on two nodes at once (node1 and node2");
        });
    }

    @Test
    void depthTwoIsBoundedAndReported() throws Exception {
        Sweep.Result r = Sweep.run(config("web.yaml"), WhatIf.Options.defaults(), List.of(),
                Sweep.Options.defaults().withDepth(2).withMaxPairs(60));
        System.out.print(r.text());
        assertThat(r.pairsTried()).isEqualTo(60);
        assertThat(r.pairsTotal()).isGreaterThan(60);
        assertThat(r.text()).contains("60 of " + r.pairsTotal() + " pairs");
    }

    @Test
    void aReplicatedPairWithAWitnessHasNoWeakness() throws Exception {
        ClusterSpec spec = config("replicated.yaml");
        assertThat(Sweep.faults(spec)).contains("standby-lags node2 db pg", "standby-start-fails node1 db pg");
        Sweep.Result r = Sweep.run(spec, WhatIf.Options.defaults(), List.of(), Sweep.Options.defaults());
        System.out.print(r.text());
        assertThat(r.weaknesses()).isEmpty();
    }

    @Test
    void aReplicatedPairWithoutArbiterHasTwoPrimariesWhenTheCableIsCut() throws Exception {
        Sweep.Result r = Sweep.run(config("replicated-no-arbiter.yaml"), WhatIf.Options.defaults(), List.of(),
                Sweep.Options.defaults());
        System.out.print(r.text());
        assertThat(r.weaknesses()).anySatisfy(w -> {
            assertThat(w.faults()).containsExactly("cut node1 node2");
            assertThat(w.kind()).isEqualTo("two primaries");
            assertThat(w.words()).contains("group db has two primaries at once (node1 and node2 at", "copies diverge");
        });
    }
}
