package org.tandemha.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.TestCluster;

/** The API of a real node of a running two-node cluster, over real sockets on 127.0.0.1. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HttpApiTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;
    static TandemServer server;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(dir);
        server = TandemServer.start(cluster.node("node1"), new ServerSettings("127.0.0.1:0", Api.tokensFile(dir), null, null,
                dir.resolve("log/audit.log"), cluster.stateDir("node1"), true, false));
        api = new Api(server.uri());
    }

    static JsonNode json(String line) {
        try {
            return JsonTrees.parse(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
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
    @Order(1)
    void statusWithItsAgeForEveryRoleButNotWithoutAToken() throws Exception {
        assertThat(server.uri().toString()).isEqualTo("http://127.0.0.1:" + server.port());
        Api.Answer health = api.get("/api/v1/health", null);
        assertThat(health.code()).isEqualTo(200);
        assertThat(health.json().path("node").asText()).isEqualTo("node1");
        assertThat(health.json().path("cluster").asText()).isEqualTo("web");

        for (String token : List.of(Api.VIEWER, Api.OPERATOR, Api.ADMIN)) {
            Api.Answer a = api.get("/api/v1/status", token);
            assertThat(a.code()).isEqualTo(200);
            assertThat(a.json().path("localNode").asText()).isEqualTo("node1");
            assertThat(a.json().path("ageMs").isNumber()).isTrue();
            // the age of the view served (about 0 when fresh), not the time since the engine last changed
            assertThat(a.json().path("ageMs").asDouble()).isBetween(0.0, 2_000.0);
            assertThat(a.json().path("stale").asBoolean()).isFalse();
            assertThat(StatusJson.readStatus(a.json()).group("svc").activeNode()).isEqualTo("node1");
        }
        Api.Answer none = api.get("/api/v1/status", null);
        assertThat(none.code()).isEqualTo(401);
        assertThat(none.error()).startsWith("missing token: send the header 'Authorization: Bearer <token>'");
        assertThat(none.response().headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tandem\"");
        Api.Answer wrong = api.get("/api/v1/status", Api.VIEWER + "x");
        assertThat(wrong.code()).isEqualTo(401);
        assertThat(wrong.error()).startsWith("wrong token");
        assertThat(api.send(api.builder("/api/v1/status", null).header("Authorization", "Basic YWxpY2U6eA==").GET().build())
                .error()).contains("must be 'Bearer <token>'");
        assertThat(api.get("/api/v1/events", null).code()).isEqualTo(401);
        assertThat(api.get("/metrics", null).code()).isEqualTo(401);
    }

    @Test
    @Order(2)
    void unknownPathsMethodsAndParameters() throws Exception {
        Api.Answer a = api.get("/api/v1/nothing", Api.VIEWER);
        assertThat(a.code()).isEqualTo(404);
        assertThat(a.error()).startsWith("no endpoint /api/v1/nothing; the endpoints are: GET /api/v1/health");
        assertThat(a.json().path("endpoints").size()).isEqualTo(HttpApi.ENDPOINTS.size());
        Api.Answer m = api.post("/api/v1/status", Api.VIEWER, "");
        assertThat(m.code()).isEqualTo(405);
        assertThat(m.response().headers().firstValue("Allow")).hasValue("GET");
        assertThat(api.get("/api/v1/status?x=1", Api.VIEWER).error()).isEqualTo("unknown parameter 'x' for /api/v1/status, which takes none");
        assertThat(api.get("/api/v1/events?limit=0", Api.VIEWER).error()).isEqualTo("parameter 'limit' must be a whole number from 1 to 1000, not '0'");
        assertThat(api.get("/api/v1/events?after=-3", Api.VIEWER).error()).startsWith("parameter 'after' must be a whole number >= 0");
        assertThat(api.get("/api/v1/events?after=1&after=2", Api.VIEWER).error()).isEqualTo("parameter 'after' is given 2 times; give it once");
        assertThat(api.get("/api/v1/groups/svc/switchover", Api.OPERATOR).code()).isEqualTo(405);
        assertThat(api.post("/api/v1/groups/svc/explode", Api.OPERATOR, "{}").error()).startsWith("no command 'explode' for groups");
    }

    @Test
    @Order(3)
    void eventsArePagedWithIds() throws Exception {
        // The server keeps the events from its start: make a few.
        assertThat(api.post("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":true}").code()).isEqualTo(200);
        assertThat(api.post("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":false}").code()).isEqualTo(200);
        TestCluster.await("two events", () -> server.events().lastId() >= 2);
        Api.Answer first = api.get("/api/v1/events?after=0&limit=1", Api.VIEWER);
        assertThat(first.code()).isEqualTo(200);
        JsonNode ev = first.json().path("events");
        assertThat(ev.size()).isEqualTo(1);
        assertThat(ev.get(0).path("id").asLong()).isEqualTo(1);
        assertThat(ev.get(0).path("kind").asText()).isEqualTo("MAINTENANCE");
        for (String field : List.of("time", "kind", "level", "node", "group", "resource", "message", "details")) {
            assertThat(ev.get(0).has(field)).as(field).isTrue();
        }
        assertThat(first.json().path("next").asLong()).isEqualTo(1);
        Api.Answer rest = api.get("/api/v1/events?after=1", Api.VIEWER);
        assertThat(rest.json().path("events").path(0).path("id").asLong()).isEqualTo(2);
        assertThat(rest.json().path("next").asLong()).isEqualTo(rest.json().path("last").asLong());
        assertThat(rest.json().path("missed").asLong()).isZero();
        Api.Answer none = api.get("/api/v1/events?after=" + rest.json().path("last").asLong(), Api.VIEWER);
        assertThat(none.json().path("events").size()).isZero();
        assertThat(none.json().path("next").asLong()).isEqualTo(rest.json().path("last").asLong());
    }

    @Test
    @Order(4)
    void refusalsNeverChangeStateAndAreAudited() throws Exception {
        int auditBefore = Files.readAllLines(server.auditLog()).size();
        String before = cluster.svc();
        long eventsBefore = server.events().lastId();
        record Bad(String path, String token, String body, int code, String error) {
        }
        List<Bad> bad = List.of(
                new Bad("/api/v1/groups/svc/switchover", null, "{\"target\":\"node2\"}", 401, "missing token"),
                new Bad("/api/v1/groups/svc/switchover", "not-a-token-at-all", "{\"target\":\"node2\"}", 401, "wrong token"),
                new Bad("/api/v1/groups/svc/switchover", Api.VIEWER, "{\"target\":\"node2\"}", 403,
                        "role viewer (token 'alice') may not switchover groups; it needs the operator role or admin"),
                new Bad("/api/v1/groups/svc/maintenance", Api.VIEWER, "{\"on\":true}", 403, "role viewer"),
                new Bad("/api/v1/paths/memory/enable", Api.OPERATOR, "{\"on\":false}", 403,
                        "role operator (token 'bob') may not enable or disable heartbeat paths; it needs the admin role"),
                new Bad("/api/v1/groups/svc/switchover", Api.OPERATOR, "{\"target\":", 400, "the body is not JSON ("),
                new Bad("/api/v1/groups/svc/switchover", Api.OPERATOR, "{}", 400, "missing field 'target': {\"target\":\"NODE\"}"),
                new Bad("/api/v1/groups/svc/switchover", Api.OPERATOR, "{\"target\":2}", 400, "field 'target' must be a node id"),
                new Bad("/api/v1/groups/svc/switchover", Api.OPERATOR, "{\"target\":\"node2\",\"force\":true}", 400,
                        "unknown field 'force' for switchover"),
                new Bad("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":\"yes\"}", 400,
                        "field 'on' must be true or false, not \"yes\": {\"on\":true} or {\"on\":false}"),
                new Bad("/api/v1/groups/svc/switchback", Api.OPERATOR, "[1]", 400, "the body must be a JSON object"),
                new Bad("/api/v1/groups/svc/clear?now=1", Api.OPERATOR, "", 400, "unknown parameter 'now'"));
        for (Bad b : bad) {
            Api.Answer a = api.post(b.path(), b.token(), b.body());
            assertThat(a.code()).as(b.toString()).isEqualTo(b.code());
            assertThat(a.error()).as(b.toString()).startsWith(b.error());
        }
        assertThat(cluster.svc()).isEqualTo(before);
        assertThat(server.events().after(eventsBefore, 1000).events())
                .noneMatch(e -> List.of("SWITCHOVER_STARTED", "MAINTENANCE", "COMMAND_REFUSED").contains(e.path("kind").asText()));

        List<String> all = Files.readAllLines(server.auditLog());
        List<String> lines = all.subList(auditBefore, all.size());
        assertThat(lines).hasSize(bad.size());
        JsonNode first = JsonTrees.parse(lines.get(0));
        for (String f : List.of("time", "who", "role", "remote", "command", "group", "args", "status", "outcome", "message")) {
            assertThat(first.has(f)).as(f).isTrue();
        }
        assertThat(first.path("remote").asText()).startsWith("127.0.0.1:");
        JsonNode forbidden = JsonTrees.parse(lines.get(2));
        assertThat(forbidden.path("who").asText()).isEqualTo("alice");
        assertThat(forbidden.path("role").asText()).isEqualTo("viewer");
        assertThat(forbidden.path("command").asText()).isEqualTo("switchover");
        assertThat(forbidden.path("group").asText()).isEqualTo("svc");
        assertThat(forbidden.path("status").asInt()).isEqualTo(403);
        assertThat(forbidden.path("outcome").asText()).isEqualTo("forbidden");
        assertThat(lines.stream().map(l -> json(l).path("outcome").asText()).toList())
                .containsExactly("unauthorized", "unauthorized", "forbidden", "forbidden", "forbidden", "malformed", "malformed",
                        "malformed", "malformed", "malformed", "malformed", "malformed");
    }

    @Test
    @Order(5)
    void commandsCarriedOutAndRefusedAreAnsweredStreamedAndAudited() throws Exception {
        int auditBefore = Files.readAllLines(server.auditLog()).size();
        try (Sse stream = new Sse(api, Api.VIEWER, null)) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            assertThat(stream.response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            Api.Answer done = api.post("/api/v1/groups/svc/switchover", Api.OPERATOR, "{\"target\":\"node2\"}");
            assertThat(done.code()).as(done.text()).isEqualTo(200);
            assertThat(done.json().path("accepted").asBoolean()).isTrue();
            assertThat(done.json().path("durationMs").isNumber()).isTrue();
            Sse.Event started = stream.next("SWITCHOVER_STARTED");
            assertThat(started.data().path("group").asText()).isEqualTo("svc");
            assertThat(started.data().path("id").asLong()).isEqualTo(started.id());

            Api.Answer refused = api.post("/api/v1/groups/svc/switchover", Api.OPERATOR, "{\"target\":\"node2\"}");
            assertThat(refused.code()).isEqualTo(409);
            assertThat(refused.json().path("accepted").asBoolean()).isFalse();
            assertThat(refused.json().path("message").asText()).contains("already runs on node2");
            Api.Answer unknown = api.post("/api/v1/groups/nope/clear", Api.OPERATOR, "");
            assertThat(unknown.code()).isEqualTo(409);
            assertThat(unknown.json().path("message").asText()).contains("no group named 'nope'");

            Api.Answer back = api.post("/api/v1/groups/svc/switchback", Api.ADMIN, "{}");
            assertThat(back.code()).as(back.text()).isEqualTo(200);
            TestCluster.await("svc back on node1", () -> cluster.svc().startsWith("node1 "));
        }
        List<JsonNode> audit = Files.readAllLines(server.auditLog()).stream().skip(auditBefore).map(HttpApiTest::json).toList();
        assertThat(audit).extracting(j -> j.path("who").asText() + " " + j.path("command").asText() + " "
                + j.path("group").asText() + " " + j.path("status").asInt() + " " + j.path("outcome").asText())
                .containsExactly("bob switchover svc 200 accepted", "bob switchover svc 409 refused",
                        "bob clear nope 409 refused", "carol switchback svc 200 accepted");
        assertThat(audit.get(0).path("args").path("target").asText()).isEqualTo("node2");
        assertThat(audit.get(1).path("message").asText()).contains("already runs on node2");
    }

    @Test
    @Order(6)
    void aStreamResumesAfterLastEventId() throws Exception {
        long last = server.events().lastId();
        assertThat(last).isGreaterThan(5);
        try (Sse stream = new Sse(api, Api.VIEWER, String.valueOf(last - 3))) {
            assertThat(stream.next().id()).isEqualTo(last - 2);
            assertThat(stream.next().id()).isEqualTo(last - 1);
            assertThat(stream.next().id()).isEqualTo(last);
            assertThat(api.post("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":true}").code()).isEqualTo(200);
            Sse.Event live = stream.next("MAINTENANCE");
            assertThat(live.id()).isGreaterThan(last);
            assertThat(api.post("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":false}").code()).isEqualTo(200);
            assertThat(stream.next("MAINTENANCE").id()).isGreaterThan(live.id());
        }
        Api.Answer bad = api.send(api.builder("/api/v1/events/stream", Api.VIEWER).header("Last-Event-ID", "soon").GET().build());
        assertThat(bad.code()).isEqualTo(400);
        assertThat(bad.error()).startsWith("header Last-Event-ID must be a whole number >= 0");
        assertThat(api.get("/api/v1/events/stream", "nope-nope-nope-nope").code()).isEqualTo(401);
    }

    @Test
    @Order(90)
    void promoteDrIsParsedRefusedWithTheReasonAndAudited() throws Exception {
        int auditBefore = Files.readAllLines(server.auditLog()).size();
        Api.Answer noDr = api.post("/api/v1/groups/svc/promote-dr", Api.OPERATOR, "{\"node\":\"node2\",\"confirm\":true}");
        assertThat(noDr.code()).as(noDr.text()).isEqualTo(409);
        assertThat(noDr.json().path("message").asText()).contains("group svc has no DR site");
        Api.Answer bad = api.post("/api/v1/groups/svc/promote-dr", Api.OPERATOR, "{\"node\":\"node2\",\"confirm\":\"yes\"}");
        assertThat(bad.code()).isEqualTo(400);
        assertThat(bad.text()).contains("'confirm' and 'fencePrimarySite' true or false");
        Api.Answer unknown = api.post("/api/v1/groups/svc/promote-dr", Api.OPERATOR, "{\"node\":\"node2\",\"force\":true}");
        assertThat(unknown.code()).isEqualTo(400);
        assertThat(unknown.text()).contains("unknown field 'force' for promote-dr");
        assertThat(api.post("/api/v1/groups/svc/promote-dr", Api.VIEWER, "{}").code()).isEqualTo(403);
        List<JsonNode> audit = Files.readAllLines(server.auditLog()).stream().skip(auditBefore).map(HttpApiTest::json).toList();
        assertThat(audit).extracting(j -> j.path("command").asText() + " " + j.path("status").asInt())
                .contains("promote-dr 409", "promote-dr 400", "promote-dr 403");
    }
}
