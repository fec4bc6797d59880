package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.tandemha.core.config.SwitchbackPolicy;

/**
 * The safety check and fencing under generated schedules of partitions, pauses (a node frozen longer than the
 * timeouts, then resumed), crashes, restarts and lost arbiters, with a simulated shared disk that honours
 * reservations as a real one does: it accepts writes only from registered keys, and a takeover preempts the
 * loser's key.
 */
class SafetyProperties {

    @Provide
    Arbitrary<EngineProperties.Scenario> diskSchedules() {
        return Arbitraries.integers().between(2, 3).flatMap(n -> Combinators.combine(
                Arbitraries.just(n), Arbitraries.of(SwitchbackPolicy.values()),
                Arbitraries.of(SimCluster.ArbiterMode.DISK_RACE, SimCluster.ArbiterMode.DISK_RACE, SimCluster.ArbiterMode.SILENT),
                faultStep(n).list().ofMinSize(1).ofMaxSize(10), Arbitraries.longs().between(1, 100_000))
                .as(EngineProperties.Scenario::new));
    }

    /** Node-level faults only: what the safety check exists for. */
    private static Arbitrary<EngineProperties.Step> faultStep(int nodes) {
        Arbitrary<String> node = Arbitraries.of(EngineProperties.NODES3.subList(0, nodes));
        Arbitrary<Long> wait = Arbitraries.longs().between(0, 10_000);
        return Arbitraries.oneOf(
                Combinators.combine(wait, node).as((w, a) -> new EngineProperties.Step(w, "crash", a, null, null)),
                Combinators.combine(wait, node).as((w, a) -> new EngineProperties.Step(w, "boot", a, null, null)),
                Combinators.combine(wait, node).as((w, a) -> new EngineProperties.Step(w, "pause", a, null, null)),
                Combinators.combine(wait, node).as((w, a) -> new EngineProperties.Step(w, "resume", a, null, null)),
                Combinators.combine(wait, node, node).as((w, a, b) -> new EngineProperties.Step(w, "cut", a, b, null)),
                Combinators.combine(wait, node, node).as((w, a, b) -> new EngineProperties.Step(w, "heal", a, b, null)));
    }

    /**
     * The shared disk never accepts a write from a node after another node took the group over; no group runs on
     * two unfenced nodes; a fenced node stops its groups within its bound once it runs again.
     */
    @Property(tries = 5000, shrinking = ShrinkingMode.BOUNDED)
    void diskNeverAcceptsAStaleWriter(@ForAll("diskSchedules") EngineProperties.Scenario s) {
        SimCluster c = EngineProperties.play(s);
        c.runFor(20_000);
        for (String n : s.nodeIds()) {
            c.resume(n); // a frozen node wakes up at last: it must check before it writes
        }
        c.runFor(20_000);
        assertThat(c.violations()).as(s + "\n" + String.join("\n", c.log())).isEmpty();
    }

    /**
     * With one node dead and the arbiter reachable, the survivor takes over within the stated bound: detection
     * (300 ms in the simulation), the safety check and the start of the group's resources, well under 2 s.
     */
    @Property(tries = 500)
    void survivorTakesOverWithinBound(@ForAll @IntRange(min = 1, max = 100_000) int seed,
                                      @ForAll @LongRange(min = 0, max = 20_000) long crashAfter,
                                      @ForAll boolean truthArbiter) {
        EngineProperties.Scenario s = new EngineProperties.Scenario(2, SwitchbackPolicy.ADMINISTRATOR,
                truthArbiter ? SimCluster.ArbiterMode.TRUTH : SimCluster.ArbiterMode.DISK_RACE, List.of(), seed);
        SimCluster c = new SimCluster(s.spec(), seed).arbiter(s.arbiter());
        c.startAll();
        assertThat(c.runUntil(() -> c.onlineOn("db").size() == 1, 10_000)).isTrue();
        c.runFor(crashAfter);
        String holder = c.onlineOn("db").get(0);
        String survivor = holder.equals("node1") ? "node2" : "node1";
        c.crash(holder);
        long t0 = c.now();
        boolean ok = c.runUntil(() -> c.onlineOn("db").equals(List.of(survivor)), 2_000);
        assertThat(ok).as("db on " + survivor + " within 2 s of the crash of " + holder + "; " + c.describe()).isTrue();
        assertThat(c.now() - t0).isLessThanOrEqualTo(2_000);
        assertThat(c.violations()).isEmpty();
    }
}
