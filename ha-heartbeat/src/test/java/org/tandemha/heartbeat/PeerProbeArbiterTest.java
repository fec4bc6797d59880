package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Verdict;

/** The peer-probe arbiter over real loopback sockets. */
@Timeout(60)
class PeerProbeArbiterTest {
    private final int hb1 = TestNodes.freePort();
    private final int hb2 = TestNodes.freePort();
    private final int pr1 = TestNodes.freePort();
    private final int pr2 = TestNodes.freePort();

    private ClusterConfig cluster(String local, byte[] key) {
        return new ClusterConfig("test", local, key, List.of(
                new ClusterConfig.Node("node1", Map.of("hb", "127.0.0.1:" + hb1)),
                new ClusterConfig.Node("node2", Map.of("hb", "127.0.0.1:" + hb2))),
                List.of(TestNodes.path("hb", "udp", 1, 100, 3)));
    }

    private PluginConfig params(Map<String, Object> p) {
        return new PluginConfig("probe", "peer-probe", "arbiters[0]", p);
    }

    private Map<String, Object> addresses() {
        return Map.of("addresses", Map.of("node1", "127.0.0.1:" + pr1, "node2", "127.0.0.1:" + pr2));
    }

    @Test
    void alivePeerAnswersSilentPeerIsUnknownNeverDead() throws Exception {
        ArbiterFactory f = ServiceLoader.load(ArbiterFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(a -> a.type().equals("peer-probe")).findFirst().orElseThrow();
        Arbiter a1 = f.create(params(addresses()), cluster("node1", TestNodes.KEY), TestNodes.context("node1"));
        Arbiter a2 = f.create(params(addresses()), cluster("node2", TestNodes.KEY), TestNodes.context("node2"));
        try {
            Verdict v = a1.ask("node2", 7, Duration.ofSeconds(2));
            assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.PEER_ALIVE);
            assertThat(v.reason()).contains("node2 answered the probe");
            ((PeerProbeArbiter) a2).close();
            Verdict gone = a1.ask("node2", 7, Duration.ofMillis(300));
            assertThat(gone.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
            assertThat(gone.reason()).contains("no authenticated answer from node2");
        } finally {
            ((PeerProbeArbiter) a1).close();
            ((PeerProbeArbiter) a2).close();
        }
    }

    @Test
    void aPeerStandingAsideDoesNotAnswerProbesUntilItTakesPartAgain() throws Exception {
        PeerProbeArbiterFactory f = new PeerProbeArbiterFactory();
        Arbiter a1 = f.create(params(addresses()), cluster("node1", TestNodes.KEY), TestNodes.context("node1"));
        Arbiter a2 = f.create(params(addresses()), cluster("node2", TestNodes.KEY), TestNodes.context("node2"));
        try {
            a2.standAside(true); // node2 stopped its groups: it no longer vouches for itself
            assertThat(a1.ask("node2", 1, Duration.ofMillis(300)).answer()).isEqualTo(Verdict.Answer.UNKNOWN);
            a2.standAside(false);
            Verdict v = a1.ask("node2", 1, Duration.ofSeconds(2));
            assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        } finally {
            ((PeerProbeArbiter) a1).close();
            ((PeerProbeArbiter) a2).close();
        }
    }

    @Test
    void aPeerWithAnotherKeyIsNotBelieved() throws Exception {
        byte[] other = TestNodes.KEY.clone();
        other[0] ^= 1;
        PeerProbeArbiterFactory f = new PeerProbeArbiterFactory();
        Arbiter a1 = f.create(params(addresses()), cluster("node1", TestNodes.KEY), TestNodes.context("node1"));
        Arbiter a2 = f.create(params(addresses()), cluster("node2", other), TestNodes.context("node2"));
        try {
            assertThat(a1.ask("node2", 1, Duration.ofMillis(300)).answer()).isEqualTo(Verdict.Answer.UNKNOWN);
        } finally {
            ((PeerProbeArbiter) a1).close();
            ((PeerProbeArbiter) a2).close();
        }
    }

    @Test
    void badConfigurationIsReported() {
        PeerProbeArbiterFactory f = new PeerProbeArbiterFactory();
        try {
            f.create(params(Map.of("addresses", Map.of("node1", "127.0.0.1:" + hb1, "node3", "x"), "atempts", 2)),
                    cluster("node1", TestNodes.KEY), TestNodes.context("node1"));
            throw new AssertionError("accepted");
        } catch (InvalidConfigException e) {
            assertThat(e.getMessage()).contains("'node3' is not a node").contains("heartbeat address on path 'hb'")
                    .contains("unknown parameter 'atempts'");
        }
    }
}
