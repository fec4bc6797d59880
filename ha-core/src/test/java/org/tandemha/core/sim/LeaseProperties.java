package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.engine.LocalState;

/**
 * The fault properties of {@link FaultProperties} with lease ownership (issue 20): the clusters are configured with a
 * coordination service (a simulated ZooKeeper, session timeout 2 s), and the schedules draw, besides the node,
 * network, resource and command faults, the coordination service's: a node cut from the ensemble and back, and a
 * session expired by the server. A pause or a crash silences a session until it expires.
 *
 * <p>P1 here: at no moment two owners of a group among live nodes whose lease token the volume accepts; a node left
 * running a group at an older token (frozen past its session timeout) is fenced by the token, and must stop it within
 * {@link SimCluster#FENCED_STOP_BOUND_MS} once it runs. P2: once the faults stop, every group is back online on one
 * node within the same bound as {@link FaultProperties}.
 */
class LeaseProperties {
    static final Duration SESSION = Duration.ofSeconds(2);

    record LeasePlan(FaultProperties.Plan plan) {
        ClusterSpec spec() {
            return Specs.coordinated(plan.spec(), SESSION);
        }

        @Override
        public String toString() {
            return "lease " + plan;
        }
    }

    @Provide
    Arbitrary<LeasePlan> schedules() {
        Set<String> leaveOut = FaultProperties.NEEDS_ENGINE_CHANGE;
        return Arbitraries.integers().between(2, 5).flatMap(n -> Combinators.combine(
                Arbitraries.just(n), Arbitraries.of(SwitchbackPolicy.values()),
                Arbitraries.of(SimCluster.ArbiterMode.values()), Arbitraries.of(false, true),
                Arbitraries.oneOf(FaultProperties.step(n, leaveOut), coordinationStep(n), coordinationStep(n))
                        .list().ofMinSize(1).ofMaxSize(30),
                Arbitraries.longs().between(1, 1_000_000))
                .as(FaultProperties.Plan::new))
                .filter(p -> FaultProperties.needsEngineChange(p) == null)
                .map(LeasePlan::new);
    }

    static Arbitrary<EngineProperties.Step> coordinationStep(int nodes) {
        Arbitrary<String> node = Arbitraries.of(FaultProperties.NODES5.subList(0, nodes));
        Arbitrary<Long> wait = Arbitraries.longs().between(0, 6000);
        return Arbitraries.oneOf(
                Combinators.combine(wait, node).as((w, n) -> new EngineProperties.Step(w, "zk-cut", n, null, null)),
                Combinators.combine(wait, node).as((w, n) -> new EngineProperties.Step(w, "zk-heal", n, null, null)),
                Combinators.combine(wait, node).as((w, n) -> new EngineProperties.Step(w, "zk-expire", n, null, null)));
    }

    static SimCluster play(LeasePlan lp) {
        FaultProperties.Plan p = lp.plan();
        SimCluster c = new SimCluster(lp.spec(), p.seed()).arbiter(p.arbiter()).fencing(p.fencing());
        c.startAll();
        c.runFor(4000);
        for (EngineProperties.Step st : p.steps()) {
            c.runFor(st.afterMs());
            switch (st.what()) {
                case "zk-cut" -> c.coordinationCut(st.a());
                case "zk-heal" -> c.coordinationHeal(st.a());
                case "zk-expire" -> c.expireSession(st.a());
                default -> FaultProperties.apply(c, st);
            }
        }
        return c;
    }

    /** P1 with leases, over every fault the enabled fault properties draw plus the coordination service's. */
    // Seeds fixed so that CI is deterministic. The two failures random runs found (plan seeds 821984 and 102865) are
    // fixed and replayed by LeaseRegressionTest; remove the seeds here to explore again.
    @Property(tries = 1000, shrinking = ShrinkingMode.BOUNDED, seed = "20261206")
    void neverTwoOwners(@ForAll("schedules") LeasePlan lp) {
        SimCluster c = play(lp);
        c.runFor(20_000);
        for (String n : lp.plan().nodeIds()) {
            c.resume(n);
            c.coordinationHeal(n);
        }
        c.runFor(20_000);
        assertThat(c.violations()).as(lp + "\n" + String.join("\n", c.log())).isEmpty();
    }

    /** P2 with leases: once the faults stop (the ensemble reachable again), every group is back within the bound. */
    @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED, seed = "20261206")
    void backOnlineWithinBound(@ForAll("schedules") LeasePlan lp) {
        FaultProperties.Plan p = lp.plan();
        SimCluster c = play(lp);
        long stopped = c.now();
        for (String n : p.nodeIds()) {
            c.coordinationHeal(n);
        }
        long operatorWait = FaultProperties.operatorWait(p.spec());
        FaultProperties.faultsStop(c, p, operatorWait);
        long bound = FaultProperties.LEAVE_MS + operatorWait + FaultProperties.recoveryBound(p.spec()) + SESSION.toMillis();
        boolean ok = c.runUntil(() -> {
            for (String n : p.nodeIds()) {
                c.boot(n);
            }
            return FaultProperties.GROUPS.stream().allMatch(g -> c.onlineOn(g).size() == 1);
        }, bound - (c.now() - stopped));
        assertThat(ok).as("every group online on one node within " + bound + " ms once the faults stopped\n" + lp + "\n"
                + c.describe() + "\n" + String.join("\n", c.log())).isTrue();
        assertThat(c.violations()).as(lp + "\n" + String.join("\n", c.log())).isEmpty();
    }

    /** The basic slice: five nodes, the owner's session expires, the next node of the list takes over at a higher token. */
    @Test
    void expiredOwnerIsReplacedAtAHigherToken() {
        List<String> nodes = List.of("node1", "node2", "node3", "node4", "node5");
        ClusterSpec spec = Specs.coordinated(Specs.cluster(nodes,
                Specs.group("db", nodes, SwitchbackPolicy.ADMINISTRATOR, "disk", "fs"),
                Specs.group("app", reversed(nodes), SwitchbackPolicy.ADMINISTRATOR, "vip")), SESSION);
        SimCluster c = new SimCluster(spec, 7);
        c.startAll();
        assertThat(c.runUntil(() -> c.onlineOn("db").equals(List.of("node1")) && c.onlineOn("app").equals(List.of("node5")),
                10_000)).as(c.describe()).isTrue();
        long before = c.generation("node1", "db");
        assertThat(before).isGreaterThan(1L << 32);
        c.coordinationCut("node1");
        assertThat(c.runUntil(() -> c.onlineOn("db").equals(List.of("node2")), 10_000)).as(c.describe()).isTrue();
        assertThat(c.state("node1", "db")).isEqualTo(LocalState.OFFLINE);
        assertThat(c.generation("node2", "db")).isGreaterThan(before);
        c.coordinationHeal("node1");
        c.expireSession("node5");
        assertThat(c.runUntil(() -> c.onlineOn("app").size() == 1, 10_000)).as(c.describe()).isTrue();
        c.runFor(5000);
        assertThat(c.violations()).isEmpty();
    }

    private static List<String> reversed(List<String> l) {
        List<String> r = new ArrayList<>(l);
        java.util.Collections.reverse(r);
        return r;
    }
}
