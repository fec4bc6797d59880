package org.tandemha.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.PluginSpec;
import org.tandemha.core.config.QuorumSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.Specs;

/** With three or more nodes, a reachable witness counts as one vote toward the majority. */
class WitnessVoteTest {
    private static ClusterSpec fourVotes(boolean witnessVote) {
        ClusterSpec base = Specs.cluster(List.of("node1", "node2", "node3"),
                Specs.group("web", List.of("node1", "node2", "node3"), SwitchbackPolicy.ADMINISTRATOR, "app"));
        return new ClusterSpec(base.cluster(), base.key(), base.nodes(), base.paths(),
                List.of(new PluginSpec("witness", "witness", "arbiters[0]", Map.of())), base.fencers(),
                new QuorumSpec(false, Duration.ofSeconds(5), witnessVote), base.timing(), base.groups(), base.fingerprint());
    }

    private static boolean says(List<Action> actions, String start) {
        return actions.stream().anyMatch(a -> a instanceof Action.Emit e && e.event().message().startsWith(start));
    }

    @Test
    void twoOfThreeNodesPlusTheWitnessAreAMajorityOfFourVotes() {
        Engine e = new Engine(fourVotes(true), "node1", false, ms -> Instant.ofEpochMilli(ms));
        e.handle(new Input.Boot(), 0);
        e.handle(new Input.PeerReachable("node2", 1), 10);
        // node1 and node2: 2 of 4 votes, not a majority, once the start-up wait is over
        assertThat(says(e.handle(new Input.Tick(), 3000), "quorum lost: 2 of 4 votes")).isTrue();
        assertThat(says(e.handle(new Input.QuorumDevice("witness 203.0.113.5:7600", true), 3100), "quorum regained")).isTrue();
        // the witness goes silent: a minority again
        assertThat(says(e.handle(new Input.QuorumDevice("witness 203.0.113.5:7600", false), 3200), "quorum lost")).isTrue();
    }

    @Test
    void withoutWitnessVoteTwoOfThreeNodesAreEnough() {
        Engine e = new Engine(fourVotes(false), "node1", false, ms -> Instant.ofEpochMilli(ms));
        e.handle(new Input.Boot(), 0);
        e.handle(new Input.PeerReachable("node2", 1), 10);
        assertThat(says(e.handle(new Input.Tick(), 3000), "quorum lost")).isFalse();
    }
}
