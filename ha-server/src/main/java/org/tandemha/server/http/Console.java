package org.tandemha.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.tandemha.api.ClusterNode;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.http.Tokens.Principal;

/**
 * The web console's side of the API: its static files (served at {@code /} and {@code /console/*} without a token:
 * they hold no data), {@code GET /api/v1/console} (who am I, which peers), action previews
 * ({@code GET /api/v1/groups/{group}/preview}) and the CORS answers for the configured peers' origins only.
 */
public final class Console {
    private static final String BASE = "/org/tandemha/server/console/";
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/console/console.js", "console.js",
            "/console/console.css", "console.css");

    private final ClusterNode node;
    private final List<String> peers;
    private final Set<String> origins;
    private final Supplier<ClusterSpec> spec;
    private final EventLog events;
    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    /**
     * @param peers  the other nodes' API URLs ({@code server.peers})
     * @param spec   the node's configuration, or a supplier of {@code null} when it is not known
     * @param events this node's recent events (the last start and stop durations)
     */
    public Console(ClusterNode node, List<String> peers, Supplier<ClusterSpec> spec, EventLog events) {
        this.node = node;
        this.peers = List.copyOf(peers);
        Set<String> o = new LinkedHashSet<>();
        for (String p : this.peers) {
            o.addAll(originsOf(p));
        }
        this.origins = Set.copyOf(o);
        this.spec = spec;
        this.events = events;
    }

    /** The other nodes' API URLs ({@code server.peers}). */
    List<String> peers() {
        return peers;
    }

    /** A console with no peers and no configuration (this node's events only; previews without timeouts). */
    public static Console standalone(ClusterNode node, EventLog events) {
        return new Console(node, List.of(), () -> null, events);
    }

    /** The origins a browser may send for this URL: {@code scheme://host:port}, and without the port when default. */
    static List<String> originsOf(String url) {
        URI u = URI.create(url);
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        String host = u.getHost().toLowerCase(Locale.ROOT);
        int port = u.getPort();
        List<String> out = new ArrayList<>();
        out.add(scheme + "://" + host + ":" + port);
        if (port == ("https".equals(scheme) ? 443 : 80)) {
            out.add(scheme + "://" + host);
        }
        return out;
    }

    /** Whether {@code path} is one of the console's static files. */
    boolean isAsset(String path) {
        return FILES.containsKey(path);
    }

    /** The static file at {@code path}; {@link #isAsset} first. */
    FullHttpResponse asset(String path) {
        String name = FILES.get(path);
        byte[] body = cache.computeIfAbsent(name, n -> {
            try (InputStream in = Console.class.getResourceAsStream(BASE + n)) {
                if (in == null) {
                    throw new IllegalStateException("the console's file " + BASE + n + " is missing from the ha-server jar;"
                            + " rebuild it");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
        String type = name.endsWith(".html") ? "text/html; charset=utf-8" : name.endsWith(".js")
                ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.CONTENT_TYPE, type);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        // everything from this node; data also from the configured peers; nothing else (no CDN, works offline)
        h.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
                + " connect-src 'self'" + (peers.isEmpty() ? "" : " " + String.join(" ", peers)) + "; frame-ancestors 'none'");
        return r;
    }

    /** Whether a browser page from {@code origin} may call this API (one of the configured peers). */
    boolean allowed(String origin) {
        return origin != null && origins.contains(origin.toLowerCase(Locale.ROOT));
    }

    /** Adds the CORS headers when {@code origin} is a configured peer's. */
    void cors(HttpHeaders h, String origin) {
        if (allowed(origin)) {
            h.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.add(HttpHeaderNames.VARY, "Origin");
        }
    }

    /** The answer to a CORS pre-flight ({@code OPTIONS}) from a configured peer's page. */
    FullHttpResponse preflight(String origin) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        cors(r.headers(), origin);
        r.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST")
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type, Last-Event-ID")
                .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
        return r;
    }

    /**
     * The groups as configured, for the console's what-if choices: {@code [{id, promotable, replicated, drNodes}]}
     * ({@code replicated}: the replicated resource of a promotable group, else null; {@code drNodes}: its DR site).
     */
    static ArrayNode groups(ClusterSpec c) {
        ArrayNode gs = JsonTrees.NODES.arrayNode();
        for (org.tandemha.core.config.GroupSpec g : c.groups()) {
            ObjectNode j = gs.addObject().put("id", g.id()).put("promotable", g.promotable())
                    .put("replicated", g.promotableResource());
            ArrayNode dr = j.putArray("drNodes");
            g.dr().nodes().forEach(dr::add);
        }
        return gs;
    }

    /**
     * {@code GET /api/v1/console}: this node, the caller's name and role, the peers' API URLs; with the configuration,
     * its arbiters, fencing methods and groups ({@link #groups}).
     */
    ObjectNode info(Principal who) {
        ObjectNode o = JsonTrees.NODES.objectNode().put("node", node.nodeId());
        try {
            o.put("cluster", node.status().cluster());
        } catch (RuntimeException e) {
            o.putNull("cluster");
        }
        o.put("who", who.name()).put("role", who.role().label());
        ArrayNode p = o.putArray("peers");
        peers.forEach(p::add);
        ClusterSpec c = spec.get();
        if (c == null) {
            o.putNull("arbiters");
            o.put("arbitersNote", "unknown: the configuration was not given to the server");
        } else {
            ArrayNode a = o.putArray("arbiters");
            c.arbiters().forEach(x -> a.addObject().put("id", x.id()).put("type", x.type()));
            o.put("twoNodeWithoutArbiter", c.quorum().twoNodeWithoutArbiter());
            ArrayNode f = o.putArray("fencers");
            c.fencers().forEach(x -> f.addObject().put("id", x.id()).put("type", x.type()));
            o.set("groups", groups(c));
        }
        ArrayNode actions = o.putArray("actions");
        if (who.role().covers(Tokens.Role.OPERATOR)) {
            List.of("switchover", "switchback", "maintenance", "clear").forEach(actions::add);
        }
        return o;
    }

    /**
     * {@code GET /api/v1/groups/{group}/preview?action=A[&target=NODE][&on=true|false]}: what the action would do.
     *
     * @throws IllegalArgumentException naming a malformed parameter (400)
     * @throws java.util.NoSuchElementException naming an unknown group (404)
     */
    ObjectNode preview(String group, String action, String target, String on) {
        return Preview.of(node.nodeId(), node.status(), spec.get(), events, group, action, target, on);
    }
}
