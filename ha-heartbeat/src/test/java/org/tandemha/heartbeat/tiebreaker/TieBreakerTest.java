package org.tandemha.heartbeat.tiebreaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Verdict;
import org.tandemha.core.testing.FakeNodeContext;

/** The tie-breaker over real loopback TCP: a listening gateway, a refusing one, and one that never answers. */
@Timeout(60)
class TieBreakerTest {
    static ClusterConfig cluster() {
        return new ClusterConfig("test", "node1", new byte[32], List.of(
                new ClusterConfig.Node("node1", Map.of("hb", "127.0.0.1:7401")),
                new ClusterConfig.Node("node2", Map.of("hb", "127.0.0.1:7402"))),
                List.of(new ClusterConfig.Path("hb", "udp", 1, Duration.ofMillis(100), 3, Map.of())));
    }

    static NodeContext context() {
        return new FakeNodeContext("node1", Path.of("target"));
    }

    static Arbiter create(Map<String, Object> params) throws InvalidConfigException {
        ArbiterFactory f = ServiceLoader.load(ArbiterFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(a -> a.type().equals("tiebreaker")).findFirst().orElseThrow();
        return f.create(new PluginConfig("tb", "tiebreaker", "arbiters[0]", params), cluster(), context());
    }

    @Test
    void aListeningGatewayIsReachable() throws Exception {
        try (ServerSocket gw = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Arbiter a = create(Map.of("address", "127.0.0.1:" + gw.getLocalPort(), "method", "tcp"));
            Verdict v = a.ask("node2", 3, Duration.ofSeconds(2));
            assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.UNKNOWN);
            assertThat(v.reason()).startsWith("gateway 127.0.0.1:" + gw.getLocalPort() + " reachable from node1 (TCP port "
                    + gw.getLocalPort() + " accepted").endsWith("node2 is gone or cut off; asking the next arbiter");

            Arbiter bold = create(Map.of("address", "127.0.0.1:" + gw.getLocalPort(), "peerDeadWhenReachable", true));
            Verdict dead = bold.ask("node2", 3, Duration.ofSeconds(2));
            assertThat(dead.answer()).as(dead.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
            assertThat(dead.reason()).contains("node2 is taken for dead (peerDeadWhenReachable)");
        }
    }

    @Test
    void aClosedPortAnswersWithAResetSoTheHostIsReachable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Verdict v = create(Map.of("address", "127.0.0.1:" + port)).ask("node2", 1, Duration.ofSeconds(2));
        assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.UNKNOWN);
        assertThat(v.reason()).contains("refused the connection").contains("the host answered");
    }

    @Test
    void aGatewayThatNeverAnswersMeansThisNodeIsCutOff() throws Exception {
        // A listener whose accept queue is full drops every further SYN (Linux): the connection times out, as it
        // does when this node's link is down. (Namespaces cut a real link in TieBreakerNamespaceTest.)
        List<Socket> fill = new ArrayList<>();
        try (ServerSocket gw = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), gw.getLocalPort());
            for (int i = 0; i < 8; i++) {
                Socket s = new Socket();
                fill.add(s);
                try {
                    s.connect(at, 200);
                } catch (java.io.IOException e) {
                    break; // the queue is full
                }
            }
            Arbiter a = create(Map.of("address", "127.0.0.1:" + gw.getLocalPort(), "attempts", 2, "timeout", "600ms"));
            Verdict v = a.ask("node2", 1, Duration.ofSeconds(5));
            assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.WE_LOST);
            assertThat(v.reason()).startsWith("gateway 127.0.0.1:" + gw.getLocalPort() + " unreachable from node1 (no TCP answer")
                    .endsWith("2 attempts): this node is cut off");
        } finally {
            for (Socket s : fill) {
                s.close();
            }
        }
    }

    @Test
    void theAnswerComesWithinTheTimeoutGiven() {
        TieBreakerArbiter a = new TieBreakerArbiter("node1", "192.0.2.254", t -> new TieBreakerArbiter.Probe(false, "no echo reply"), 3,
                Duration.ofSeconds(1), false);
        Verdict v = a.ask("node2", 1, Duration.ZERO);
        assertThat(v.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
        assertThat(v.reason()).isEqualTo("no time left to probe gateway 192.0.2.254");
        Verdict lost = a.ask("node2", 1, Duration.ofMillis(200));
        assertThat(lost.answer()).isEqualTo(Verdict.Answer.WE_LOST);
        assertThat(lost.reason()).isEqualTo("gateway 192.0.2.254 unreachable from node1 (no echo reply; 3 attempts): this node is cut off");
    }

    @Test
    void badConfigurationIsReported() {
        assertThatThrownBy(() -> create(Map.of("adress", "192.0.2.254")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("arbiters[0].params.address")
                .hasMessageContaining("required parameter 'address' is missing")
                .hasMessageContaining("unknown parameter 'adress'");
        assertThatThrownBy(() -> create(Map.of("address", "192.0.2.254", "method", "tcp")))
                .hasMessageContaining("method tcp needs a port");
        assertThatThrownBy(() -> create(Map.of("address", "192.0.2.254:22", "method", "icmp")))
                .hasMessageContaining("method icmp takes no port");
        assertThatThrownBy(() -> create(Map.of("address", "192.0.2.254:99999")))
                .hasMessageContaining("not a number from 1 to 65535");
        Map<String, Object> bad = new HashMap<>();
        bad.put("address", "192.0.2.254");
        bad.put("method", "udp");
        bad.put("attempts", 0);
        bad.put("peerDeadWhenReachable", "sometimes");
        assertThatThrownBy(() -> create(bad))
                .hasMessageContaining("not tcp or icmp")
                .hasMessageContaining("'attempts' is 0")
                .hasMessageContaining("not true or false");
    }
}
