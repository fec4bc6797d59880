package org.tandemha.heartbeat.witness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.tandemha.api.Verdict;

/**
 * The witness's decisions, in simulated time: over random interleavings of reports, questions and passing time from
 * two nodes, it never grants one generation to two nodes, never declares dead a node that reported within its lease,
 * and never grants anything while both nodes keep reporting.
 */
class WitnessStateProperties {
    static final long LEASE = 1_000_000_000L;
    static final List<String> NODES = List.of("node1", "node2");

    /** One step: a report, a question, or time passing. */
    record Step(int kind, int node, long generation, long advanceMs) {
        @Override
        public String toString() {
            return switch (kind) {
                case 0 -> NODES.get(node) + " reports g" + generation;
                case 1 -> NODES.get(node) + " asks g" + generation;
                default -> "+" + advanceMs + "ms";
            };
        }
    }

    @Provide
    Arbitrary<List<Step>> schedules() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 1),
                Arbitraries.longs().between(0, 6), Arbitraries.longs().between(0, 2500)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(80);
    }

    @Property(tries = 2000)
    void oneNodePerGenerationAndNeverAgainstALiveNode(@ForAll("schedules") List<Step> steps) {
        long now = 5 * LEASE; // past the start-up lease
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        Map<String, Long> lastReport = new HashMap<>();
        Map<Long, String> granted = new TreeMap<>();
        String lastGrantee = null;
        long lastGrant = 0;
        List<String> trace = new ArrayList<>();
        for (Step s : steps) {
            trace.add(s.toString());
            String node = NODES.get(s.node());
            String peer = NODES.get(1 - s.node());
            switch (s.kind()) {
                case 0 -> {
                    w.report(node, 1, s.generation(), 0, now);
                    lastReport.put(node, now);
                }
                case 1 -> {
                    WitnessState.Answer a = w.ask(node, peer, s.generation(), 0, now);
                    trace.add("  -> " + a.answer() + " g" + a.generation() + ": " + a.reason());
                    assertThat(a.generation()).as("%s", trace).isGreaterThanOrEqualTo(s.generation());
                    Long heard = lastReport.get(peer);
                    if (heard != null && now - heard <= LEASE) {
                        assertThat(a.answer()).as("peer reported within the lease: %s", trace).isNotEqualTo(Verdict.Answer.PEER_DEAD);
                    }
                    if (a.answer() == Verdict.Answer.PEER_DEAD) {
                        String before = granted.putIfAbsent(a.generation(), node);
                        assertThat(before == null || before.equals(node)).as("generation %d granted twice: %s", a.generation(), trace).isTrue();
                        if (lastGrantee != null && !lastGrantee.equals(node)) {
                            assertThat(a.generation()).as("a grant to another node goes above the last: %s", trace).isGreaterThan(lastGrant);
                        }
                        lastGrantee = node;
                        lastGrant = Math.max(lastGrant, a.generation());
                    }
                }
                default -> now += s.advanceMs() * 1_000_000L;
            }
        }
    }

    @Property(tries = 1000)
    void whileBothReportNothingIsGranted(@ForAll("schedules") List<Step> steps) {
        long now = 5 * LEASE;
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        for (Step s : steps) {
            // both nodes report at least every lease: time passes in short steps with reports in between
            now += Math.min(s.advanceMs(), 400) * 1_000_000L;
            w.report("node1", 1, s.generation(), 0, now);
            now += Math.min(s.advanceMs(), 400) * 1_000_000L;
            w.report("node2", 1, s.generation(), 0, now);
            WitnessState.Answer a = w.ask(NODES.get(s.node()), NODES.get(1 - s.node()), s.generation(), 0, now);
            assertThat(a.answer()).as(a.reason()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        }
    }

    @Test
    void readableAnswers() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        long t = 500_000_000L;
        WitnessState.Answer early = w.ask("node1", "node2", 3, 0, t);
        assertThat(early.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
        assertThat(early.reason()).contains("has not heard node2 yet");
        w.report("node1", 1, 3, 0, t);
        w.report("node2", 1, 3, 0, t);
        t += 300_000_000L;
        WitnessState.Answer alive = w.ask("node1", "node2", 3, 0, t);
        assertThat(alive.answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        assertThat(alive.reason()).isEqualTo("witness heard node2 0.3 s ago");
        t += 1_800_000_000L;
        w.report("node1", 1, 3, 0, t);
        WitnessState.Answer dead = w.ask("node1", "node2", 3, 0, t);
        assertThat(dead.answer()).isEqualTo(Verdict.Answer.PEER_DEAD);
        assertThat(dead.reason()).isEqualTo("witness has not heard node2 for 2.1 s; takeover granted to node1 for generation 3");
        assertThat(dead.generation()).isEqualTo(3);
        // node2 comes back (a long pause, the same incarnation) still at generation 3: its report says it lost
        WitnessState.Reported back = w.report("node2", 1, 3, 0, t);
        assertThat(back.notice()).isNotNull();
        assertThat(back.notice().generation()).isEqualTo(3);
        assertThat(back.notice().text()).isEqualTo("the witness granted the takeover to node1 for generation 3 after node2 had"
                + " not reported for 2.1 s (paused, or cut off from the witness and from node1)");
        WitnessState.Answer lost = w.ask("node2", "node1", 3, 0, t);
        assertThat(lost.answer()).isEqualTo(Verdict.Answer.WE_LOST);
        assertThat(lost.reason()).startsWith("witness granted the takeover to node1 for generation 3");
        // once node1 has claimed generation 4 and node2 knows it, a new cut gives "alive" again
        assertThat(w.ask("node2", "node1", 4, 0, t).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        // a restarted node2 (a new incarnation) runs nothing: no notice
        assertThat(w.report("node2", 2, 3, 0, t).notice()).isNull();
        assertThat(w.report("node2", 1, 3, 0, t).notice()).as("the old incarnation's notice is gone").isNull();
    }

    @Test
    void aNodeRestartedSinceItLostATakeoverIsNotToldItLostWhenItAsksAboutTheWinner() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        long t = 5 * LEASE;
        w.report("node1", 1, 3, 0, t);
        w.report("node2", 1, 3, 0, t);
        t += 2 * LEASE;
        w.report("node1", 1, 3, 0, t);
        assertThat(w.ask("node1", "node2", 3, 0, t).answer()).as("node2 silent: node1 takes over").isEqualTo(Verdict.Answer.PEER_DEAD);
        // the same incarnation of node2 back: it lost
        assertThat(w.ask("node2", "node1", 3, 0, t).answer()).isEqualTo(Verdict.Answer.WE_LOST);
        // node2 restarted (incarnation 2) and asks about node1, which reported a moment ago (dead now, inside its
        // lease): node1 is alive as far as the witness knows; node2 runs nothing from before, it did not "lose"
        t += LEASE / 10;
        w.report("node2", 2, 3, 0, t);
        WitnessState.Answer a = w.ask("node2", "node1", 3, 0, t);
        assertThat(a.answer()).as(a.reason()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        // once node1's lease has run out the takeover is granted to node2, above node1's grant
        t += 2 * LEASE;
        w.report("node2", 2, 3, 0, t);
        WitnessState.Answer b = w.ask("node2", "node1", 3, 0, t);
        assertThat(b.answer()).as(b.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
        assertThat(b.generation()).isGreaterThan(3);
    }

    @Test
    void aGrantThatCannotBeSavedIsNotGiven() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> "disk full");
        WitnessState.Answer a = w.ask("node1", "node2", 2, 0, 5 * LEASE);
        assertThat(a.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
        assertThat(a.reason()).contains("cannot save a grant (disk full)");
        assertThat(w.grants()).isEmpty();
    }

    @Test
    void aRestartedWitnessKeepsItsGrantsAndWaitsALease() {
        WitnessState w = new WitnessState(0, LEASE, 7, Map.of(7L, "node2"), (s, g) -> null);
        WitnessState.Answer early = w.ask("node1", "node2", 5, 0, LEASE / 2);
        assertThat(early.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
        assertThat(early.generation()).isEqualTo(7);
        WitnessState.Answer later = w.ask("node1", "node2", 5, 0, 2 * LEASE);
        assertThat(later.answer()).isEqualTo(Verdict.Answer.PEER_DEAD);
        assertThat(later.generation()).as(later.reason()).isEqualTo(8);
        assertThat(w.grants()).containsEntry(7L, "node2").containsEntry(8L, "node1");
    }

    @Test
    void aNodesLongerLeaseWins() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        w.report("node2", 1, 1, 3 * LEASE, 5 * LEASE);
        assertThat(w.ask("node1", "node2", 1, 0, 7 * LEASE).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        assertThat(w.ask("node1", "node2", 1, 0, 9 * LEASE).answer()).isEqualTo(Verdict.Answer.PEER_DEAD);
    }
}
