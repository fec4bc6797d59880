package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.StandbyState;

/**
 * Promotable groups (issue 19) over the fault schedules of {@link FaultProperties}: group {@code db} is promotable
 * (its first resource, {@code disk}, is the replicated one: primary on one node, standbys on the others; {@code fs}
 * and {@code pg} run with the primary), {@code app} is an ordinary group. Besides every fault of the enabled
 * {@link FaultProperties#neverTwoOwners}, the schedules make standbys lag, fail to start (a rewind that fails) and
 * fail their checks, and kill the primary's replicated resource.
 *
 * <h2>P1: never two primaries</h2>
 * At no moment do two live unfenced nodes run {@code db}'s replicated resource as the primary (the rules of
 * "owner" are those of {@link FaultProperties}), and every promotion is at a generation above the previous one's
 * (the generation is the fencing token). The older checks (never two owners of any group, the disk never accepts a
 * write from an older generation) hold as well.
 *
 * The same with leases ({@link LeaseProperties}' coordination service and its faults), over 300 schedules.
 *
 * <h2>P2: a primary and its standbys again</h2>
 * Once the faults stop and the operator has cleared (as in {@link FaultProperties#faultsStop}), {@code db} is
 * primary on exactly one node and, within {@link #STANDBY_BOUND_MS} more, a standby runs on every other node: a
 * node that held the primary before comes back as a standby, never as a second primary.
 */
class PromotableProperties {
    /** After the groups are online again: a failed standby's retry, its start and its first check, with margin. */
    static final long STANDBY_BOUND_MS = 10_000 + 5_000 + 2_000 + 3_000;

    record PPlan(FaultProperties.Plan base, boolean leases) {
        ClusterSpec spec() {
            return leases ? Specs.coordinated(plain(), LeaseProperties.SESSION) : plain();
        }

        private ClusterSpec plain() {
            List<String> ids = base.nodeIds();
            List<String> reversed = new ArrayList<>(ids);
            Collections.reverse(reversed);
            GroupSpec db0 = Specs.group("db", ids, base.policy(), "disk", "fs", "pg");
            GroupSpec db = new GroupSpec(db0.id(), db0.nodes(), db0.switchback(), db0.settle(), db0.maxRecoveries(),
                    db0.recoveryWindow(), db0.resources(), true);
            GroupSpec app = Specs.group("app", reversed, base.policy(), "vip", "web");
            return Specs.cluster(ids, db, app);
        }

        @Override
        public String toString() {
            return "promotable db" + (leases ? ", leases; " : "; ") + base;
        }
    }

    static Arbitrary<EngineProperties.Step> replicationStep(int nodes) {
        Arbitrary<String> node = Arbitraries.of(FaultProperties.NODES5.subList(0, nodes));
        Arbitrary<Long> wait = Arbitraries.longs().between(0, 6000);
        Arbitrary<String> fault = Arbitraries.of("STANDBY_LAGS", "STANDBY_START_FAILS", "CHECK_FAILS", "NONE");
        return Combinators.combine(wait, node, fault).as((w, n, f) -> new EngineProperties.Step(w, "replica-fault", n, "db", f));
    }

    @Provide
    Arbitrary<PPlan> schedules() {
        return plans(false);
    }

    @Provide
    Arbitrary<PPlan> leaseSchedules() {
        return plans(true);
    }

    static Arbitrary<PPlan> plans(boolean leases) {
        return Arbitraries.integers().between(2, 4).flatMap(n -> Combinators.combine(
                Arbitraries.just(n), Arbitraries.of(SwitchbackPolicy.values()),
                Arbitraries.of(SimCluster.ArbiterMode.values()), Arbitraries.of(false, true),
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(3, FaultProperties.step(n, FaultProperties.NEEDS_ENGINE_CHANGE)),
                        net.jqwik.api.Tuple.of(1, replicationStep(n)),
                        net.jqwik.api.Tuple.of(leases ? 2 : 0, LeaseProperties.coordinationStep(n))).list().ofMinSize(1).ofMaxSize(25),
                Arbitraries.longs().between(1, 1_000_000))
                .as(FaultProperties.Plan::new))
                .filter(p -> FaultProperties.needsEngineChange(p) == null)
                .map(p -> new PPlan(p, leases));
    }

    static SimCluster play(PPlan p) {
        SimCluster c = new SimCluster(p.spec(), p.base().seed()).arbiter(p.base().arbiter()).fencing(p.base().fencing());
        c.startAll();
        c.runFor(4000);
        for (EngineProperties.Step st : p.base().steps()) {
            c.runFor(st.afterMs());
            switch (st.what()) {
                case "replica-fault" -> c.fault(st.a(), "db", "disk", SimCluster.Fault.valueOf(st.c()));
                case "zk-cut" -> c.coordinationCut(st.a());
                case "zk-heal" -> c.coordinationHeal(st.a());
                case "zk-expire" -> c.expireSession(st.a());
                default -> FaultProperties.apply(c, st);
            }
        }
        return c;
    }

    /** P1. */
    @Property(tries = 1000, shrinking = ShrinkingMode.BOUNDED, seed = "20261206") // fixed for CI; random seeds: examples/bench/run.sh properties
    void neverTwoPrimaries(@ForAll("schedules") PPlan p) {
        checkNeverTwoPrimaries(p);
    }

    /** P1 with group leases from a coordination service (ZooKeeper) deciding the primary, and its faults. */
    @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED, seed = "20261206") // fixed for CI; random seeds: examples/bench/run.sh properties
    void neverTwoPrimariesWithLeases(@ForAll("leaseSchedules") PPlan p) {
        checkNeverTwoPrimaries(p);
    }

    static void checkNeverTwoPrimaries(PPlan p) {
        SimCluster c = play(p);
        c.runFor(20_000);
        for (String n : p.base().nodeIds()) {
            c.resume(n);
            if (p.leases()) {
                c.coordinationHeal(n);
            }
        }
        c.runFor(20_000);
        assertThat(c.violations()).as(p + "\n" + String.join("\n", c.log())).isEmpty();
    }

    /** P2. */
    @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED, seed = "20261206") // fixed for CI; random seeds: examples/bench/run.sh properties
    void primaryAndStandbysAgain(@ForAll("schedules") PPlan p) {
        SimCluster c = play(p);
        long stopped = c.now();
        FaultProperties.faultsStop(c, p.base(), FaultProperties.operatorWait(p.spec()));
        long bound = FaultProperties.LEAVE_MS + FaultProperties.operatorWait(p.spec()) + FaultProperties.recoveryBound(p.spec());
        boolean online = c.runUntil(() -> {
            for (String n : p.base().nodeIds()) {
                c.boot(n);
            }
            return FaultProperties.GROUPS.stream().allMatch(g -> c.onlineOn(g).size() == 1);
        }, bound - (c.now() - stopped));
        assertThat(online).as("every group online on one node\n" + p + "\n" + c.describe()).isTrue();
        boolean standbys = c.runUntil(() -> {
            for (String n : p.base().nodeIds()) {
                c.boot(n); // (as above: a node that left late is started again)
            }
            List<String> on = c.onlineOn("db");
            if (on.size() != 1 || !c.primaries("db").equals(on)) {
                return false;
            }
            for (String n : p.base().nodeIds()) {
                if (!n.equals(on.get(0)) && (c.engine(n) == null || c.engine(n).standby("db") != StandbyState.RUNNING
                        || !c.standbyRunning(n, "db"))) {
                    return false;
                }
            }
            return true;
        }, STANDBY_BOUND_MS);
        StringBuilder st = new StringBuilder();
        for (String n : p.base().nodeIds()) {
            st.append(n).append('=').append(c.engine(n) == null ? "down" : c.engine(n).standby("db")).append(' ');
        }
        assertThat(standbys).as("one primary and a standby on every other node within " + STANDBY_BOUND_MS
                + " ms\n" + p + "\n" + c.describe() + " standbys: " + st + "\n" + String.join("\n", c.log())).isTrue();
        assertThat(c.violations()).as(p + "\n" + String.join("\n", c.log())).isEmpty();
    }
}
