package org.tandemha.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.tandemha.api.ClusterNode;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.core.runtime.EngineView;
import org.tandemha.core.sim.whatif.Sweep;
import org.tandemha.core.sim.whatif.WhatIf;
import org.tandemha.core.sim.whatif.WhatIfEvents;
import org.tandemha.core.sim.whatif.WhatIfReport;

/**
 * What the API serves of the node's engine: {@code GET /api/v1/snapshot} (the engine's state, as {@link SnapshotJson}
 * writes it) and {@code POST /api/v1/whatif} (a what-if run, or a sweep, from the live state: this node's snapshot
 * taken now, and the peers' snapshots the request carries, or, when it carries none, the snapshots this node fetches
 * from the URLs of {@code server.peers} with the caller's token, see {@link PeerSnapshots}). Works when the node is a
 * {@link EngineView} (what
 * {@code Tandem.builder()} builds); otherwise both answer 501. One what-if runs at a time per node (503 while busy),
 * on a thread of its own, never on the engine's.
 */
final class WhatIfEndpoint implements AutoCloseable {
    /** How long a snapshot may wait for the engine's thread. */
    static final long SNAPSHOT_WAIT_MS = 10_000;
    /** The fields a what-if request may have. */
    static final Set<String> FIELDS = Set.of("events", "snapshots", "sweep", "depth", "run", "seed", "bound");

    /** An answer: HTTP status and JSON body. */
    record Answer(HttpResponseStatus status, JsonNode body) {
    }

    private final ClusterNode node;
    private final PeerSnapshots peers;
    private final ExecutorService runner;
    private final Semaphore one = new Semaphore(1);

    WhatIfEndpoint(ClusterNode node, PeerSnapshots peers) {
        this.node = node;
        this.peers = peers;
        this.runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-whatif-" + node.nodeId());
            t.setDaemon(true);
            return t;
        });
    }

    private Answer notAvailable() {
        return new Answer(HttpResponseStatus.NOT_IMPLEMENTED, HttpApi.error("node " + node.nodeId() + " is a "
                + node.getClass().getName() + ", which does not show its engine (not built by Tandem.builder()): no"
                + " snapshot or what-if here"));
    }

    /** {@code GET /api/v1/snapshot}. */
    CompletableFuture<Answer> snapshot() {
        if (!(node instanceof EngineView v)) {
            return CompletableFuture.completedFuture(notAvailable());
        }
        return take(v).handle((s, e) -> s != null ? new Answer(HttpResponseStatus.OK, SnapshotJson.toTree(s)) : failed(e));
    }

    private CompletableFuture<EngineSnapshot> take(EngineView v) {
        return v.snapshot().copy().orTimeout(SNAPSHOT_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    private Answer failed(Throwable e) {
        Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof java.util.concurrent.TimeoutException) {
            return new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, HttpApi.error("the engine of node " + node.nodeId()
                    + " did not answer within " + SNAPSHOT_WAIT_MS / 1000 + " s (busy or paused); try again"));
        }
        if (c instanceof IllegalStateException) {
            return new Answer(HttpResponseStatus.CONFLICT, HttpApi.error(c.getMessage() + "; start it, or ask a running node"));
        }
        return new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, HttpApi.error("node " + node.nodeId()
                + " could not take its engine's snapshot: " + c + "; see the node's log"));
    }

    /**
     * {@code POST /api/v1/whatif} with its JSON body; {@code authorization} is the caller's header, passed on to the
     * peers when the body carries no snapshots.
     */
    CompletableFuture<Answer> whatIf(JsonNode body, String authorization) {
        if (!(node instanceof EngineView v)) {
            return CompletableFuture.completedFuture(notAvailable());
        }
        Request r;
        try {
            r = Request.of(body);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(bad(e.getMessage()));
        }
        if (!one.tryAcquire()) {
            return CompletableFuture.completedFuture(new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, HttpApi.error(
                    "a what-if runs on node " + node.nodeId() + " already (one at a time); try again when it is done")));
        }
        CompletableFuture<Answer> out = new CompletableFuture<>();
        boolean fetch = !r.snapshotsGiven() && !peers.urls().isEmpty();
        CompletableFuture<PeerSnapshots.Fetched> fetched = fetch
                ? peers.fetch(node.nodeId(), cluster(v), authorization) : CompletableFuture.completedFuture(null);
        take(v).thenCombine(fetched.exceptionally(e -> null), (own, f) -> new Object[] {own, f})
                .whenComplete((both, e) -> {
                    if (both == null) {
                        one.release();
                        out.complete(failed(e));
                        return;
                    }
                    EngineSnapshot own = (EngineSnapshot) both[0];
                    PeerSnapshots.Fetched f = (PeerSnapshots.Fetched) both[1];
                    try {
                        runner.execute(() -> {
                            try {
                                out.complete(fetch && f == null ? new Answer(HttpResponseStatus.BAD_GATEWAY, HttpApi.error(
                                        "node " + node.nodeId() + " could not ask its peers for their snapshots; see its log"))
                                        : run(v.configuration(), own, r, f));
                            } catch (IllegalArgumentException x) {
                                out.complete(bad(x.getMessage()));
                            } catch (RuntimeException | Error x) {
                                out.complete(new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, HttpApi.error(
                                        "the what-if failed on node " + node.nodeId() + ": " + x + "; see the node's log")));
                            } finally {
                                one.release();
                            }
                        });
                    } catch (RejectedExecutionException x) {
                        one.release();
                        out.complete(new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, HttpApi.error("node " + node.nodeId()
                                + "'s API is closing")));
                    }
                });
        return out;
    }

    private static String cluster(EngineView v) {
        try {
            return v.configuration().cluster();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Answer bad(String why) {
        return new Answer(HttpResponseStatus.BAD_REQUEST, HttpApi.error(why + "; send " + USAGE));
    }

    static final String USAGE = "{\"events\":\"crash node1; run 30s\" (or a list of events), optional \"snapshots\":"
            + "{\"node2\": <its GET /api/v1/snapshot>, ...} (every other running node; without it, this node fetches them"
            + " from server.peers with your token), optional \"sweep\":true, \"depth\":1|2,"
            + " \"run\":\"30s\", \"bound\":\"30s\", \"seed\":1}";

    /** A what-if request, checked. */
    record Request(List<String> events, Map<String, EngineSnapshot> peers, boolean snapshotsGiven, boolean sweep,
                   int depth, String run, String bound, long seed) {
        static Request of(JsonNode body) {
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!FIELDS.contains(f)) {
                    throw new IllegalArgumentException("unknown field '" + f + "'");
                }
            }
            List<String> events = new ArrayList<>();
            JsonNode ev = body.get("events");
            if (ev != null && ev.isTextual()) {
                events.add(ev.asText());
            } else if (ev != null && ev.isArray()) {
                for (JsonNode e : ev) {
                    if (!e.isTextual()) {
                        throw new IllegalArgumentException("field 'events' must hold text, not " + e);
                    }
                    events.add(e.asText());
                }
            } else if (ev != null && !ev.isNull()) {
                throw new IllegalArgumentException("field 'events' must be text or a list of texts, not " + ev);
            }
            Map<String, EngineSnapshot> peers = new LinkedHashMap<>();
            JsonNode ss = body.get("snapshots");
            if (ss != null && !ss.isNull()) {
                if (!ss.isObject()) {
                    throw new IllegalArgumentException("field 'snapshots' must be an object: node id to its snapshot");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = ss.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    EngineSnapshot s;
                    try {
                        s = SnapshotJson.fromTree(e.getValue());
                    } catch (RuntimeException x) {
                        throw new IllegalArgumentException("the snapshot given for node " + e.getKey() + " cannot be read ("
                                + x.getMessage() + "); give what GET /api/v1/snapshot of that node answers");
                    }
                    if (!s.self().equals(e.getKey())) {
                        throw new IllegalArgumentException("the snapshot given for node " + e.getKey() + " is node "
                                + s.self() + "'s");
                    }
                    peers.put(e.getKey(), s);
                }
            }
            boolean sweep = flag(body, "sweep");
            int depth = body.has("depth") ? body.get("depth").asInt(-1) : 1;
            if (depth != 1 && depth != 2) {
                throw new IllegalArgumentException("field 'depth' must be 1 or 2, not " + body.get("depth"));
            }
            long seed = body.has("seed") ? body.get("seed").asLong(1) : 1;
            return new Request(events, peers, ss != null && !ss.isNull(), sweep, depth, time(body, "run"), time(body, "bound"),
                    seed);
        }

        private static boolean flag(JsonNode body, String f) {
            JsonNode n = body.get(f);
            if (n != null && !n.isBoolean() && !n.isNull()) {
                throw new IllegalArgumentException("field '" + f + "' must be true or false, not " + n);
            }
            return n != null && n.asBoolean();
        }

        private static String time(JsonNode body, String f) {
            JsonNode n = body.get(f);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isTextual()) {
                throw new IllegalArgumentException("field '" + f + "' must be a time such as \"30s\", not " + n);
            }
            return n.asText();
        }
    }

    private Answer run(ClusterSpec spec, EngineSnapshot own, Request r, PeerSnapshots.Fetched fetched) {
        Map<String, EngineSnapshot> all = new LinkedHashMap<>();
        all.put(own.self(), own);
        (fetched != null ? fetched.snapshots() : r.peers()).forEach((id, s) -> {
            if (!id.equals(own.self())) { // this node's own snapshot is the one taken now
                all.put(id, s);
            }
        });
        for (String id : all.keySet()) {
            if (!spec.nodeIds().contains(id)) {
                throw new IllegalArgumentException("node " + id + " is not in cluster " + spec.cluster() + " (its nodes: "
                        + spec.nodeIds() + ")");
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> hearers = new ArrayList<>();
        for (EngineSnapshot s : all.values()) {
            for (EngineSnapshot.Peer p : s.peers()) {
                if (p.reachable() && !all.containsKey(p.id()) && !missing.contains(p.id())) {
                    missing.add(p.id());
                    if (!hearers.contains(s.self())) {
                        hearers.add(s.self());
                    }
                }
            }
        }
        if (!missing.isEmpty() && fetched != null) {
            // a peer that does not answer counts as down only if no node heard here hears it
            String heard = "node(s) " + String.join(", ", missing) + " are up (" + String.join(" and ", hearers)
                    + (hearers.size() == 1 ? " hears" : " hear") + " them)";
            if (!fetched.failures().isEmpty()) {
                return new Answer(HttpResponseStatus.BAD_GATEWAY, HttpApi.error(heard + " but node " + own.self()
                        + " could not fetch their snapshots: " + failures(fetched) + "; fix that, or send their snapshots"
                        + " in 'snapshots'"));
            }
            return new Answer(HttpResponseStatus.CONFLICT, HttpApi.error(heard + " but no URL of server.peers of node "
                    + own.self() + " answers as them (asked: " + String.join(", ", peers.urls()) + "); add their API URLs"
                    + " to server.peers, or send their snapshots in 'snapshots'"));
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("node(s) " + String.join(", ", missing) + " are up (" + own.self()
                    + " hears them) but the request carries no snapshot of them, so the simulation would count them"
                    + " as down; fetch GET /api/v1/snapshot from each and send it in 'snapshots', or list their API URLs"
                    + " in server.peers of node " + own.self() + " and send no 'snapshots'");
        }
        WhatIf.Options o = WhatIf.Options.defaults().withSnapshots(all).withSeed(r.seed())
                .withRun(r.run() == null ? 30_000 : ms(r.run(), "run"));
        ObjectNode answer;
        String text;
        if (r.sweep()) {
            Sweep.Result res = Sweep.run(spec, o, r.events(), Sweep.Options.defaults().withDepth(r.depth())
                    .withBound(r.bound() == null ? 30_000 : ms(r.bound(), "bound")));
            answer = tree(res.json());
            text = res.text();
        } else {
            WhatIfReport rep = WhatIf.run(spec, o, r.events());
            answer = tree(rep.json());
            text = rep.text();
        }
        ObjectNode from = answer.putObject("snapshotsFrom");
        from.put(own.self(), "this node, now");
        if (fetched != null) {
            fetched.sources().forEach((id, url) -> from.put(id, url));
            com.fasterxml.jackson.databind.node.ArrayNode un = answer.putArray("peersUnanswered");
            fetched.failures().forEach(f -> un.addObject().put("url", f.url()).put("reason", f.reason()));
            if (!fetched.failures().isEmpty()) {
                text = "(" + failures(fetched) + ": counted as down, as no node asked hears them)\n" + text;
            }
        } else {
            r.peers().keySet().stream().filter(id -> !id.equals(own.self())).forEach(id -> from.put(id, "the request"));
        }
        answer.put("text", text);
        return new Answer(HttpResponseStatus.OK, answer);
    }

    private static String failures(PeerSnapshots.Fetched f) {
        List<String> out = new ArrayList<>();
        f.failures().forEach(x -> out.add(x.url() + " " + x.reason()));
        return String.join("; ", out);
    }

    private static long ms(String time, String field) {
        try {
            return WhatIfEvents.parse(null, List.of("run " + time)).runMs();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field '" + field + "' takes a time such as 500ms, 30s or 2m, not '" + time + "'");
        }
    }

    private static ObjectNode tree(String json) {
        try {
            return (ObjectNode) JsonTrees.parse(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the what-if tool wrote JSON this API cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
    }
}
