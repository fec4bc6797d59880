package org.tandemha.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.TestCluster;

/** HTTPS from a PEM certificate and key; the bounds (body size, idle connections, event streams); refused tokens files. */
class TlsAndLimitsTest {
    @TempDir
    static Path dir;
    static TestCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = TestCluster.start(dir);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void httpsWithAPemCertificateAndKey() throws Exception {
        Path crt = dir.resolve("node.crt");
        Path key = dir.resolve("node.key");
        ProcessBuilder pb = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", crt.toString(), "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (java.io.IOException e) {
            Assumptions.abort("openssl is not installed: " + e.getMessage());
            return;
        }
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();

        ServerSettings s = new ServerSettings("127.0.0.1:0", Api.tokensFile(dir), crt, key, null, cluster.stateDir("node1"),
                true, false);
        try (TandemServer server = TandemServer.start(cluster.node("node1"), s)) {
            assertThat(server.uri().getScheme()).isEqualTo("https");
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(crt)) {
                trust.setCertificateEntry("node", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            Api api = new Api(server.uri(), ctx);
            Api.Answer a = api.get("/api/v1/status", Api.VIEWER);
            assertThat(a.code()).isEqualTo(200);
            assertThat(a.json().path("localNode").asText()).isEqualTo("node1");
            assertThat(api.get("/api/v1/status", null).code()).isEqualTo(401);
            // A client that does not trust the certificate does not get through.
            assertThatThrownBy(() -> new Api(server.uri()).get("/api/v1/health", null)).isInstanceOf(SSLHandshakeException.class);
            // Nor does plain HTTP.
            assertThatThrownBy(() -> new Api(java.net.URI.create("http://127.0.0.1:" + server.port())).get("/api/v1/health", null))
                    .isInstanceOf(java.io.IOException.class);
        }
        Path other = dir.resolve("garbage.key");
        Files.writeString(other, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TandemServer.start(cluster.node("node1"), s.withTls(crt, other)))
                .hasMessageContaining("server.tls of node node1: cannot use the certificate " + crt + " with the key " + other)
                .hasMessageContaining("PKCS#8");
    }

    @Test
    void boundedBodiesIdleConnectionsAndEventStreams() throws Exception {
        HttpApi.Limits small = new HttpApi.Limits(1024, Duration.ofSeconds(1), 1, Duration.ofMillis(300), Duration.ofMinutes(1), 1000);
        ServerSettings s = new ServerSettings("127.0.0.1:0", Api.tokensFile(dir), null, null, null, cluster.stateDir("node1"),
                false, false);
        try (TandemServer server = TandemServer.start(cluster.node("node1"), s, small)) {
            Api api = new Api(server.uri());
            String before = cluster.svc();
            Api.Answer big = api.post("/api/v1/groups/svc/switchover", Api.OPERATOR,
                    "{\"target\":\"node2\",\"pad\":\"" + "x".repeat(4000) + "\"}");
            assertThat(big.code()).isEqualTo(413);
            assertThat(big.error()).isEqualTo("the request body is larger than 1024 bytes, the API's limit; commands take a small JSON object");
            assertThat(cluster.svc()).isEqualTo(before);

            // An idle connection is closed after the idle timeout (1 s here); the read is bounded at 10 s.
            try (Socket idle = new Socket("127.0.0.1", server.port())) {
                idle.setSoTimeout(10_000);
                long t0 = System.nanoTime();
                assertThat(idle.getInputStream().read()).isEqualTo(-1);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            }

            // One event stream at a time here; it outlives the idle timeout thanks to its keep-alive comments.
            try (Sse first = new Sse(api, Api.VIEWER, null)) {
                assertThat(first.response.statusCode()).isEqualTo(200);
                Api.Answer second = api.get("/api/v1/events/stream", Api.VIEWER);
                assertThat(second.code()).isEqualTo(503);
                assertThat(second.error()).startsWith("too many event streams: node node1 serves at most 1 at once");
                assertThat(second.response().headers().firstValue("Retry-After")).isPresent();
                assertThat(api.post("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":true}").code()).isEqualTo(200);
                assertThat(first.next("MAINTENANCE").data().path("group").asText()).isEqualTo("svc");
                // Keep-alive comments every 300 ms: five of them span more than the idle timeout.
                long seen = first.comments();
                TestCluster.await("five keep-alive comments", () -> first.comments() >= seen + 5);
                assertThat(api.post("/api/v1/groups/svc/maintenance", Api.OPERATOR, "{\"on\":false}").code()).isEqualTo(200);
                assertThat(first.next("MAINTENANCE").data().path("message").asText()).isNotEmpty();
            }
        }
    }

    @Test
    void aTokensFileOpenToOthersOrMalformedIsRefusedWithTheFix() throws Exception {
        Path f = Api.tokensFile(Files.createDirectories(dir.resolve("t1")));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        ServerSettings s = new ServerSettings("127.0.0.1:0", f, null, null, null, cluster.stateDir("node1"), false, false);
        assertThatThrownBy(() -> TandemServer.start(cluster.node("node1"), s))
                .hasMessage("tokens file " + f + " is open to group or others (mode rw-r--r--): anyone who can read it can"
                        + " operate the cluster; run: chmod 600 " + f);
        Files.writeString(f, "alice reader 0123456789abcdef0123\nbob operator short\nbob viewer x y z\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
        assertThatThrownBy(() -> TandemServer.start(cluster.node("node1"), s))
                .hasMessage("the tokens file " + f + " has 3 problems:\n"
                        + "  " + f + " line 1: unknown role 'reader'; use viewer, operator or admin\n"
                        + "  " + f + " line 2: the token of 'bob' is shorter than 16 characters or has non-ASCII characters;"
                        + " generate one with: openssl rand -hex 32\n"
                        + "  " + f + " line 3: expected 3 fields 'name role token', found 5");
        assertThatThrownBy(() -> TandemServer.start(cluster.node("node1"), s.withTokensFile(null).withListen("0.0.0.0:0")))
                .hasMessageContaining("without a tokens file; set server.tokensFile");
    }

    @Test
    void withoutATokensFileALoopbackServerWritesAnAdminTokenForItsOwner() throws Exception {
        Path state = dir.resolve("state-generated");
        try (TandemServer server = TandemServer.start(cluster.node("node2"), ServerSettings.defaults(state).withListen("127.0.0.1:0"))) {
            Path f = server.generatedTokenFile();
            assertThat(f).isEqualTo(state.resolve("api-token"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
            String token = Files.readString(f, StandardCharsets.US_ASCII).strip();
            assertThat(token).hasSize(64);
            Api api = new Api(server.uri());
            assertThat(api.get("/api/v1/status", token).code()).isEqualTo(200);
            assertThat(server.auditLog()).isEqualTo(state.resolve("audit.log"));
        }
        // The next start keeps the token, so that scripts holding it go on working.
        String again = Files.readString(state.resolve("api-token")).strip();
        try (TandemServer server = TandemServer.start(cluster.node("node2"), ServerSettings.defaults(state).withListen("127.0.0.1:0"))) {
            assertThat(new Api(server.uri()).get("/api/v1/status", again).code()).isEqualTo(200);
        }
    }
}
