package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

/**
 * A one-way cut (node2 no longer hears node1; node1 still hears node2), then node1 gives a group up (its local
 * recovery fails): node1 learns from node2's announcements that node2 cannot hear it, stands aside (stops every
 * group, its arbiters stop vouching for it), node2's safety check finds it gone and takes the groups over; once the
 * cut heals node1 takes part again. Never two owners, also when node1 cannot stop a group or keeps one in
 * maintenance (then nothing moves).
 */
class OneWayCutTest {
    /** From the kill of app to web online on node2: detection, the grace, the stops, node2's next safety check (every 4 s at most), the starts. */
    static final long BOUND_MS = 12_000;

    private static SimCluster cluster(long seed) {
        return new SimCluster(Specs.cluster(List.of("node1", "node2"),
                Specs.group("web", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "ip", "app"),
                Specs.group("db", List.of("node1", "node2"), SwitchbackPolicy.AUTOMATIC, "disk", "pg")), seed);
    }

    private static SimCluster cutThenAppFails(long seed, SimCluster.Fault stop) {
        SimCluster c = cluster(seed);
        c.startAll();
        assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1"))
                && c.onlineOn("db").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
        c.cutOneWay("node1", "node2");
        c.runFor(3_000 + seed * 137 % 2_000);
        c.fault("node1", "web", "app", SimCluster.Fault.RECOVER_FAILS);
        c.fault("node1", "web", "ip", stop); // (stopped after app)
        c.kill("node1", "web", "app");
        return c;
    }

    @Test
    void theGroupTheOwnerGaveUpComesOnlineOnThePeerWithinTheBoundAndTheOwnerReturnsAfterTheHeal() {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (long seed = 1; seed <= 20; seed++) {
            SimCluster c = cutThenAppFails(seed, SimCluster.Fault.NONE);
            long killedAt = c.now();
            assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), BOUND_MS))
                    .as("seed %d: web online on node2 within %d ms of the failure\n%s", seed, BOUND_MS, c.describe()).isTrue();
            long took = c.now() - killedAt;
            assertThat(took).as("seed %d", seed).isLessThanOrEqualTo(BOUND_MS);
            min = Math.min(min, took);
            max = Math.max(max, took);
            // node1's other group went with it: node2's verdict is about node1, not about one group
            assertThat(c.runUntil(() -> c.onlineOn("db").equals(List.of("node2")), 2_000)).as(c.describe()).isTrue();
            assertThat(c.engine("node1").snapshot().node().asideTold()).isTrue();
            c.runFor(5_000);
            assertThat(c.onlineOn("web")).as(c.describe()).containsExactly("node2");

            c.heal("node1", "node2");
            // node1 takes part again: db (automatic switchback) comes back to it; web (administrator) stays on node2
            assertThat(c.runUntil(() -> c.onlineOn("db").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
            assertThat(c.engine("node1").snapshot().node().asideReason()).isNull();
            assertThat(c.engine("node1").snapshot().node().selfFenced()).isFalse();
            assertThat(c.onlineOn("web")).containsExactly("node2");
            assertThat(c.violations()).as("seed %d", seed).isEmpty();
        }
        System.out.println("one-way cut, then the owner gives web up: online on node2 " + min + " to " + max
                + " ms after the failure (20 seeds; bound " + BOUND_MS + " ms)");
    }

    @Test
    void anOwnerWhoseStopFailedDoesNotStandAsideAndNothingMoves() {
        SimCluster c = cutThenAppFails(3, SimCluster.Fault.STOP_FAILS);
        c.runFor(30_000);
        assertThat(c.state("node1", "web")).isEqualTo(LocalState.FAILED);
        assertThat(c.state("node2", "web")).as(c.describe()).isEqualTo(LocalState.OFFLINE);
        assertThat(c.engine("node1").snapshot().node().asideTold()).isFalse();
        assertThat(c.violations()).isEmpty();
    }

    @Test
    void aGroupInMaintenanceOnTheOwnerKeepsItFromStandingAside() {
        SimCluster c = cluster(5);
        c.startAll();
        assertThat(c.runUntil(() -> c.onlineOn("db").equals(List.of("node1")), 10_000)).isTrue();
        long cmd = c.command("node1", Input.Command.Kind.MAINTENANCE_ON, "db", null);
        assertThat(c.runUntil(() -> c.commandResult(cmd) != null, 5_000)).isTrue();
        c.runFor(1_000);
        c.cutOneWay("node1", "node2");
        c.runFor(3_000);
        c.fault("node1", "web", "app", SimCluster.Fault.RECOVER_FAILS);
        c.kill("node1", "web", "app");
        c.runFor(30_000);
        // db runs unmanaged on node1: node1 stops web but never tells its arbiters that it runs nothing
        assertThat(c.onlineOn("db")).as(c.describe()).containsExactly("node1");
        assertThat(c.engine("node1").snapshot().node().asideTold()).isFalse();
        assertThat(c.state("node2", "web")).isEqualTo(LocalState.OFFLINE);
        assertThat(c.violations()).isEmpty();
    }

    /**
     * The mirror case: node1 no longer hears node2 (node2 still hears node1), then node1 gives web up. node2 hears
     * that and claims web, but node1 cannot hear the claim to acknowledge it. node1 announces that it cannot hear
     * node2 and shows web offline, unclaimed and acknowledged to nobody; node1 cannot start web itself without
     * node2's acknowledgement or a verdict that node2 is dead, so its silence counts as no objection.
     */
    @Test
    void whenTheOwnerCannotHearThePeerThePeersClaimNeedsNoAcknowledgementItCannotHear() {
        for (long seed = 1; seed <= 10; seed++) {
            SimCluster c = cluster(seed);
            c.startAll();
            assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000)).as(c.describe()).isTrue();
            c.cutOneWay("node2", "node1"); // node1 no longer hears node2
            c.runFor(3_000 + seed * 137 % 2_000);
            c.fault("node1", "web", "app", SimCluster.Fault.RECOVER_FAILS);
            c.kill("node1", "web", "app");
            assertThat(c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), BOUND_MS))
                    .as("seed %d: web online on node2\n%s", seed, c.describe()).isTrue();
            // db stays on node1: nothing about node1 changed
            assertThat(c.onlineOn("db")).as(c.describe()).containsExactly("node1");
            c.runFor(5_000);
            assertThat(c.onlineOn("web")).containsExactly("node2");
            c.heal("node1", "node2");
            c.runFor(5_000);
            assertThat(c.onlineOn("web")).containsExactly("node2");
            assertThat(c.violations()).as("seed %d", seed).isEmpty();
        }
    }
}
