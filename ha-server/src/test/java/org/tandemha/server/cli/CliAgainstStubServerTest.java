package org.tandemha.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a stub of a node's API that follows the contract (/api/v1, bearer tokens, 200/409/400/401/403):
 * what it prints and its exit codes. The real server is exercised by {@link CliAgainstClusterTest}.
 */
class CliAgainstStubServerTest {
    static final String ADMIN = "admin-token-123";
    static final String VIEWER = "viewer-token-456";
    static final String STATUS = """
            {"cluster":"demo","localNode":"node1","time":"2026-11-24T12:00:00.250Z","stale":false,"ageMs":12,
             "nodes":[{"node":"node1","state":"LOCAL","incarnation":7,"detail":"this node"},
                      {"node":"node2","state":"REACHABLE","incarnation":9,"detail":"heard"}],
             "paths":[{"name":"heartbeat","peer":"node2","transport":"udp","priority":1,"state":"UP","rttMs":0.4,
                       "lossPercent":0.0,"lastSeen":"2026-11-24T12:00:00.170Z","future":"ignored"}],
             "groups":[{"group":"web","localState":"ONLINE","activeNode":"node1","generation":3,"preferred":["node1","node2"],
                        "switchback":"ADMINISTRATOR","managed":true,"blockedOn":[],"detail":"online here, generation 3",
                        "resources":[{"id":"app","type":"process","running":true,"lastCheck":null,"lastCheckAt":null,"failures":0}]}]}
            """;

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Map<String, String> env = new HashMap<>();

    @TempDir
    Path dir;

    @BeforeEach
    void startStub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
        env.put("TANDEM_NODE_URL", "http://127.0.0.1:" + server.getAddress().getPort());
        env.put("TANDEM_TOKEN", ADMIN);
    }

    @AfterEach
    void stopStub() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = x.getRequestURI().toString();
        requests.add(x.getRequestMethod() + " " + path + " " + body);
        String auth = x.getRequestHeaders().getFirst("Authorization");
        String token = auth == null ? "" : auth.replaceFirst("^Bearer ", "");
        if (!token.equals(ADMIN) && !token.equals(VIEWER)) {
            reply(x, 401, "{\"error\":\"unknown token\"}");
        } else if (x.getRequestMethod().equals("GET") && path.equals("/api/v1/status")) {
            reply(x, 200, STATUS);
        } else if (x.getRequestMethod().equals("GET") && path.startsWith("/api/v1/events?")) {
            reply(x, 200, "{\"events\":[{\"id\":4,\"time\":\"2026-11-24T12:00:00Z\",\"kind\":\"GROUP_STATE\",\"level\":\"INFO\","
                    + "\"node\":\"node1\",\"group\":\"web\",\"resource\":null,\"message\":\"group web online\",\"details\":{}}],\"next\":5}");
        } else if (x.getRequestMethod().equals("POST") && path.startsWith("/api/v1/groups/")) {
            if (token.equals(VIEWER)) {
                reply(x, 403, "{\"error\":\"role viewer may not switchover\"}");
            } else if (path.startsWith("/api/v1/groups/nosuch/")) {
                reply(x, 409, "{\"accepted\":false,\"message\":\"no group nosuch; groups: web\"}");
            } else if (path.endsWith("/switchover") && !body.contains("\"target\"")) {
                reply(x, 400, "{\"error\":\"switchover needs a target\"}");
            } else {
                reply(x, 200, "{\"accepted\":true,\"message\":\"group web is online on node2\",\"durationMs\":123.0}");
            }
        } else {
            reply(x, 404, "{\"error\":\"no such endpoint\"}");
        }
    }

    private static void reply(HttpExchange x, int code, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(code, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private int tandem(String... args) {
        out.reset();
        err.reset();
        return new Tandem(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, false).run(args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void statusIsATableOrJson() {
        assertThat(tandem("status")).isZero();
        assertThat(out()).startsWith("cluster demo, seen from node1 at 2026-11-24T12:00:00.250Z\n")
                .contains("heartbeat  node2  UP     0.4 ms  0.0%  80 ms ago")
                .contains("web    ONLINE  node1      3    managed");
        assertThat(requests).containsExactly("GET /api/v1/status ");
        assertThat(tandem("status", "--json")).isZero();
        assertThat(out()).contains("\"cluster\" : \"demo\"");
    }

    @Test
    void eventsAfterAnId() {
        assertThat(tandem("events", "--after", "3")).isZero();
        assertThat(out()).contains("#4 2026-11-24T12:00:00Z INFO").contains("group web online");
        assertThat(requests).containsExactly("GET /api/v1/events?after=3&limit=100 ");
        assertThat(tandem("events", "--after", "x")).isEqualTo(2);
        assertThat(err()).contains("--after takes a whole number >= 0, not 'x'");
    }

    @Test
    void commandsAndTheirExitCodes() {
        assertThat(tandem("switchover", "web", "node2")).isZero();
        assertThat(out()).isEqualTo("done: group web is online on node2 (123 ms)\n");
        assertThat(requests).containsExactly("POST /api/v1/groups/web/switchover {\"target\":\"node2\"}");
        assertThat(tandem("maintenance", "web", "on")).isZero();
        assertThat(requests).contains("POST /api/v1/groups/web/maintenance {\"on\":true}");
        assertThat(tandem("switchback", "web", "--json")).isZero();
        assertThat(out()).contains("\"accepted\" : true");

        assertThat(tandem("clear", "nosuch")).as("refused by the cluster").isEqualTo(1);
        assertThat(err()).isEqualTo("refused: no group nosuch; groups: web\n");

        env.put("TANDEM_TOKEN", VIEWER);
        assertThat(tandem("switchover", "web", "node2")).as("a viewer's command").isEqualTo(2);
        assertThat(err()).contains("forbidden: role viewer may not switchover; use a token with the operator or admin role");

        env.put("TANDEM_TOKEN", "wrong");
        assertThat(tandem("status")).as("a wrong token").isEqualTo(2);
        assertThat(err()).contains("not allowed: the node at http://127.0.0.1:").contains("refused the token from $TANDEM_TOKEN");
    }

    @Test
    void promoteDrSendsTheNodeAndTheOperatorsConfirmation() {
        assertThat(tandem("promote-dr", "web", "--node", "node3")).isZero();
        assertThat(requests).containsExactly("POST /api/v1/groups/web/promote-dr"
                + " {\"node\":\"node3\",\"confirm\":false,\"fencePrimarySite\":false}");
        assertThat(out()).as("a preview prints the node's answer as it is").isEqualTo("group web is online on node2\n");
        requests.clear();
        assertThat(tandem("promote-dr", "web", "--node", "node3", "--confirm", "--fence-primary-site")).isZero();
        assertThat(requests).containsExactly("POST /api/v1/groups/web/promote-dr"
                + " {\"node\":\"node3\",\"confirm\":true,\"fencePrimarySite\":true}");
        assertThat(tandem("promote-dr", "web")).isEqualTo(2);
        assertThat(err()).contains("promote-dr needs --node DRNODE");
        assertThat(tandem("promote-dr", "web", "--node", "node3", "--fence-primary-site")).isEqualTo(2);
        assertThat(err()).contains("--fence-primary-site goes with --confirm");
        assertThat(tandem("promote-dr", "--help")).isZero();
        assertThat(out()).contains("usage: tandem promote-dr GROUP --node DRNODE");
        assertThat(tandem("fire-drill", "--help")).isZero();
        assertThat(out()).contains("usage: tandem fire-drill GROUP --config FILE --node N");
        assertThat(tandem("fire-drill", "db", "--node", "node3")).isEqualTo(2);
        assertThat(err()).contains("--config FILE");
    }

    @Test
    void tokenAndUrlFromAStateDirectory() throws IOException {
        env.remove("TANDEM_TOKEN");
        env.remove("TANDEM_NODE_URL");
        Files.writeString(dir.resolve("api-url"), "http://127.0.0.1:" + server.getAddress().getPort() + "\n");
        Files.writeString(dir.resolve("api-token"), ADMIN + "\n");
        assertThat(tandem("status", "--state-dir", dir.toString())).isZero();
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, "# name role token\nops operator " + ADMIN + "\n");
        assertThat(tandem("status", "--node-url", "http://127.0.0.1:" + server.getAddress().getPort(), "--token-file", tokens.toString()))
                .isZero();
        assertThat(tandem("status", "--state-dir", dir.resolve("nothing").toString())).isEqualTo(2);
        assertThat(err()).contains("no token file").contains("is the node running");
    }

    @Test
    void noNodeThereIsAConnectionError() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(tandem("status", "--node-url", "http://127.0.0.1:" + port)).isEqualTo(2);
        assertThat(err()).contains("no node answers on http://127.0.0.1:" + port + ": is it running (tandem run)?");
        assertThat(tandem("status", "--node-url", "ftp://x")).isEqualTo(2);
        assertThat(err()).contains("is not a node's URL");
    }

    @Test
    void usageErrorsAndHelp() {
        assertThat(tandem()).isEqualTo(2);
        assertThat(tandem("switchover", "web")).isEqualTo(2);
        assertThat(err()).contains("switchover takes GROUP NODE").contains("usage: tandem switchover GROUP NODE");
        assertThat(tandem("maintenance", "web", "maybe")).isEqualTo(2);
        assertThat(err()).contains("maintenance takes on or off, not 'maybe'");
        assertThat(tandem("status", "--colour")).isEqualTo(2);
        assertThat(err()).contains("unknown option --colour");
        assertThat(tandem("frobnicate")).isEqualTo(2);
        assertThat(err()).contains("unknown command 'frobnicate'");
        for (String cmd : List.of("run", "validate", "keygen", "version", "witness", "status", "events", "switchover",
                "switchback", "maintenance", "clear")) {
            assertThat(tandem(cmd, "--help")).as(cmd + " --help").isZero();
            assertThat(out()).as(cmd + " --help").contains("usage: tandem " + cmd);
        }
        assertThat(tandem("--help")).isZero();
        assertThat(out()).contains("usage: tandem COMMAND");
        assertThat(requests).isEmpty();
    }
}
