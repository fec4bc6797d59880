package org.tandemha.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.tandemha.core.json.JsonTrees;

/** A small client of the API for the tests (java.net.http, HTTP/1.1). */
final class Api {
    static final String VIEWER = "viewer-token-0123456789abcdef";
    static final String OPERATOR = "operator-token-0123456789abcdef";
    static final String ADMIN = "admin-token-0123456789abcdef";

    record Answer(int code, JsonNode json, String text, HttpResponse<String> response) {
        String error() {
            return json == null ? text : json.path("error").asText(text);
        }
    }

    final URI base;
    final HttpClient client;

    Api(URI base) {
        this(base, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build());
    }

    Api(URI base, SSLContext ssl) {
        this(base, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .sslContext(ssl).build());
    }

    private Api(URI base, HttpClient client) {
        this.base = base;
        this.client = client;
    }

    /** Writes a tokens file with the three roles, mode 0600. */
    static Path tokensFile(Path dir) throws IOException {
        Path f = dir.resolve("tokens");
        Files.writeString(f, """
                # name role token
                alice viewer %s
                bob operator %s
                carol admin %s   # the administrator
                """.formatted(VIEWER, OPERATOR, ADMIN));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    Answer get(String path, String token) throws Exception {
        return send(builder(path, token).GET().build());
    }

    Answer post(String path, String token, String body) throws Exception {
        return send(builder(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpRequest.Builder builder(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    Answer send(HttpRequest r) throws Exception {
        HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
        JsonNode j = null;
        if (resp.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            j = JsonTrees.parse(resp.body());
        }
        return new Answer(resp.statusCode(), j, resp.body(), resp);
    }
}
