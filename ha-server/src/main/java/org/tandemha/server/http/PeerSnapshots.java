package org.tandemha.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.json.JsonTrees;

/**
 * Fetches the peers' engine snapshots for a what-if: {@code GET /api/v1/snapshot} of every URL in
 * {@code server.peers}, all at once, with the caller's own {@code Authorization} header (the console's model: one
 * tokens file for every node), each bounded by a connect and a request timeout. A URL that does not answer, answers
 * an error or something that is not a snapshot of this cluster is reported with the reason, never thrown; a URL that
 * turns out to be this node is left out.
 */
final class PeerSnapshots {
    /** The bounds used by the API: 2 s to connect, 5 s for the answer. */
    static final Duration CONNECT = Duration.ofSeconds(2);
    static final Duration ANSWER = Duration.ofSeconds(5);

    /** A URL that gave no snapshot, and why. */
    record Failure(String url, String reason) {
    }

    /**
     * What the peers answered.
     *
     * @param snapshots node id to its snapshot
     * @param sources   node id to the URL it came from
     * @param failures  the URLs that gave none
     */
    record Fetched(Map<String, EngineSnapshot> snapshots, Map<String, String> sources, List<Failure> failures) {
    }

    private final List<String> urls;
    private final Duration connect;
    private final Duration answer;
    private final HttpClient client;

    PeerSnapshots(List<String> urls) {
        this(urls, CONNECT, ANSWER);
    }

    PeerSnapshots(List<String> urls, Duration connect, Duration answer) {
        this.urls = List.copyOf(urls);
        this.connect = connect;
        this.answer = answer;
        this.client = urls.isEmpty() ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connect).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The configured URLs. */
    List<String> urls() {
        return urls;
    }

    /**
     * Asks every URL at once; completes when each has answered or timed out (never exceptionally).
     *
     * @param self          this node's id (a URL answering as this node is left out)
     * @param cluster       this node's cluster (a snapshot of another cluster is a failure)
     * @param authorization the caller's {@code Authorization} header, passed on as it is
     */
    CompletableFuture<Fetched> fetch(String self, String cluster, String authorization) {
        List<CompletableFuture<Object>> all = new ArrayList<>();
        for (String url : urls) {
            all.add(one(url, cluster, authorization));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((x, e) -> {
            Map<String, EngineSnapshot> snapshots = new LinkedHashMap<>();
            Map<String, String> sources = new LinkedHashMap<>();
            List<Failure> failures = new ArrayList<>();
            for (int i = 0; i < urls.size(); i++) {
                Object r = all.get(i).join(); // each completes normally: a snapshot or a failure
                if (r instanceof EngineSnapshot s) {
                    if (s.self().equals(self)) {
                        continue; // server.peers may list this node too
                    }
                    if (snapshots.containsKey(s.self())) {
                        failures.add(new Failure(urls.get(i), "is node " + s.self() + " again (" + sources.get(s.self())
                                + " was first): list each node once in server.peers"));
                        continue;
                    }
                    snapshots.put(s.self(), s);
                    sources.put(s.self(), urls.get(i));
                } else {
                    failures.add((Failure) r);
                }
            }
            return new Fetched(snapshots, sources, failures);
        });
    }

    private CompletableFuture<Object> one(String url, String cluster, String authorization) {
        HttpRequest req;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/api/v1/snapshot"))
                    .timeout(answer).GET();
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            req = b.build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Failure(url, "is not a usable URL (" + e.getMessage() + ")"));
        }
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                // a bound of our own as well: the client's timeout does not cover every stage
                .orTimeout(answer.toMillis() + 1000, TimeUnit.MILLISECONDS)
                .handle((resp, e) -> e != null ? new Failure(url, reason(e)) : read(url, cluster, resp));
    }

    private Object read(String url, String cluster, HttpResponse<String> resp) {
        int code = resp.statusCode();
        String error = null;
        JsonNode j = null;
        try {
            j = JsonTrees.parse(resp.body());
            error = j == null ? null : j.path("error").asText(null);
        } catch (java.io.IOException | RuntimeException ignored) {
            // not JSON: said below
        }
        if (code == 401 || code == 403) {
            return new Failure(url, "refused the caller's token (" + code + (error == null ? "" : ": " + error)
                    + "); the console's model is one tokens file for every node: give it the same tokens");
        }
        if (code != 200) {
            return new Failure(url, "answered " + code + (error == null ? "" : ": " + error));
        }
        try {
            EngineSnapshot s = SnapshotJson.fromTree(j);
            if (cluster != null && !cluster.equals(s.cluster())) {
                return new Failure(url, "is node " + s.self() + " of cluster " + s.cluster() + ", not of " + cluster
                        + ": fix server.peers");
            }
            return s;
        } catch (RuntimeException e) {
            return new Failure(url, "answered something that is not an engine snapshot (" + e.getMessage()
                    + "); is it a Tandem node of the same version?");
        }
    }

    private String reason(Throwable e) {
        Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof HttpConnectTimeoutException) {
            return "did not accept a connection within " + connect.toMillis() + " ms";
        }
        if (c instanceof HttpTimeoutException || c instanceof TimeoutException) {
            return "did not answer within " + answer.toMillis() + " ms";
        }
        if (c instanceof ConnectException) {
            return "refused the connection (is its API up?)";
        }
        return "could not be asked: " + c;
    }
}
