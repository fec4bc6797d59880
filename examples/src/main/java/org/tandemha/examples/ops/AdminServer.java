package org.tandemha.examples.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;

/**
 * A small authenticated admin endpoint for a running node, built only on {@link ClusterNode}'s public status,
 * events and commands. HTTP on 127.0.0.1 only; every request needs {@code Authorization: Bearer <token>}, where
 * the token is in {@code <stateDir>/admin.json} (with the port), a file readable only by its owner (0600).
 *
 * <pre>
 * GET  /status                              the status snapshot (JSON)
 * GET  /events?after=N                      events kept since the endpoint started (the last 1000), id &gt; N
 * POST /switchover?group=G&amp;node=N           \
 * POST /switchback?group=G                    } the command's result: 200 if carried out, 409 if refused
 * POST /maintenance?group=G&amp;on=true|false    |
 * POST /clear?group=G                        /
 * </pre>
 *
 * Wrong or missing token: 401; a missing or bad parameter: 400 naming it; an unknown path: 404 listing the
 * endpoints. {@code tandemctl} is its command-line client.
 */
public final class AdminServer implements AutoCloseable {
    /** Events kept for {@code GET /events}. */
    public static final int EVENTS_KEPT = 1000;
    /** How long a command may take before the endpoint answers that it is still under way. */
    static final Duration DEFAULT_COMMAND_WAIT = Duration.ofMinutes(5);
    static final String FILE_NAME = "admin.json";
    static final List<String> ENDPOINTS = List.of("GET /status", "GET /events?after=N",
            "POST /switchover?group=GROUP&node=NODE", "POST /switchback?group=GROUP",
            "POST /maintenance?group=GROUP&on=true|false", "POST /clear?group=GROUP");

    private final ClusterNode node;
    private final Path adminFile;
    private final byte[] token;
    private final Duration commandWait;
    private final HttpServer server;
    private final ExecutorService executor;
    private final AutoCloseable subscription;
    private final ArrayDeque<ObjectNode> events = new ArrayDeque<>();
    private long lastEventId;
    private volatile boolean closed;

    private AdminServer(ClusterNode node, Path stateDir, int port, Duration commandWait) throws IOException {
        this.node = node;
        this.commandWait = commandWait;
        this.adminFile = stateDir.resolve(FILE_NAME);
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        this.token = HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII);
        this.subscription = node.subscribe(this::keep);
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "tandem-admin-" + node.nodeId() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HttpServer s = null;
        try {
            InetAddress loopback = InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
            s = HttpServer.create(new InetSocketAddress(loopback, port), 16);
            s.createContext("/", this::handle);
            s.setExecutor(executor);
            s.start();
            writeAdminFile(stateDir, s.getAddress().getPort());
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.stop(0);
            }
            executor.shutdownNow();
            closeQuietly(subscription);
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        this.server = s;
    }

    /**
     * Starts the endpoint for {@code node} on 127.0.0.1:{@code port} ({@code 0}: any free port) and writes
     * {@code <stateDir>/admin.json}. Start it after {@link ClusterNode#start()} succeeded: a second copy of a node
     * fails there, and must not overwrite the running copy's {@code admin.json}.
     *
     * @throws IOException if the port is taken or the state directory is not writable
     */
    public static AdminServer start(ClusterNode node, Path stateDir, int port) throws IOException {
        return start(node, stateDir, port, DEFAULT_COMMAND_WAIT);
    }

    static AdminServer start(ClusterNode node, Path stateDir, int port, Duration commandWait) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("admin port " + port + " is outside 0..65535 (0 picks a free one)");
        }
        return new AdminServer(node, stateDir, port, commandWait);
    }

    /** The port it listens on, on 127.0.0.1. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The file holding the port and the token. */
    public Path adminFile() {
        return adminFile;
    }

    /** Stops answering, and removes {@code admin.json} if it is still this endpoint's. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(subscription);
        server.stop(0);
        executor.shutdownNow();
        try {
            JsonNode j = StatusJson.MAPPER.readTree(Files.readString(adminFile));
            if (j.path("token").asText().equals(new String(token, StandardCharsets.US_ASCII))) {
                Files.deleteIfExists(adminFile);
            }
        } catch (IOException | RuntimeException e) {
            // gone already, or replaced by another run: leave it
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // unsubscribing cannot fail in a way that matters here
        }
    }

    /** Writes the file with owner-only permissions from the start, then moves it in place. */
    private void writeAdminFile(Path stateDir, int boundPort) throws IOException {
        Files.createDirectories(stateDir);
        ObjectNode j = StatusJson.MAPPER.createObjectNode().put("node", node.nodeId()).put("host", "127.0.0.1")
                .put("port", boundPort).put("token", new String(token, StandardCharsets.US_ASCII))
                .put("pid", ProcessHandle.current().pid());
        Path tmp;
        try {
            tmp = Files.createTempFile(stateDir, ".admin-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            throw new IOException("the file system of " + stateDir + " has no POSIX permissions, so the admin token"
                    + " cannot be kept private; choose a state directory on a local Linux file system");
        }
        try {
            Files.writeString(tmp, StatusJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n");
            try {
                Files.move(tmp, adminFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (FileAlreadyExistsException e) {
                Files.move(tmp, adminFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ------------------------------------------------------------------ events

    private synchronized void keep(ClusterEvent e) {
        events.addLast(StatusJson.event(++lastEventId, e));
        while (events.size() > EVENTS_KEPT) {
            events.removeFirst();
        }
    }

    private synchronized ObjectNode eventsAfter(long after) {
        ObjectNode o = StatusJson.MAPPER.createObjectNode();
        ArrayNode list = o.putArray("events");
        long oldest = events.isEmpty() ? lastEventId + 1 : events.peekFirst().path("id").asLong();
        for (ObjectNode e : events) {
            if (e.path("id").asLong() > after) {
                list.add(e);
            }
        }
        o.put("last", lastEventId);
        // Events between 'after' and the oldest kept one were dropped from the ring.
        o.put("missed", Math.max(0, Math.min(oldest - 1, lastEventId) - after));
        return o;
    }

    // ------------------------------------------------------------------ requests

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                return;
            }
            String path = ex.getRequestURI().getPath();
            Map<String, String> q;
            try {
                q = query(ex.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                error(ex, 400, e.getMessage().endsWith("give it once") ? e.getMessage()
                        : e.getMessage() + "; write the query with valid %XX escapes");
                return;
            }
            switch (path) {
                case "/status" -> {
                    if (method(ex, "GET") && params(ex, q, Set.of())) {
                        send(ex, 200, StatusJson.status(node.status()));
                    }
                }
                case "/events" -> {
                    if (method(ex, "GET") && params(ex, q, Set.of("after"))) {
                        Long after = q.containsKey("after") ? number(q.get("after")) : Long.valueOf(0);
                        if (after == null) {
                            error(ex, 400, "parameter 'after' must be a whole number >= 0 (the id of the last event seen),"
                                    + " not '" + q.get("after") + "'");
                        } else {
                            send(ex, 200, eventsAfter(after));
                        }
                    }
                }
                case "/switchover" -> {
                    if (method(ex, "POST") && params(ex, q, Set.of("group", "node")) && required(ex, q, "group", "node")) {
                        command(ex, node.switchover(q.get("group"), q.get("node")));
                    }
                }
                case "/switchback" -> {
                    if (method(ex, "POST") && params(ex, q, Set.of("group")) && required(ex, q, "group")) {
                        command(ex, node.switchback(q.get("group")));
                    }
                }
                case "/maintenance" -> {
                    if (method(ex, "POST") && params(ex, q, Set.of("group", "on")) && required(ex, q, "group", "on")) {
                        String on = q.get("on");
                        if (!on.equals("true") && !on.equals("false")) {
                            error(ex, 400, "parameter 'on' must be true or false, not '" + on + "'");
                        } else {
                            command(ex, node.maintenance(q.get("group"), on.equals("true")));
                        }
                    }
                }
                case "/clear" -> {
                    if (method(ex, "POST") && params(ex, q, Set.of("group")) && required(ex, q, "group")) {
                        command(ex, node.clear(q.get("group")));
                    }
                }
                default -> {
                    ObjectNode o = errorBody("no endpoint " + path + "; the endpoints are: " + String.join(", ", ENDPOINTS));
                    ENDPOINTS.forEach(o.putArray("endpoints")::add);
                    send(ex, 404, o);
                }
            }
        } catch (RuntimeException | LinkageError | AssertionError e) {
            // A bug (or a jar replaced under the running node) must not leave the caller without an answer.
            try {
                error(ex, 500, "internal error of the admin endpoint of node " + node.nodeId() + ": " + e);
            } catch (IOException | RuntimeException ignored) {
                // the answer was already under way
            }
        }
    }

    private boolean authorized(HttpExchange ex) throws IOException {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        String why = null;
        if (h == null || h.isBlank()) {
            why = "missing token: send the header 'Authorization: Bearer <token>' with the token from " + adminFile;
        } else if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            why = "the Authorization header must be 'Bearer <token>', with the token from " + adminFile;
        } else if (!MessageDigest.isEqual(h.substring(7).strip().getBytes(StandardCharsets.US_ASCII), token)) {
            why = "wrong token: use the one in " + adminFile + " (it changes each time the node starts)";
        }
        if (why == null) {
            return true;
        }
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"tandem\"");
        error(ex, 401, why);
        return false;
    }

    private boolean method(HttpExchange ex, String wanted) throws IOException {
        if (ex.getRequestMethod().equals(wanted)) {
            return true;
        }
        ex.getResponseHeaders().set("Allow", wanted);
        error(ex, 405, "use " + wanted + " for " + ex.getRequestURI().getPath() + ", not " + ex.getRequestMethod());
        return false;
    }

    private boolean params(HttpExchange ex, Map<String, String> q, Set<String> allowed) throws IOException {
        for (String k : q.keySet()) {
            if (!allowed.contains(k)) {
                error(ex, 400, "unknown parameter '" + k + "' for " + ex.getRequestURI().getPath()
                        + (allowed.isEmpty() ? ", which takes none" : "; it takes " + String.join(", ", allowed.stream().sorted().toList())));
                return false;
            }
        }
        return true;
    }

    private boolean required(HttpExchange ex, Map<String, String> q, String... names) throws IOException {
        for (String n : names) {
            String v = q.get(n);
            if (v == null || v.isBlank()) {
                String usage = ENDPOINTS.stream().filter(e -> e.startsWith("POST " + ex.getRequestURI().getPath() + "?"))
                        .findFirst().orElse("");
                error(ex, 400, "missing parameter '" + n + "': " + usage);
                return false;
            }
        }
        return true;
    }

    private void command(HttpExchange ex, CompletableFuture<CommandResult> f) throws IOException {
        CommandResult r;
        try {
            r = f.get(commandWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            error(ex, 504, "no answer from the node within " + Durations.format(commandWait)
                    + "; the command may still complete: watch GET /events");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(ex, 503, "the admin endpoint is closing");
            return;
        } catch (ExecutionException e) {
            error(ex, 500, "the command failed inside the node: " + e.getCause());
            return;
        }
        send(ex, r.accepted() ? 200 : 409, StatusJson.command(r));
    }

    private static Long number(String s) {
        try {
            long n = Long.parseLong(s.strip());
            return n < 0 ? null : n;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String part : raw.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            if (out.put(k, v) != null) {
                throw new IllegalArgumentException("parameter '" + k + "' is given twice; give it once");
            }
        }
        return out;
    }

    private static ObjectNode errorBody(String message) {
        return StatusJson.MAPPER.createObjectNode().put("error", message);
    }

    private static void error(HttpExchange ex, int code, String message) throws IOException {
        send(ex, code, errorBody(message));
    }

    private static void send(HttpExchange ex, int code, JsonNode body) throws IOException {
        byte[] bytes = StatusJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
