package org.tandemha.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupState;
import org.tandemha.api.Tandem;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.core.sim.InMemoryNetwork;
import org.tandemha.server.http.JmxBeans;

/** The server may start before the node: it then sees the node's boot events. */
class ServerBeforeNodeTest {
    @TempDir
    Path dir;

    @Test
    void startedBeforeTheNodeItKeepsTheBootEvents() throws Exception {
        try (InMemoryNetwork net = new InMemoryNetwork();
             ClusterNode node = Tandem.builder().configText(TestCluster.CONFIG.replace("cluster: web", "cluster: early"), true)
                     .localNode("node1").membership(net.member("node1")).stateDirectory(dir.resolve("node1")).build();
             TandemServer server = TandemServer.start(node, ServerSettings.defaults(dir.resolve("node1")).withListen("127.0.0.1:0"))) {
            node.start();
            TestCluster.await("node1 decided about svc", () -> node.status().group("svc").localState() != GroupState.UNKNOWN);
            String token = Files.readString(server.generatedTokenFile()).strip();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.uri() + "/api/v1/events?after=0"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JsonTrees.parse(r.body()).path("events").findValuesAsText("kind")).contains("NODE_STARTED");
            assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(JmxBeans.nodeName("node1"), "Cluster")).isEqualTo("early");
        }
    }
}
