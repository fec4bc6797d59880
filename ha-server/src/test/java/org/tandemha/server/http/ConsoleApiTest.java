package org.tandemha.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.TestCluster;

/** The console's side of the API without a browser: files, who-am-I, previews, CORS for the configured peers only. */
class ConsoleApiTest {
    static final String PEER = "http://192.0.2.2:7480";
    @TempDir
    static Path dir;
    static TestCluster cluster;
    static TandemServer server;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(dir);
        Path config = Files.writeString(dir.resolve("tandem.yaml"), TestCluster.CONFIG);
        server = TandemServer.start(cluster.node("node1"), new ServerSettings("127.0.0.1:0", Api.tokensFile(dir), null, null,
                null, cluster.stateDir("node1"), false, false).withPeers(List.of(PEER)).withConfigFile(config));
        api = new Api(server.uri());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theFilesNeedNoTokenTheDataDoes() throws Exception {
        Api.Answer page = api.get("/", null);
        assertThat(page.code()).isEqualTo(200);
        assertThat(page.text()).contains("<script src=\"/console/console.js\"></script>");
        assertThat(page.response().headers().firstValue("Content-Security-Policy").orElse(""))
                .contains("default-src 'self'").contains("connect-src 'self' " + PEER);
        assertThat(api.get("/console/console.js", null).code()).isEqualTo(200);
        assertThat(api.get("/console/console.css", null).response().headers().firstValue("Content-Type").orElse(""))
                .startsWith("text/css");
        assertThat(api.get("/console/other.js", null).code()).isEqualTo(401); // not a console file: the API's rules
        assertThat(api.get("/api/v1/console", null).code()).isEqualTo(401);
    }

    @Test
    void consoleInfoSaysWhoAndWhichActions() throws Exception {
        Api.Answer viewer = api.get("/api/v1/console", Api.VIEWER);
        assertThat(viewer.code()).isEqualTo(200);
        assertThat(viewer.json().path("node").asText()).isEqualTo("node1");
        assertThat(viewer.json().path("role").asText()).isEqualTo("viewer");
        assertThat(viewer.json().path("actions")).isEmpty();
        assertThat(viewer.json().path("peers").get(0).asText()).isEqualTo(PEER);
        assertThat(viewer.json().path("twoNodeWithoutArbiter").asBoolean()).isTrue();
        assertThat(api.get("/api/v1/console", Api.OPERATOR).json().path("actions")).hasSize(4);
        com.fasterxml.jackson.databind.JsonNode g = viewer.json().path("groups").get(0);
        assertThat(g.path("promotable").asBoolean(true)).isFalse();
        assertThat(g.path("replicated").isNull()).isTrue();
        assertThat(g.path("drNodes")).isEmpty();
    }

    /** What the console's what-if panel needs of a promotable group with a DR site. */
    @Test
    void consoleInfoNamesAPromotableGroupsReplicatedResourceAndDrNodes() throws Exception {
        org.tandemha.core.config.ClusterSpec c = org.tandemha.core.config.ConfigLoader.parse("""
                cluster: small
                key: "base64:AAECAwQFBgcICQoLDA0ODw=="
                nodes:
                  - {id: node1, addresses: {hb: "127.0.0.1:7401"}}
                  - {id: node2, addresses: {hb: "127.0.0.1:7402"}}
                  - {id: node3, addresses: {hb: "127.0.0.1:7403"}}
                paths: [{name: hb}]
                groups:
                  - id: db
                    nodes: [node1, node2]
                    promotable: true
                    dr: {nodes: [node3]}
                    resources:
                      - {id: pg, type: process}
                      - {id: vip, type: process, dependsOn: [pg], site: primary}
                """, true, null);
        assertThat(Console.groups(c).toString()).isEqualTo(
                "[{\"id\":\"db\",\"promotable\":true,\"replicated\":\"pg\",\"drNodes\":[\"node3\"]}]");
        // the events the console offers for it (ConsoleBrowserTest) are the what-if language's
        for (String events : List.of("standby-lags node2 db", "standby-start-fails node3 db", "healthy node2 db pg",
                "command node3 promote-dr-preview db node3", "command node3 promote-dr db node3",
                "command node3 promote-dr-fence db node3",
                "crash node1; crash node2; at 5s command node3 promote-dr-fence db node3")) {
            assertThat(org.tandemha.core.sim.whatif.WhatIfEvents.parse(c, List.of(events)).steps()).as(events).isNotEmpty();
        }
    }

    @Test
    void aPreviewSaysWhatStopsAndStartsWhereAndChangesNothing() throws Exception {
        Api.Answer p = api.get("/api/v1/groups/svc/preview?action=switchover&target=node2", Api.VIEWER);
        assertThat(p.code()).as(p.text()).isEqualTo(200);
        assertThat(p.json().path("from").asText()).isEqualTo("node1");
        assertThat(p.json().path("to").asText()).isEqualTo("node2");
        assertThat(p.json().path("willBeRefused").asBoolean()).isFalse();
        List<String> steps = new java.util.ArrayList<>();
        p.json().path("steps").forEach(s -> steps.add(s.path("node").asText() + " " + s.path("do").asText() + " "
                + s.path("resource").asText() + " " + s.path("timeoutMs").asText()));
        assertThat(steps).containsExactly("node1 stop api 60000", "node2 claim null ", "node2 start api 60000");
        assertThat(p.json().path("downtime").path("worstMs").asLong()).isEqualTo(120000);
        // the server started after svc did: no start or stop seen yet, so the expected downtime is unknown, and says so
        assertThat(p.json().path("downtime").path("expectedMs").isNull()).isTrue();
        assertThat(p.json().path("downtime").path("basis").asText()).contains("expected downtime unknown");
        assertThat(cluster.svc()).startsWith("node1"); // nothing moved

        Api.Answer refused = api.get("/api/v1/groups/svc/preview?action=switchover&target=node9", Api.VIEWER);
        assertThat(refused.json().path("willBeRefused").asBoolean()).isTrue();
        assertThat(refused.json().path("refusals").get(0).asText()).contains("node node9 may not run group svc");
        assertThat(api.get("/api/v1/groups/nope/preview?action=clear", Api.VIEWER).code()).isEqualTo(404);
        Api.Answer bad = api.get("/api/v1/groups/svc/preview?action=explode", Api.VIEWER);
        assertThat(bad.code()).isEqualTo(400);
        assertThat(bad.error()).contains("unknown action 'explode'");
        assertThat(api.get("/api/v1/groups/svc/preview?action=switchover", Api.VIEWER).error()).contains("missing parameter 'target'");
        assertThat(Files.exists(server.auditLog()) ? Files.readString(server.auditLog()) : "").doesNotContain("preview");
    }

    @Test
    void corsOnlyForTheConfiguredPeers() throws Exception {
        Api.Answer pre = api.send(api.builder("/api/v1/status", null).header("Origin", PEER)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(pre.code()).isEqualTo(204);
        assertThat(pre.response().headers().firstValue("Access-Control-Allow-Origin")).hasValue(PEER);
        assertThat(pre.response().headers().firstValue("Access-Control-Allow-Headers").orElse("")).contains("Authorization");
        Api.Answer get = api.send(api.builder("/api/v1/status", Api.VIEWER).header("Origin", PEER).GET().build());
        assertThat(get.response().headers().firstValue("Access-Control-Allow-Origin")).hasValue(PEER);

        String other = "http://203.0.113.9:7480";
        Api.Answer no = api.send(api.builder("/api/v1/status", null).header("Origin", other)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(no.code()).isEqualTo(403);
        assertThat(no.error()).contains("server.peers");
        Api.Answer get2 = api.send(api.builder("/api/v1/status", Api.VIEWER).header("Origin", other).GET().build());
        assertThat(get2.response().headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
}
