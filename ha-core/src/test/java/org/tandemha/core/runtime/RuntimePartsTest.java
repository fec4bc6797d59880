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
