package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.EngineProperties.Step;

/** Shrunk samples that random runs of {@link LeaseProperties} found, replayed as fixed plans. */
class LeaseRegressionTest {
    private static Step st(long after, String what, String a, String b, String c) {
        return new Step(after, what, a, b, c);
    }

    private static LeaseProperties.LeasePlan plan(int nodes, long seed, List<Step> steps) {
        return new LeaseProperties.LeasePlan(new FaultProperties.Plan(nodes, SwitchbackPolicy.AUTOMATIC,
                SimCluster.ArbiterMode.TRUTH, false, steps, seed));
    }

    /** seed 102865: db stuck CLAIMING on node1 after store-fails + zk-cut + a switchover to itself. */
    @Test
    void backOnlineAfterStoreFailsCutAndSwitchoverToItself() {
        LeaseProperties.LeasePlan lp = plan(3, 102865, List.of(
                st(0, "store-fails", "node1", null, null),
                st(0, "zk-cut", "node1", null, null),
                st(0, "switchover", "node1", "db", "node1"),
                st(106, "loss", "node1", "node2", "0.1")));
        new LeaseProperties().backOnlineWithinBound(lp);
    }

    /** seed 821984: a node cut from the ensemble with app in maintenance, its session expired, a duplicate refused. */
    @Test
    void neverTwoOwnersAfterMaintenanceAcrossAnExpiredSession() {
        LeaseProperties.LeasePlan lp = plan(4, 821984, List.of(
                st(0, "switchover", "node1", "app", "node1"),
                st(0, "crash", "node2", null, null),
                st(0, "crash", "node2", null, null),
                st(0, "switchback", "node1", "db", null),
                st(112, "crash", "node2", null, null),
                st(0, "cut", "node1", "node4", null),
                st(0, "maintenance-on", "node1", "app", null),
                st(12, "zk-cut", "node1", null, null),
                st(476, "zk-heal", "node4", null, null),
                st(673, "zk-heal", "node4", null, null),
                st(479, "zk-expire", "node1", null, null),
                st(2, "duplicate", "node1", null, null),
                st(2, "maintenance-off", "node1", "app", null)));
        new LeaseProperties().neverTwoOwners(lp);
    }
}
