package org.tandemha.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.EventKind;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.TestCluster;

/** /metrics scraped from real nodes and parsed strictly; the MXBeans read through the platform MBeanServer. */
class MetricsAndJmxTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;
    static TandemServer server1;
    static TandemServer server2;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(dir);
        Path tokens = Api.tokensFile(dir);
        server1 = TandemServer.start(cluster.node("node1"), new ServerSettings("127.0.0.1:0", tokens, null, null, null,
                cluster.stateDir("node1"), true, true));
        server2 = TandemServer.start(cluster.node("node2"), new ServerSettings("127.0.0.1:0", tokens, null, null, null,
                cluster.stateDir("node2"), true, true, true));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {server1, server2, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing
            }
        }
    }

    static PromText scrape(TandemServer s, String token) throws Exception {
        Api.Answer a = new Api(s.uri()).get("/metrics", token);
        assertThat(a.code()).as(a.text()).isEqualTo(200);
        assertThat(a.response().headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        return PromText.parse(a.text());
    }

    @Test
    void metricsOfPathsGroupsResourcesAndTakeovers() throws Exception {
        PromText m = scrape(server1, Api.VIEWER);
        // a resource's check latency exists once its first check has run (bounded wait)
        for (int i = 0; i < 100 && !new Api(server1.uri()).get("/metrics", Api.VIEWER).text()
                .contains("tandem_resource_check_duration_seconds"); i++) {
            Thread.sleep(100);
        }
        m = scrape(server1, Api.VIEWER);
        assertThat(m.value("tandem_path_up", "path", "memory", "peer", "node2")).isEqualTo(1);
        assertThat(m.value("tandem_path_state", "path", "memory", "peer", "node2", "state", "UP")).isEqualTo(1);
        assertThat(m.value("tandem_path_state", "path", "memory", "peer", "node2", "state", "DOWN")).isEqualTo(0);
        assertThat(m.value("tandem_path_loss_ratio", "path", "memory", "peer", "node2")).isBetween(0.0, 1.0);
        assertThat(m.value("tandem_peer_reachable", "peer", "node2")).isEqualTo(1);
        assertThat(m.value("tandem_group_online", "group", "svc")).isEqualTo(1);
        assertThat(m.value("tandem_group_state", "group", "svc", "state", "ONLINE")).isEqualTo(1);
        assertThat(m.value("tandem_group_state", "group", "svc", "state", "OFFLINE")).isEqualTo(0);
        assertThat(m.value("tandem_group_generation", "group", "svc")).isEqualTo(1);
        assertThat(m.value("tandem_group_managed", "group", "svc")).isEqualTo(1);
        assertThat(m.value("tandem_resource_running", "group", "svc", "resource", "api")).isEqualTo(1);
        assertThat(m.value("tandem_resource_check_failures", "group", "svc", "resource", "api")).isEqualTo(0);
        assertThat(m.value("tandem_resource_check_duration_seconds", "group", "svc", "resource", "api")).isBetween(0.0, 1.0);
        assertThat(m.value("tandem_status_age_seconds")).isBetween(0.0, 60.0);
        assertThat(m.value("tandem_status_stale")).isEqualTo(0);
        // The in-memory network measures no round-trip time: tandem_path_rtt_seconds has no sample yet.

        // node2 takes svc over: it counts the takeover and times it.
        Api api2 = new Api(server2.uri());
        assertThat(api2.post("/api/v1/groups/svc/switchover", Api.OPERATOR, "{\"target\":\"node2\"}").code()).isEqualTo(200);
        PromText m2 = scrape(server2, null); // server2's metrics are public
        assertThat(m2.types).containsEntry("tandem_takeovers_total", "counter")
                .containsEntry("tandem_takeover_duration_seconds", "histogram");
        assertThat(m2.value("tandem_takeovers_total", "group", "svc", "kind", "switchover")).isEqualTo(1);
        assertThat(m2.value("tandem_takeover_duration_seconds_count", "kind", "switchover")).isEqualTo(1);
        assertThat(m2.value("tandem_takeover_duration_seconds_bucket", "kind", "switchover", "le", "+Inf")).isEqualTo(1);
        assertThat(m2.value("tandem_group_generation", "group", "svc")).isEqualTo(2);
        assertThat(m2.value("tandem_events_total", "kind", "SWITCHOVER_FINISHED")).isEqualTo(1);
        assertThat(api2.post("/api/v1/groups/svc/switchback", Api.OPERATOR, "").code()).isEqualTo(200);
        TestCluster.await("svc back on node1", () -> cluster.svc().startsWith("node1 "));
        assertThat(scrape(server1, Api.VIEWER).value("tandem_group_generation", "group", "svc")).isEqualTo(3);
        assertThat(new Api(server1.uri()).get("/metrics", null).code()).isEqualTo(401);
    }

    @Test
    void safetyChecksFailoversAndFailedChecksAreCounted() throws Exception {
        // The events a partition would bring, fed to a node's metrics directly.
        NodeMetrics metrics = new NodeMetrics(cluster.node("node1"));
        Instant now = Instant.now();
        metrics.accept(new ClusterEvent(1, now, EventKind.SAFETY_CHECK, ClusterEvent.Level.WARNING, "node1", null, null,
                "every path to node2 down; node node2 is dead or fenced", Map.of("peer", "node2", "verdict", "PEER_DEAD")));
        metrics.accept(new ClusterEvent(2, now, EventKind.SAFETY_CHECK, ClusterEvent.Level.WARNING, "node1", null, null,
                "no arbiter could tell", Map.of("peer", "node2", "verdict", "UNKNOWN")));
        metrics.accept(new ClusterEvent(3, now, EventKind.FAILOVER_FINISHED, ClusterEvent.Level.WARNING, "node1", "svc", null,
                "online after failover in 1500 ms", Map.of("generation", "4", "durationMs", "1500")));
        metrics.accept(new ClusterEvent(4, now, EventKind.CHECK_FAILED, ClusterEvent.Level.WARNING, "node1", "svc", "api",
                "check failed", Map.of()));
        PromText m = PromText.parse(new String(metrics.scrape(), StandardCharsets.UTF_8));
        assertThat(m.value("tandem_safety_checks_total", "verdict", "PEER_DEAD")).isEqualTo(1);
        assertThat(m.value("tandem_safety_checks_total", "verdict", "UNKNOWN")).isEqualTo(1);
        assertThat(m.value("tandem_takeovers_total", "group", "svc", "kind", "failover")).isEqualTo(1);
        assertThat(m.value("tandem_takeover_duration_seconds_sum", "kind", "failover")).isEqualTo(1.5);
        assertThat(m.value("tandem_takeover_duration_seconds_bucket", "kind", "failover", "le", "1.0")).isEqualTo(0);
        assertThat(m.value("tandem_takeover_duration_seconds_bucket", "kind", "failover", "le", "2.5")).isEqualTo(1);
        assertThat(m.value("tandem_resource_check_failed_total", "group", "svc", "resource", "api")).isEqualTo(1);
        // the events above were tallied before the first scrape made the registry; later ones go to it directly
        metrics.accept(new ClusterEvent(5, now, EventKind.SAFETY_CHECK, ClusterEvent.Level.WARNING, "node1", null, null,
                "every path to node2 down; node node2 is dead or fenced", Map.of("peer", "node2", "verdict", "PEER_DEAD")));
        metrics.accept(new ClusterEvent(6, now, EventKind.FAILOVER_FINISHED, ClusterEvent.Level.WARNING, "node1", "svc", null,
                "online after failover in 500 ms", Map.of("generation", "5", "durationMs", "500")));
        m = PromText.parse(new String(metrics.scrape(), StandardCharsets.UTF_8));
        assertThat(m.value("tandem_safety_checks_total", "verdict", "PEER_DEAD")).isEqualTo(2);
        assertThat(m.value("tandem_takeovers_total", "group", "svc", "kind", "failover")).isEqualTo(2);
        assertThat(m.value("tandem_takeover_duration_seconds_sum", "kind", "failover")).isEqualTo(2.0);
        assertThat(m.value("tandem_events_total", "kind", "SAFETY_CHECK")).isEqualTo(3);
    }

    @Test
    void pingCountsAreGaugesOfTheNodesThatPing() throws Exception {
        ClusterStatus status = new ClusterStatus("demo", "node1", Instant.now(), List.of(
                new NodeStatus("node1", NodeState.LOCAL, 1, "", 2, 3),
                new NodeStatus("node2", NodeState.REACHABLE, 1, "", -1, 3), // (no count announced yet)
                new NodeStatus("node3", NodeState.REACHABLE, 1, "")), List.of(), List.of());
        ClusterNode node = (ClusterNode) java.lang.reflect.Proxy.newProxyInstance(ClusterNode.class.getClassLoader(),
                new Class<?>[] {ClusterNode.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "status" -> status;
                    case "toString" -> "node1";
                    case "hashCode" -> 1;
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        PromText m = PromText.parse(new String(new NodeMetrics(node).scrape(), StandardCharsets.UTF_8));
        assertThat(m.value("tandem_node_ping_reachable", "node", "node1")).isEqualTo(2);
        assertThat(m.value("tandem_node_ping_hosts", "node", "node1")).isEqualTo(3);
        assertThat(m.value("tandem_node_ping_hosts", "node", "node2")).isEqualTo(3);
        assertThat(m.get("tandem_node_ping_reachable", Map.of("node", "node2"))).isNull();
        assertThat(m.get("tandem_node_ping_hosts", Map.of("node", "node3"))).isNull();
    }

    @Test
    void mxBeansOnDemandWaitForTheMBeanServerAndLeaveWhenClosed() throws Exception {
        // bin/tandem run: -Djavax.management.builder.initial=...JmxOnDemandBuilder; here the builder is called directly
        AutoCloseable early = JmxOnDemand.register(cluster.node("node1"), null, java.time.Duration.ofSeconds(5));
        MBeanServer built = new JmxOnDemandBuilder().newMBeanServer("ondemand", null, new javax.management.MBeanServerDelegate());
        assertThat(built.getAttribute(JmxBeans.nodeName("node1"), "Cluster")).isEqualTo("web");
        assertThat(built.isRegistered(JmxBeans.groupName("node1", "svc"))).isTrue();
        // a node served after the server was built is registered at once
        AutoCloseable late = JmxOnDemand.register(cluster.node("node2"), null, java.time.Duration.ofSeconds(5));
        assertThat(built.getAttribute(JmxBeans.nodeName("node2"), "Cluster")).isEqualTo("web");
        // a second server built later (not the platform one) gets none
        MBeanServer other = new JmxOnDemandBuilder().newMBeanServer("other", null, new javax.management.MBeanServerDelegate());
        assertThat(other.queryNames(new ObjectName("org.tandemha:*"), null)).isEmpty();
        early.close();
        late.close();
        assertThat(built.queryNames(new ObjectName("org.tandemha:*"), null)).isEmpty();
    }

    @Test
    void theParserRefusesWhatIsNotTheTextFormat() {
        for (String bad : List.of("x 1\n", "# TYPE x gauge\nx{a=\"1\" 2\n", "# TYPE x gauge\nx{1a=\"1\"} 2\n",
                "# TYPE x gauge\nx 1\nx 2\n", "# TYPE x gauge\nx one\n", "# TYPE x counter\nx_bucket 1\n",
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", "# TYPE x gauge\nx 1")) {
            try {
                PromText.parse(bad);
                throw new IllegalStateException("accepted: " + bad);
            } catch (AssertionError expected) {
                // refused
            }
        }
    }

    @Test
    void numericMxBeansReadThroughThePlatformMBeanServer() throws Exception {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        ObjectName group = JmxBeans.groupName("node1", "svc");
        TestCluster.await("svc online on node1", () -> cluster.svc().startsWith("node1 "));
        TestCluster.await("node1's view is fresh", () -> cluster.node("node1").status().group("svc").localState()
                == org.tandemha.api.GroupState.ONLINE);
        assertThat(mbs.getAttribute(group, "StateCode")).isEqualTo(2);
        assertThat(mbs.getAttribute(group, "Online")).isEqualTo(true);
        assertThat(mbs.getAttribute(group, "Generation")).isInstanceOf(Long.class);
        assertThat(mbs.getAttribute(group, "ResourcesRunning")).isEqualTo(1);
        assertThat(mbs.getAttribute(group, "CheckFailures")).isEqualTo(0);
        assertThat(mbs.getAttribute(group, "State")).isEqualTo("ONLINE");
        assertThat(mbs.getAttribute(JmxBeans.groupName("node2", "svc"), "StateCode")).isEqualTo(0);
        assertThat(mbs.getAttribute(JmxBeans.groupName("node2", "svc"), "Online")).isEqualTo(false);

        ObjectName path = JmxBeans.pathName("node1", "memory", "node2");
        assertThat(mbs.getAttribute(path, "Up")).isEqualTo(true);
        assertThat(mbs.getAttribute(path, "RttMs")).isInstanceOf(Double.class);
        assertThat(mbs.getAttribute(path, "LossPercent")).isInstanceOf(Double.class);
        assertThat((Long) mbs.getAttribute(path, "LastSeenAgoMs")).isBetween(-1L, 10_000L); // -1: none measured (in-memory)

        ObjectName node = JmxBeans.nodeName("node1");
        assertThat(mbs.getAttribute(node, "PeersReachable")).isEqualTo(1);
        assertThat(mbs.getAttribute(node, "PeersTotal")).isEqualTo(1);
        assertThat(mbs.getAttribute(node, "PathsUp")).isEqualTo(1);
        assertThat(mbs.getAttribute(node, "GroupsOnline")).isEqualTo(1);
        assertThat(mbs.getAttribute(node, "Stale")).isEqualTo(false);
        assertThat((Long) mbs.getAttribute(node, "StatusAgeMs")).isBetween(0L, 60_000L);
        assertThat(mbs.getAttribute(node, "Cluster")).isEqualTo("web");
        assertThat(mbs.getAttribute(node, "PingReachable")).isEqualTo(-1); // (no ping section)
        assertThat(mbs.getAttribute(node, "PingHosts")).isEqualTo(0);

        Object answer = mbs.invoke(group, "maintenance", new Object[] {true}, new String[] {"boolean"});
        assertThat((String) answer).startsWith("done: ");
        assertThat(mbs.getAttribute(group, "Managed")).isEqualTo(false);
        assertThat((String) mbs.invoke(group, "maintenance", new Object[] {false}, new String[] {"boolean"})).startsWith("done: ");
        List<String> audit = Files.readAllLines(server1.auditLog());
        JsonNode last = JsonTrees.parse(audit.get(audit.size() - 1));
        assertThat(last.path("who").asText() + " " + last.path("command").asText() + " " + last.path("args").path("on")
                + " " + last.path("outcome").asText()).isEqualTo("jmx maintenance false accepted");
    }
}
