package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.Arbiter;
import org.tandemha.api.Verdict;

/** The runtime's rules that do not need a running node. */
class RuntimePartsTest {
    @Test
    void wallTimeIsAFixedOffsetOfEngineTime() {
        EngineClock c = new EngineClock();
        assertThat(c.wallTime(0)).isEqualTo(Instant.ofEpochMilli(c.wallBase()));
        assertThat(c.wallTime(1234)).isEqualTo(Instant.ofEpochMilli(c.wallBase() + 1234));
        assertThat(c.wallTime(1234)).isEqualTo(c.wallTime(1234)); // a pure function, however late it is asked
        assertThat(Duration.between(c.wallTime(c.now()), Instant.now()).abs()).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void arbitersOfTheConfigurationComeFirstAsListedThenThoseAddedAsAdded() {
        Arbiter c1 = named("c1");
        Arbiter c2 = named("c2");
        Arbiter b1 = named("b1");
        Arbiter b2 = named("b2");
        assertThat(SafetyCheck.inOrder(List.of(c1, c2), List.of(b1, b2))).containsExactly(c1, c2, b1, b2);
        assertThat(SafetyCheck.inOrder(List.of(c2, c1), List.of())).containsExactly(c2, c1);
    }

    @Test
    void theFirstAnswerOtherThanUnknownDecidesInThatOrder() {
        Arbiter unknown = answering("u", Verdict.Answer.UNKNOWN);
        Arbiter alive = answering("probe", Verdict.Answer.PEER_ALIVE);
        Arbiter dead = answering("disk", Verdict.Answer.PEER_DEAD);
        Verdict v = new SafetyCheck(SafetyCheck.inOrder(List.of(unknown, alive), List.of(dead)), false)
                .ask("node2", 1, Duration.ofSeconds(1));
        assertThat(v.answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        assertThat(v.reason()).contains("u says").contains("probe says").doesNotContain("disk says");
    }

    @Test
    void arbitersThatOnlyLookAreAskedAtOnceButAnAnswerCountsOnlyInOrder() {
        java.util.concurrent.CountDownLatch secondAsked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger granterAsked = new java.util.concurrent.atomic.AtomicInteger();
        // the first one answers only once the second was asked: they run in parallel; the second's fast "dead"
        // must still lose to the first's later "alive"
        Arbiter slowAlive = looking("probe", (peer, t) -> {
            try {
                return secondAsked.await(10, java.util.concurrent.TimeUnit.SECONDS)
                        ? Verdict.of(Verdict.Answer.PEER_ALIVE, "alive, answered after the gateway was asked")
                        : Verdict.of(Verdict.Answer.UNKNOWN, "the gateway was not asked in parallel");
            } catch (InterruptedException e) {
                return Verdict.of(Verdict.Answer.UNKNOWN, "interrupted");
            }
        });
        Arbiter fastDead = looking("gateway", (peer, t) -> {
            secondAsked.countDown();
            return Verdict.of(Verdict.Answer.PEER_DEAD, "dead");
        });
        Arbiter granter = new Arbiter() {
            @Override
            public String name() {
                return "witness";
            }

            @Override
            public Verdict ask(String peer, long generation, Duration timeout) {
                granterAsked.incrementAndGet();
                return Verdict.of(Verdict.Answer.PEER_DEAD, "granted");
            }
        };
        Verdict v = new SafetyCheck(List.of(slowAlive, fastDead, granter), false).ask("node2", 1, Duration.ofSeconds(30));
        assertThat(v.answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        assertThat(v.reason()).contains("answered after the gateway was asked").doesNotContain("granted");
        assertThat(granterAsked).hasValue(0); // one that acts is asked only after every earlier one said "unknown"
    }

    @Test
    void anArbiterThatActsIsAskedOnceThoseBeforeItSaidUnknown() {
        Arbiter gateway = looking("gateway", (peer, t) -> Verdict.of(Verdict.Answer.UNKNOWN, "reachable"));
        Arbiter granter = answering("witness", Verdict.Answer.PEER_DEAD);
        Verdict v = new SafetyCheck(List.of(gateway, granter), false).ask("node2", 1, Duration.ofSeconds(30));
        assertThat(v.answer()).isEqualTo(Verdict.Answer.PEER_DEAD);
        assertThat(v.reason()).contains("gateway says reachable").contains("witness says peer_dead");
    }

    private static Arbiter looking(String name, java.util.function.BiFunction<String, Duration, Verdict> answer) {
        return new Arbiter() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean actsWhenAsked() {
                return false;
            }

            @Override
            public Verdict ask(String peer, long generation, Duration timeout) {
                return answer.apply(peer, timeout);
            }
        };
    }

    private static Arbiter named(String name) {
        return answering(name, Verdict.Answer.UNKNOWN);
    }

    private static Arbiter answering(String name, Verdict.Answer answer) {
        return new Arbiter() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Verdict ask(String peer, long generation, Duration timeout) {
                return Verdict.of(answer, answer.name().toLowerCase());
            }
        };
    }
}
