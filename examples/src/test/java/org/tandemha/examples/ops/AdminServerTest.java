package org.tandemha.examples.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Proxy;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.examples.embed.HelloPair;

/** The admin endpoint of node1 of a running two-node hello cluster (in-memory network). */
class AdminServerTest {
    static HelloPair pair;
    static AdminServer admin;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        pair = HelloPair.start(true);
        admin = pair.admin("node1");
        token = StatusJson.MAPPER.readTree(Files.readString(admin.adminFile())).get("token").asText();
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    record Answer(int code, JsonNode body) {
        String error() {
            return body.path("error").asText();
        }
    }

    static Answer call(String method, String pathAndQuery, String auth) throws IOException {
        return call(admin.port(), method, pathAndQuery, auth);
    }

    static Answer call(int port, String method, String pathAndQuery, String auth) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + pathAndQuery).openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout(2000);
        c.setReadTimeout(30_000);
        c.setRequestMethod(method);
        if (auth != null) {
            c.setRequestProperty("Authorization", auth);
        }
        if (method.equals("POST")) {
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(0);
            c.getOutputStream().close();
        }
        try {
            int code = c.getResponseCode();
            byte[] bytes;
            try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
                bytes = in.readAllBytes();
            }
            try {
                return new Answer(code, StatusJson.MAPPER.readTree(bytes));
            } catch (IOException notJson) { // the JDK's server answers a malformed URI itself, in HTML
                return new Answer(code, StatusJson.MAPPER.getNodeFactory().textNode(new String(bytes)));
            }
        } finally {
            c.disconnect();
        }
    }

    static Answer ok(String method, String pathAndQuery) throws IOException {
        return call(method, pathAndQuery, "Bearer " + token);
    }

    @Test
    void theTokenFileIsOwnerOnlyAndNamesThePort() throws Exception {
        Path f = pair.stateDir("node1").resolve("admin.json");
        assertThat(admin.adminFile()).isEqualTo(f);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        JsonNode j = StatusJson.MAPPER.readTree(Files.readString(f));
        assertThat(j.get("port").asInt()).isEqualTo(admin.port());
        assertThat(j.get("node").asText()).isEqualTo("node1");
        assertThat(token).hasSize(64);
        assertThat(StatusJson.MAPPER.readTree(Files.readString(pair.admin("node2").adminFile())).get("token").asText())
                .isNotEqualTo(token);
    }

    @Test
    void statusIsTheSnapshotAsJson() throws Exception {
        Answer a = ok("GET", "/status");
        assertThat(a.code()).isEqualTo(200);
        assertThat(a.body().get("localNode").asText()).isEqualTo("node1");
        var status = StatusJson.readStatus(a.body());
        assertThat(status.group("hello").activeNode()).isEqualTo("node1");
        assertThat(status.group("hello").resources().get(0).type()).isEqualTo("hello-http");
        assertThat(status.node("node2").state()).isEqualTo(org.tandemha.api.NodeState.REACHABLE);
    }

    @Test
    void aMissingOrWrongTokenIs401() throws Exception {
        Answer none = call("GET", "/status", null);
        assertThat(none.code()).isEqualTo(401);
        assertThat(none.error()).startsWith("missing token: send the header 'Authorization: Bearer <token>'")
                .contains(admin.adminFile().toString());
        Answer wrong = call("GET", "/status", "Bearer " + "0".repeat(64));
        assertThat(wrong.code()).isEqualTo(401);
        assertThat(wrong.error()).startsWith("wrong token: use the one in " + admin.adminFile());
        assertThat(call("GET", "/nowhere", "Basic abc").error()).contains("must be 'Bearer <token>'");
        // node2's token does not open node1
        String other = StatusJson.MAPPER.readTree(Files.readString(pair.admin("node2").adminFile())).get("token").asText();
        assertThat(call("GET", "/status", "Bearer " + other).code()).isEqualTo(401);
    }

    @Test
    void badRequestsNameTheParameterAndUnknownPathsListTheEndpoints() throws Exception {
        Answer missing = ok("POST", "/switchover?group=hello");
        assertThat(missing.code()).isEqualTo(400);
        assertThat(missing.error()).isEqualTo("missing parameter 'node': POST /switchover?group=GROUP&node=NODE");
        assertThat(ok("POST", "/maintenance?group=hello&on=maybe").error()).isEqualTo("parameter 'on' must be true or false, not 'maybe'");
        assertThat(ok("POST", "/clear?group=hello&force=1").error()).isEqualTo("unknown parameter 'force' for /clear; it takes group");
        assertThat(ok("GET", "/events?after=-1").error()).startsWith("parameter 'after' must be a whole number >= 0");
        assertThat(ok("POST", "/clear?group=a&group=b").error()).isEqualTo("parameter 'group' is given twice; give it once");
        assertThat(ok("GET", "/events?after=%zz").code()).isEqualTo(400); // refused by the JDK's server itself
        Answer get = ok("GET", "/switchback?group=hello");
        assertThat(get.code()).isEqualTo(405);
        assertThat(get.error()).isEqualTo("use POST for /switchback, not GET");
        Answer nowhere = ok("GET", "/stats");
        assertThat(nowhere.code()).isEqualTo(404);
        assertThat(nowhere.error()).startsWith("no endpoint /stats; the endpoints are: GET /status, GET /events?after=N");
        assertThat(nowhere.body().get("endpoints")).hasSize(6);
    }

    @Test
    void commandsAnswerTheirResultAndEventsFollow() throws Exception {
        long before = ok("GET", "/events").body().get("last").asLong();
        Answer on = ok("POST", "/maintenance?group=hello&on=true");
        assertThat(on.code()).as(on.body().toString()).isEqualTo(200);
        assertThat(on.body().get("accepted").asBoolean()).isTrue();
        HelloPair.await("unmanaged", () -> !pair.node("node1").status().group("hello").managed());
        Answer off = ok("POST", "/maintenance?group=hello&on=false");
        assertThat(off.body().get("accepted").asBoolean()).isTrue();

        Answer refused = ok("POST", "/switchback?group=nope");
        assertThat(refused.code()).isEqualTo(409);
        assertThat(refused.body().get("accepted").asBoolean()).isFalse();
        assertThat(refused.body().get("message").asText()).contains("no group named 'nope'");

        HelloPair.await("maintenance events", () -> {
            try {
                JsonNode ev = ok("GET", "/events?after=" + before).body();
                return ev.get("events").findValuesAsText("kind").contains("MAINTENANCE");
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        JsonNode ev = ok("GET", "/events?after=" + before).body();
        assertThat(ev.get("missed").asLong()).isZero();
        assertThat(ev.get("events").get(0).get("id").asLong()).isEqualTo(before + 1);
        long last = ev.get("last").asLong();
        assertThat(ok("GET", "/events?after=" + last).body().get("events")).isEmpty();
        // the node's first events were kept: the endpoint started before the node
        assertThat(ok("GET", "/events?after=0").body().get("events").findValuesAsText("kind")).contains("NODE_STARTED");
    }

    @Test
    void listensOnLoopbackOnly() throws Exception {
        Optional<InetAddress> other = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()).findFirst();
        assumeTrue(other.isPresent(), "this machine has no non-loopback IPv4 address to try");
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress(other.get(), admin.port()), 1000))
                    .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void closingRemovesTheFileAndTheListener(@TempDir Path dir) throws Exception {
        AdminServer a = AdminServer.start(pair.node("node2"), dir, 0);
        int port = a.port();
        assertThat(Files.exists(a.adminFile())).isTrue();
        a.close();
        a.close(); // twice is fine
        assertThat(Files.exists(a.adminFile())).isFalse();
        assertThatThrownBy(() -> call(port, "GET", "/status", null)).isInstanceOf(ConnectException.class);
    }
}
