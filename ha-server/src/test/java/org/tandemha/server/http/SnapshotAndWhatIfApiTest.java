package org.tandemha.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.TestCluster;

/** {@code GET /api/v1/snapshot} and {@code POST /api/v1/whatif} of the nodes of a running two-node cluster. */
class SnapshotAndWhatIfApiTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;
    static TandemServer server1;
    static TandemServer server2;
    static Api api1;
    static Api api2;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(dir);
        Path tokens = Api.tokensFile(dir);
        server1 = TandemServer.start(cluster.node("node1"), new ServerSettings("127.0.0.1:0", tokens, null, null,
                dir.resolve("log/audit1.log"), cluster.stateDir("node1"), true, false));
        server2 = TandemServer.start(cluster.node("node2"), new ServerSettings("127.0.0.1:0", tokens, null, null,
                dir.resolve("log/audit2.log"), cluster.stateDir("node2"), true, false));
        api1 = new Api(server1.uri());
        api2 = new Api(server2.uri());
    }

    @AfterAll
    static void stop() {
        if (server1 != null) {
            server1.close();
        }
        if (server2 != null) {
            server2.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theSnapshotIsTheEnginesStateForViewersAndNotWithoutAToken() throws Exception {
        Api.Answer a = api1.get("/api/v1/snapshot", Api.VIEWER);
        assertThat(a.code()).as(a.text()).isEqualTo(200);
        EngineSnapshot s = SnapshotJson.fromTree(a.json());
        assertThat(s.self()).isEqualTo("node1");
        assertThat(s.cluster()).isEqualTo("web");
        assertThat(s.groups()).anyMatch(g -> g.id().equals("svc") && g.resources().stream().allMatch(EngineSnapshot.Resource::running));
        assertThat(s.peers()).anyMatch(p -> p.id().equals("node2") && p.reachable());

        Api.Answer none = api1.get("/api/v1/snapshot", null);
        assertThat(none.code()).isEqualTo(401);
        assertThat(none.error()).contains("missing token");
        assertThat(api1.get("/api/v1/snapshot?x=1", Api.VIEWER).code()).isEqualTo(400);
        assertThat(api1.post("/api/v1/snapshot", Api.VIEWER, "{}").code()).isEqualTo(405);
        assertThat(api1.get("/api/v1/nothing", Api.VIEWER).json().path("endpoints").toString()).contains("/api/v1/snapshot",
                "/api/v1/whatif");
    }

    @Test
    void aNodeThatDoesNotShowItsEngineAnswers501() throws Exception {
        ClusterNode real = cluster.node("node1");
        ClusterNode opaque = (ClusterNode) Proxy.newProxyInstance(ClusterNode.class.getClassLoader(),
                new Class<?>[] {ClusterNode.class}, (p, m, args) -> m.invoke(real, args));
        try (TandemServer s = TandemServer.start(opaque, new ServerSettings("127.0.0.1:0", Api.tokensFile(dir), null, null,
                dir.resolve("log/audit3.log"), dir.resolve("opaque"), false, false))) {
            Api.Answer a = new Api(s.uri()).get("/api/v1/snapshot", Api.VIEWER);
            assertThat(a.code()).isEqualTo(501);
            assertThat(a.error()).contains("node1", "does not show its engine");
        }
    }

    @Test
    void whatIfFromTheLiveStateForOperators() throws Exception {
        JsonNode peer = api2.get("/api/v1/snapshot", Api.VIEWER).json();
        ObjectNode body = JsonTrees.NODES.objectNode().put("events", "crash node1; run 10s");
        body.putObject("snapshots").set("node2", peer);
        String json = JsonTrees.text(body);

        assertThat(api1.post("/api/v1/whatif", Api.VIEWER, json).code()).as("viewers may not").isEqualTo(403);
        assertThat(api1.post("/api/v1/whatif", null, json).code()).isEqualTo(401);

        Api.Answer a = api1.post("/api/v1/whatif", Api.OPERATOR, json);
        assertThat(a.code()).as(a.text()).isEqualTo(200);
        assertThat(a.json().path("summary").asText()).contains("snapshots of node1 node2");
        assertThat(a.json().path("decisions").toString()).contains("node2");
        assertThat(a.json().path("finalPlacement").toString()).contains("svc", "node2");
        assertThat(a.json().path("text").asText()).contains("final placement");
        assertThat(cluster.svc()).as("a what-if changes nothing").startsWith("node1 ");

        Api.Answer missing = api1.post("/api/v1/whatif", Api.OPERATOR, "{\"events\":\"crash node1\"}");
        assertThat(missing.code()).isEqualTo(400);
        assertThat(missing.error()).contains("node2", "GET /api/v1/snapshot", "server.peers");
        Api.Answer badEvent = api1.post("/api/v1/whatif", Api.OPERATOR,
                json.replace("crash node1; run 10s", "explode node1"));
        assertThat(badEvent.code()).isEqualTo(400);
        assertThat(badEvent.error()).contains("explode");
        assertThat(api1.post("/api/v1/whatif", Api.OPERATOR, "{\"event\":\"crash node1\"}").error()).contains("unknown field 'event'");
        assertThat(api1.post("/api/v1/whatif", Api.OPERATOR, "not json").code()).isEqualTo(400);

        ObjectNode sweep = body.deepCopy();
        sweep.remove("events");
        sweep.put("sweep", true);
        Api.Answer s = api1.post("/api/v1/whatif", Api.OPERATOR, JsonTrees.text(sweep));
        assertThat(s.code()).as(s.text()).isEqualTo(200);
        assertThat(s.json().has("weaknessFound")).isTrue();
        assertThat(s.json().path("singleFaults").asInt()).isPositive();
    }

    @Test
    void withoutSnapshotsTheNodeFetchesThemFromItsPeersWithTheCallersToken() throws Exception {
        String nobody = "http://127.0.0.1:" + closedPort(); // an API that is down (connection refused)
        String json = "{\"events\":\"crash node1; run 10s\"}";
        // node2 answers (server.peers may list this node itself: it is left out); a peer that does not answer and
        // that no node hears counts as down, and the answer says so
        try (TandemServer s = serve("peers-ok", List.of(server1.uri().toString(), server2.uri().toString(), nobody))) {
            Api api = new Api(s.uri());
            Api.Answer a = api.post("/api/v1/whatif", Api.OPERATOR, json);
            assertThat(a.code()).as(a.text()).isEqualTo(200);
            assertThat(a.json().path("finalPlacement").toString()).contains("svc", "node2");
            assertThat(a.json().path("snapshotsFrom").path("node2").asText()).isEqualTo(server2.uri().toString());
            assertThat(a.json().path("peersUnanswered").toString()).contains(nobody, "refused the connection");
            assertThat(a.json().path("text").asText()).contains(nobody, "counted as down");
            assertThat(api.post("/api/v1/whatif", Api.VIEWER, json).code()).as("viewers may not").isEqualTo(403);
        }
        // node2 is heard but its API does not answer: 502 naming it
        try (TandemServer s = serve("peers-down", List.of(nobody))) {
            Api.Answer a = new Api(s.uri()).post("/api/v1/whatif", Api.OPERATOR, json);
            assertThat(a.code()).as(a.text()).isEqualTo(502);
            assertThat(a.error()).contains("node2", "node1 hears them", nobody, "refused the connection", "'snapshots'");
        }
        // node2 is heard but server.peers has no URL of it (only this node's own): 409 naming it
        try (TandemServer s = serve("peers-self", List.of(server1.uri().toString()))) {
            Api.Answer a = new Api(s.uri()).post("/api/v1/whatif", Api.OPERATOR, json);
            assertThat(a.code()).as(a.text()).isEqualTo(409);
            assertThat(a.error()).contains("node2", "server.peers", server1.uri().toString());
        }
        // snapshots in the body win: nothing is fetched
        try (TandemServer s = serve("peers-given", List.of(nobody))) {
            ObjectNode body = JsonTrees.NODES.objectNode().put("events", "crash node1; run 10s");
            body.putObject("snapshots").set("node2", api2.get("/api/v1/snapshot", Api.VIEWER).json());
            Api.Answer a = new Api(s.uri()).post("/api/v1/whatif", Api.OPERATOR, JsonTrees.text(body));
            assertThat(a.code()).as(a.text()).isEqualTo(200);
            assertThat(a.json().path("snapshotsFrom").path("node2").asText()).isEqualTo("the request");
            assertThat(a.json().has("peersUnanswered")).isFalse();
        }
    }

    private static TandemServer serve(String name, List<String> peers) throws Exception {
        return TandemServer.start(cluster.node("node1"), new ServerSettings("127.0.0.1:0", Api.tokensFile(dir), null, null,
                dir.resolve("log/audit-" + name + ".log"), dir.resolve(name), false, false).withPeers(peers));
    }

    private static int closedPort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
