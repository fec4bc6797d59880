package org.tandemha.server.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tandemha.core.json.JsonTrees;

/**
 * The CLI's client of a node's HTTP API ({@code /api/v1}): where the node is, which token to send, and the call
 * itself, with every failure turned into a sentence that says what to do.
 *
 * <p>Where: {@code --node-url}, else {@code $TANDEM_NODE_URL}, else the {@code api-url} file that {@code tandem run}
 * writes in the state directory given with {@code --state-dir}, else {@code http://127.0.0.1:7480}. The token:
 * {@code --token-file} (a bare token, or a line of a tokens file: name role token), else {@code $TANDEM_TOKEN}, else
 * {@code <state-dir>/api-token}, else the one readable {@code api-token} under {@code /var/lib/tandem/*}{@code /*}
 * (or {@code ~/.local/state/tandem/*}{@code /*} for a user's node).
 */
final class ApiClient {
    static final String DEFAULT_URL = "http://127.0.0.1:7480";
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(15);
    /** A command waits for the cluster to carry it out (a switchover stops and starts a group). */
    static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(6);

    private final URI base;
    private final String token;
    private final String tokenSource;

    ApiClient(URI base, String token, String tokenSource) {
        this.base = base;
        this.token = token;
        this.tokenSource = tokenSource;
    }

    URI base() {
        return base;
    }

    /** A failure with its exit code; the message is printed as is. */
    static final class CallFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        CallFailure(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /** An answer of the node: the HTTP status and the JSON body. */
    record Answer(int status, JsonNode body) {
    }

    static ApiClient from(Args a, Map<String, String> env) throws CallFailure {
        String stateDir = a.get("state-dir");
        String url = a.get("node-url");
        if (url == null) {
            url = env.get("TANDEM_NODE_URL");
        }
        if ((url == null || url.isBlank()) && stateDir != null) {
            Path f = Path.of(stateDir).resolve("api-url");
            try {
                url = Files.readString(f).strip();
            } catch (IOException e) {
                url = null; // the default below
            }
        }
        if (url == null || url.isBlank()) {
            url = DEFAULT_URL;
        }
        URI base;
        try {
            base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (base.getHost() == null || !("http".equals(base.getScheme()) || "https".equals(base.getScheme()))) {
                throw new IllegalArgumentException("not http:// or https:// with a host");
            }
        } catch (IllegalArgumentException e) {
            throw new CallFailure(Tandem.ERROR, "--node-url '" + url + "' is not a node's URL (" + e.getMessage()
                    + "); write it as http://HOST:PORT, e.g. " + DEFAULT_URL);
        }
        String tokenFile = a.get("token-file");
        if (tokenFile != null) {
            return new ApiClient(base, readToken(Path.of(tokenFile)), tokenFile);
        }
        String t = env.get("TANDEM_TOKEN");
        if (t != null && !t.isBlank()) {
            return new ApiClient(base, t.strip(), "$TANDEM_TOKEN");
        }
        if (stateDir != null) {
            Path f = Path.of(stateDir).resolve("api-token");
            return new ApiClient(base, readToken(f), f.toString());
        }
        List<Path> found = new ArrayList<>();
        List<Path> roots = new ArrayList<>(List.of(Path.of("/var/lib/tandem")));
        String xdg = env.get("XDG_STATE_HOME");
        roots.add(xdg != null && !xdg.isBlank() ? Path.of(xdg, "tandem") : Path.of(System.getProperty("user.home"), ".local", "state", "tandem"));
        for (Path root : roots) {
            for (Path cluster : children(root)) {
                for (Path node : children(cluster)) {
                    Path f = node.resolve("api-token");
                    if (Files.isReadable(f)) {
                        found.add(f);
                    }
                }
            }
        }
        if (found.size() == 1) {
            return new ApiClient(base, readToken(found.get(0)), found.get(0).toString());
        }
        throw new CallFailure(Tandem.ERROR, found.isEmpty()
                ? "no API token: give --token-file FILE, set TANDEM_TOKEN, or --state-dir DIR of a node running here"
                + " (its api-token); run as the node's user or root to read it"
                : "several nodes run here (" + found + "): say which with --state-dir DIR, or give --token-file FILE");
    }

    private static List<Path> children(Path dir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(p -> {
                if (Files.isDirectory(p)) {
                    out.add(p);
                }
            });
        } catch (IOException e) {
            // unreadable: not ours
        }
        return out;
    }

    static String readToken(Path f) throws CallFailure {
        try {
            for (String line : Files.readAllLines(f)) {
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                String[] parts = s.split("\\s+");
                return parts[parts.length - 1];
            }
            throw new CallFailure(Tandem.ERROR, "the token file " + f + " is empty; give the file the node wrote (api-token)"
                    + " or a line of its tokens file");
        } catch (NoSuchFileException e) {
            throw new CallFailure(Tandem.ERROR, "no token file " + f + ": is the node running (tandem run writes"
                    + " api-token in its state directory)? check --state-dir or --token-file");
        } catch (AccessDeniedException e) {
            throw new CallFailure(Tandem.ERROR, "not allowed: cannot read " + f + " (run as the node's user or root)");
        } catch (IOException e) {
            throw new CallFailure(Tandem.ERROR, "cannot read the token file " + f + ": " + e.getMessage());
        }
    }

    /** One request; 2xx and 409 come back as answers, everything else is a failure with exit code 2. */
    Answer call(String method, String path, JsonNode body, Duration timeout) throws CallFailure {
        HttpURLConnection c = null;
        String where = base.toString();
        try {
            c = open(path, timeout);
            c.setRequestMethod(method);
            if (body != null) {
                byte[] bytes = JsonTrees.bytes(body);
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(bytes.length);
                try (OutputStream o = c.getOutputStream()) {
                    o.write(bytes);
                }
            }
            int code = c.getResponseCode();
            byte[] bytes;
            try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
                bytes = in == null ? new byte[0] : in.readNBytes(32 << 20);
            }
            JsonNode json;
            try {
                json = bytes.length == 0 ? null : JsonTrees.parse(bytes);
            } catch (JsonProcessingException e) {
                throw new CallFailure(Tandem.ERROR, "the node at " + where + " answered " + code + " with something that is"
                        + " not JSON; is another program using that port? (check --node-url)");
            }
            String error = json == null ? "" : json.path("error").asText(json.path("message").asText(""));
            switch (code) {
                case 200, 201, 202, 409 -> {
                    if (json == null) {
                        throw new CallFailure(Tandem.ERROR, "the node at " + where + " answered " + code + " with an empty body");
                    }
                    return new Answer(code, json);
                }
                case 401 -> throw new CallFailure(Tandem.ERROR, "not allowed: the node at " + where + " refused the token from "
                        + tokenSource + (error.isEmpty() ? "" : ": " + error) + "; give a token of its tokens file with --token-file");
                case 403 -> throw new CallFailure(Tandem.ERROR, "forbidden: " + (error.isEmpty() ? "the token's role may not do this" : error)
                        + "; use a token with the operator or admin role");
                case 400 -> throw new CallFailure(Tandem.ERROR, "the node refused the request as malformed: " + error);
                case 404 -> throw new CallFailure(Tandem.ERROR, "the node at " + where + " has no " + path
                        + (error.isEmpty() ? "" : " (" + error + ")") + "; is it the same version as this tandem?");
                default -> throw new CallFailure(Tandem.ERROR, "the node at " + where + " answered " + code
                        + (error.isEmpty() ? "" : ": " + error));
            }
        } catch (ConnectException e) {
            throw new CallFailure(Tandem.ERROR, "no node answers on " + where + ": is it running (tandem run)? check"
                    + " --node-url, or --state-dir of the node");
        } catch (SocketTimeoutException e) {
            throw new CallFailure(Tandem.ERROR, "the node at " + where + " did not answer within " + timeout.toSeconds()
                    + " s; it may be paused or overloaded");
        } catch (IOException e) {
            throw new CallFailure(Tandem.ERROR, "cannot talk to the node at " + where + ": " + e);
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    /** Follows {@code /api/v1/events/stream}: each event's JSON to {@code each}, until the stream ends. */
    void stream(String path, long after, Consumer<JsonNode> each) throws CallFailure {
        HttpURLConnection c = null;
        try {
            c = open(path, Duration.ZERO);
            c.setRequestProperty("Accept", "text/event-stream");
            if (after > 0) {
                c.setRequestProperty("Last-Event-ID", Long.toString(after));
            }
            int code = c.getResponseCode();
            if (code != 200) {
                throw new CallFailure(Tandem.ERROR, "the node at " + base + " answered " + code + " to " + path
                        + (code == 401 ? " (token refused: give --token-file)" : ""));
            }
            try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                StringBuilder data = new StringBuilder();
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.startsWith("data:")) {
                        data.append(line.substring(5).strip());
                    } else if (line.isEmpty() && data.length() > 0) {
                        try {
                            each.accept(JsonTrees.parse(data.toString()));
                        } catch (JsonProcessingException e) {
                            // a line this reader cannot parse: skip it
                        }
                        data.setLength(0);
                    }
                }
            }
        } catch (ConnectException e) {
            throw new CallFailure(Tandem.ERROR, "no node answers on " + base + ": is it running (tandem run)?");
        } catch (IOException e) {
            throw new CallFailure(Tandem.ERROR, "the event stream from " + base + " ended: " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private HttpURLConnection open(String path, Duration timeout) throws IOException {
        URL url = URI.create(base + path).toURL();
        HttpURLConnection c = (HttpURLConnection) url.openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
        c.setReadTimeout((int) timeout.toMillis());
        c.setRequestProperty("Authorization", "Bearer " + token);
        c.setRequestProperty("Accept", "application/json");
        c.setRequestProperty("User-Agent", "tandem-cli");
        return c;
    }
}
