package org.tandemha.heartbeat.witness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.Verdict;

/**
 * Three nodes (a promotable group with two standbys, issue 19): when the primary dies, both survivors ask the witness
 * about it. The first one's grant must not make the second stand down (it did not lose: the takeover was from the
 * dead node, not from it); the node the takeover was from still loses when it comes back.
 */
class WitnessThreeNodesTest {
    private static final long LEASE = 300_000_000L;

    @Test
    void theSecondSurvivorIsNotToldItLost() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        long now = 5 * LEASE;
        for (String n : new String[] {"node1", "node2", "node3"}) {
            w.report(n, 1, 1, 0, now);
        }
        now += 2 * LEASE;
        w.report("node2", 1, 1, 0, now);
        w.report("node3", 1, 1, 0, now);
        WitnessState.Answer second = w.ask("node2", "node1", 1, 0, now);
        assertThat(second.answer()).isEqualTo(Verdict.Answer.PEER_DEAD);
        WitnessState.Answer third = w.ask("node3", "node1", 1, 0, now);
        assertThat(third.answer()).as(third.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
        assertThat(third.generation()).as("a grant to another node goes above the last").isGreaterThan(second.generation());
        // node1 was paused, not dead: it reports again and is told it lost; asking about a survivor, it loses
        WitnessState.Reported back = w.report("node1", 1, 1, 0, now);
        assertThat(back.notice()).isNotNull();
        assertThat(w.ask("node1", "node2", 1, 0, now).answer()).isEqualTo(Verdict.Answer.WE_LOST);
        // two nodes: the grant from the asker to a live peer still says the asker lost
        assertThat(w.ask("node2", "node3", 1, 0, now).answer()).as("node3 is alive").isEqualTo(Verdict.Answer.PEER_ALIVE);
    }

    @Test
    void aNodeTakenOverFromBeforeIsNotToldItLostWhenAnotherPeerDies() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        long now = 5 * LEASE;
        for (String n : new String[] {"node1", "node2", "node3"}) {
            w.report(n, 1, 1, 0, now);
        }
        now += 2 * LEASE;
        w.report("node2", 1, 1, 0, now);
        w.report("node3", 1, 1, 0, now);
        long g = w.ask("node2", "node1", 1, 0, now).generation(); // node2 takes over from node1
        w.report("node1", 2, g, 0, now); // node1 restarted (incarnation 2): it runs nothing, node2 holds the group
        w.report("node2", 1, g, 0, now);
        now += 2 * LEASE; // node3, the next primary, dies; node1 and node2 both ask about it
        w.report("node1", 2, g, 0, now);
        w.report("node2", 1, g, 0, now);
        assertThat(w.ask("node2", "node3", g, 0, now).answer()).isEqualTo(Verdict.Answer.PEER_DEAD);
        WitnessState.Answer a = w.ask("node1", "node3", g, 0, now);
        assertThat(a.answer()).as(a.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
    }

    @Test
    void aNodeTakenOverFromOnceByAnotherStillTakesOverFromADeadThird() {
        WitnessState w = new WitnessState(0, LEASE, 0, Map.of(), (s, g) -> null);
        long now = 5 * LEASE;
        for (String n : new String[] {"node1", "node2", "node3"}) {
            w.report(n, 1, 1, 0, now);
        }
        now += 2 * LEASE; // node2 slow at its start: node3 is granted the takeover from it
        w.report("node1", 1, 1, 0, now);
        w.report("node3", 1, 1, 0, now);
        long g = w.ask("node3", "node2", 1, 0, now).generation();
        assertThat(w.report("node2", 1, g, 0, now).notice()).as("node2 is told, and stands down").isNotNull();
        assertThat(w.ask("node2", "node3", g, 0, now).answer()).as("node2 lost to node3").isEqualTo(Verdict.Answer.WE_LOST);
        now += 2 * LEASE; // later node1, the primary, dies
        w.report("node2", 1, g, 0, now);
        w.report("node3", 1, g, 0, now);
        WitnessState.Answer a = w.ask("node2", "node1", g, 0, now);
        assertThat(a.answer()).as(a.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
    }

    @Test
    void afterARestartWhomAGrantWasFromIsUnknownAndItCounts() {
        WitnessState w = new WitnessState(0, LEASE, 7, Map.of(7L, "node2"), (s, g) -> null);
        long now = 5 * LEASE;
        w.report("node2", 1, 7, 0, now);
        w.report("node3", 1, 7, 0, now);
        assertThat(w.ask("node3", "node1", 7, 0, now).answer()).isEqualTo(Verdict.Answer.WE_LOST);
    }
}
