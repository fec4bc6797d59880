package org.tandemha.examples.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupState;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.MembershipFactory;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/** The embedding example runs: two nodes of HelloCluster in one JVM, the service follows the active node. */
class HelloClusterTest {

    @Test
    void theServiceAnswersOnTheActiveNodeAndMovesWhenItStops() throws Exception {
        try (HelloPair pair = HelloPair.start(false)) {
            assertThat(pair.ask()).isEqualTo("hello from node1\n");
            assertThat(pair.node("node2").status().group("hello").activeNode()).isEqualTo("node1");

            pair.stop("node1");                                  // the active node goes away
            pair.awaitActive("node2");
            assertThat(pair.ask()).isEqualTo("hello from node2\n");
            assertThat(pair.node("node2").status().group("hello").generation()).isEqualTo(2);
            assertThat(pair.events).anyMatch(e -> e.node().equals("node2") && e.kind() == EventKind.FAILOVER_FINISHED);
        }
    }

    @Test
    void theTypeIsFoundThroughServiceLoader() {
        assertThat(ServiceLoader.load(ResourceType.class).stream().map(p -> p.get().name())).contains("hello-http");
    }

    @Test
    void aTypoInAParameterIsRejectedBeforeAnythingStarts(@TempDir Path dir) throws Exception {
        String bad = HelloCluster.bundledConfig().replace("params: {port: 8080}", "params: {prot: 8080}");
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            assertThatThrownBy(() -> HelloCluster.build(Tandem.builder().configText(bad, true).membership(net.member("node1")),
                    "node1", dir))
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("groups[hello].resources[http].params.prot")
                    .hasMessageContaining("unknown parameter 'prot'");
        }
    }

    @Test
    void startStopCheckAndABusyPort() throws Exception {
        int port = HelloPair.freePort();
        ResourceParts p = new HelloServiceType().create(PluginConfig.of("http", "hello-http", Map.of("port", port)), node("n1"));
        ActionContext c = ActionContext.of("n1", "hello", "http", Duration.ofSeconds(2));
        assertThat(p.checker().quickCheck(c).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(p.resource().start(c).reason()).isEqualTo("listening on 127.0.0.1:" + port);
        assertThat(p.resource().start(c).isDone()).isTrue();                // idempotent
        assertThat(p.checker().quickCheck(c).reason()).isEqualTo("answers on 127.0.0.1:" + port);
        assertThat(p.resource().stop(c).isDone()).isTrue();
        assertThat(p.resource().stop(c).isDone()).isTrue();                 // idempotent
        assertThat(p.checker().quickCheck(c).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(p.resource().start(c).isDone()).isTrue();                // the port can be bound again at once
        p.resource().stop(c);

        try (ServerSocket taken = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(taken.isBound()).isTrue();
            ActionResult r = p.resource().start(c);
            assertThat(r.isDone()).isFalse();
            assertThat(r.severity()).isEqualTo(Severity.HARD);
            assertThat(r.reason()).startsWith("cannot listen on 127.0.0.1:" + port).contains("stop the program that holds the port");
        }
    }

    /**
     * The bundled YAML as it is meant to run: UDP heartbeats on 127.0.0.1 from ha-heartbeat. Skipped until
     * ha-heartbeat provides its membership.
     */
    @Test
    void overUdpOnLoopbackWithHaHeartbeat(@TempDir Path dir) throws Exception {
        assumeTrue(ServiceLoader.load(MembershipFactory.class).findFirst().isPresent(),
                "ha-heartbeat (a MembershipFactory) is not on the class path yet: the UDP run of hello-cluster.yaml is skipped");
        int http = HelloPair.freePort();
        int udp1;
        int udp2;
        try (DatagramSocket a = new DatagramSocket(0); DatagramSocket b = new DatagramSocket(0)) {
            udp1 = a.getLocalPort();
            udp2 = b.getLocalPort();
        }
        String yaml = HelloCluster.bundledConfig().replace("port: 8080", "port: " + http)
                .replace("127.0.0.1:7401", "127.0.0.1:" + udp1).replace("127.0.0.1:7402", "127.0.0.1:" + udp2);
        ClusterNode n1 = HelloCluster.build(Tandem.builder().configText(yaml, true), "node1", dir.resolve("node1"));
        ClusterNode n2 = HelloCluster.build(Tandem.builder().configText(yaml, true), "node2", dir.resolve("node2"));
        try {
            n1.start();
            n2.start();
            HelloPair.await("hello online on node1 over udp", () -> n1.status().group("hello").localState() == GroupState.ONLINE
                    && "node1".equals(n2.status().group("hello").activeNode()));
            assertThat(n1.status().paths()).anyMatch(p -> p.name().equals("loopback") && p.peer().equals("node2"));
            n1.close();
            HelloPair.await("hello online on node2 over udp", () -> n2.status().group("hello").localState() == GroupState.ONLINE);
        } finally {
            n1.close();
            n2.close();
        }
    }

    private static NodeContext node(String id) {
        return new NodeContext() {
            public String nodeId() { return id; }
            public String clusterName() { return "hello"; }
            public Path stateDirectory() { return Path.of(System.getProperty("java.io.tmpdir")); }
            public <T> java.util.Optional<T> service(Class<T> type) { return java.util.Optional.empty(); }
            public boolean peerDeadOrFenced(String node) { return false; }
            public Map<String, String> peerFacts(String node) { return Map.of(); }
            public void publishFact(String key, String value) { }
            public void reportFenced(String reason) { }
            public void note(String group, String resource, String message) { }
        };
    }
}
