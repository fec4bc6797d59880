package org.tandemha.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;
import org.tandemha.api.ResourceStatus;
import org.tandemha.api.Severity;
import org.tandemha.core.json.JsonTrees;

/**
 * The JSON form of the status snapshot, events and command results served by the node's HTTP API
 * ({@code /api/v1}), and read back by its clients (the {@code tandem} command line, the console). Written field by
 * field so that the format is stable and readable: times are ISO-8601 strings, durations are milliseconds
 * (fractional), enums are their names, absent values are {@code null}. Readers ignore fields they do not know and
 * map states newer than themselves to {@code UNKNOWN}.
 *
 * <p>The status: {@code cluster, localNode, time, ageMs, stale, nodes[], paths[], groups[]}; each node has
 * {@code node, state, incarnation, detail, pingReachable, pingHosts}: how many of its ping hosts it reaches (as it last
 * announced; {@code null} until it has, or without a {@code ping} section) and how many it pings ({@code null} without
 * a {@code ping} section). {@code time} is when the
 * engine last built its view (it rebuilds it only after something happened), {@code ageMs} is the age of the view
 * served ({@link #viewAge}): about 0 when it is current, growing only while the engine cannot refresh it, and
 * {@code stale} is true then.
 */
public final class StatusJson {
    private StatusJson() {
    }

    // ------------------------------------------------------------------ writing

    /**
     * The age of the view {@code s}, taken (returned by {@code ClusterNode.status()}) at {@code takenAt}, at
     * {@code now}. A view that is not stale is current when it is taken: the engine rebuilds it whenever an input
     * arrived, so an old {@code time} only means nothing happened since; its age counts from {@code takenAt}. A stale
     * view is the engine's last one: its age counts from its {@code time}. {@code null} when a stale view has no time.
     */
    public static Duration viewAge(ClusterStatus s, Instant takenAt, Instant now) {
        Instant from = s.stale() ? s.time() : takenAt;
        if (from == null) {
            return null;
        }
        return from.isAfter(now) ? Duration.ZERO : Duration.between(from, now);
    }

    /** The status as served at {@code now}, taken just then: with its age ({@link #viewAge}). */
    public static ObjectNode status(ClusterStatus s, Instant now) {
        return status(s, now, now);
    }

    /** The status taken at {@code takenAt} and served at {@code now}: with its age ({@link #viewAge}). */
    public static ObjectNode status(ClusterStatus s, Instant takenAt, Instant now) {
        ObjectNode o = JsonTrees.NODES.objectNode();
        o.put("cluster", s.cluster());
        o.put("localNode", s.localNode());
        o.put("time", instant(s.time()));
        putMs(o, "ageMs", viewAge(s, takenAt, now));
        o.put("stale", s.stale());
        ArrayNode nodes = o.putArray("nodes");
        for (NodeStatus n : s.nodes()) {
            ObjectNode j = nodes.addObject().put("node", n.node()).put("state", name(n.state()))
                    .put("incarnation", n.incarnation()).put("detail", n.detail());
            if (n.pingKnown()) {
                j.put("pingReachable", n.pingReachable());
            } else {
                j.putNull("pingReachable");
            }
            if (n.pingHosts() > 0) {
                j.put("pingHosts", n.pingHosts());
            } else {
                j.putNull("pingHosts");
            }
        }
        ArrayNode paths = o.putArray("paths");
        for (PathStatus p : s.paths()) {
            ObjectNode j = paths.addObject().put("name", p.name()).put("peer", p.peer()).put("transport", p.transport())
                    .put("priority", p.priority()).put("state", name(p.state()));
            putMs(j, "rttMs", p.rtt());
            j.put("lossPercent", p.lossPercent());
            j.put("lastSeen", instant(p.lastSeen()));
        }
        ArrayNode groups = o.putArray("groups");
        for (GroupStatus g : s.groups()) {
            ObjectNode j = groups.addObject().put("group", g.group()).put("localState", name(g.localState()))
                    .put("activeNode", g.activeNode()).put("generation", g.generation());
            strings(j.putArray("preferred"), g.preferred());
            j.put("switchback", g.switchback()).put("managed", g.managed());
            strings(j.putArray("blockedOn"), g.blockedOn());
            ArrayNode rs = j.putArray("resources");
            for (ResourceStatus r : g.resources()) {
                ObjectNode rj = rs.addObject().put("id", r.id()).put("type", r.type()).put("running", r.running());
                if (r.lastCheck() == null) {
                    rj.putNull("lastCheck");
                } else {
                    CheckResult c = r.lastCheck();
                    ObjectNode cj = rj.putObject("lastCheck").put("health", name(c.health())).put("severity", name(c.severity()))
                            .put("reason", c.reason());
                    putMs(cj, "durationMs", c.duration());
                    strings(cj.putArray("output"), c.output());
                }
                rj.put("lastCheckAt", instant(r.lastCheckAt())).put("failures", r.failures());
            }
            j.put("detail", g.detail());
        }
        return o;
    }

    /** The status as served now. */
    public static ObjectNode status(ClusterStatus s) {
        return status(s, Instant.now());
    }

    /** An event with the id the API gave it ({@code id}, then the event's own fields). */
    public static ObjectNode event(long id, ClusterEvent e) {
        ObjectNode o = JsonTrees.NODES.objectNode().put("id", id).put("sequence", e.sequence()).put("time", instant(e.time()))
                .put("kind", name(e.kind())).put("level", name(e.level())).put("node", e.node()).put("group", e.group())
                .put("resource", e.resource()).put("message", e.message());
        ObjectNode d = o.putObject("details");
        e.details().forEach(d::put);
        return o;
    }

    /** A command's answer: {@code accepted, message, durationMs}. */
    public static ObjectNode command(CommandResult r) {
        ObjectNode o = JsonTrees.NODES.objectNode().put("accepted", r.accepted()).put("message", r.message());
        putMs(o, "durationMs", r.duration());
        return o;
    }

    private static void putMs(ObjectNode o, String field, Duration d) {
        if (d == null) {
            o.putNull(field);
        } else {
            o.put(field, d.toNanos() / 1e6);
        }
    }

    private static void strings(ArrayNode a, List<String> values) {
        if (values != null) {
            values.forEach(a::add);
        }
    }

    private static String instant(Instant t) {
        return t == null ? null : t.toString();
    }

    private static String name(Enum<?> e) {
        return e == null ? null : e.name();
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads a status written by {@link #status}.
     *
     * @throws IllegalArgumentException naming the field if something is missing or malformed
     */
    public static ClusterStatus readStatus(JsonNode o) {
        List<NodeStatus> nodes = list(o, "nodes", n -> new NodeStatus(text(n, "node"),
                enumOf(NodeState.class, n, "state", NodeState.UNKNOWN), n.path("incarnation").asLong(), text(n, "detail"),
                n.path("pingReachable").isNumber() ? Math.max(-1, n.get("pingReachable").asInt()) : -1,
                n.path("pingHosts").isNumber() ? Math.max(0, n.get("pingHosts").asInt()) : 0));
        List<PathStatus> paths = list(o, "paths", p -> new PathStatus(text(p, "name"), text(p, "peer"), text(p, "transport"),
                p.path("priority").asInt(), enumOf(PathState.class, p, "state", PathState.UNKNOWN), ms(p, "rttMs"),
                p.path("lossPercent").asDouble(), time(p, "lastSeen")));
        List<GroupStatus> groups = list(o, "groups", g -> new GroupStatus(text(g, "group"),
                enumOf(GroupState.class, g, "localState", GroupState.UNKNOWN), text(g, "activeNode"), g.path("generation").asLong(),
                list(g, "preferred", JsonNode::asText), text(g, "switchback"), g.path("managed").asBoolean(true),
                list(g, "blockedOn", JsonNode::asText), list(g, "resources", StatusJson::readResource), text(g, "detail")));
        return new ClusterStatus(text(o, "cluster"), text(o, "localNode"), time(o, "time"), nodes, paths, groups,
                o.path("stale").asBoolean(false));
    }

    private static ResourceStatus readResource(JsonNode r) {
        JsonNode c = r.get("lastCheck");
        CheckResult check = null;
        if (c != null && c.isObject()) {
            check = new CheckResult(enumOf(CheckResult.Health.class, c, "health", CheckResult.Health.FAILED),
                    enumOf(Severity.class, c, "severity", Severity.SOFT), text(c, "reason"), ms(c, "durationMs"),
                    list(c, "output", JsonNode::asText));
        }
        return new ResourceStatus(text(r, "id"), text(r, "type"), r.path("running").asBoolean(), check,
                time(r, "lastCheckAt"), r.path("failures").asInt());
    }

    /** Reads an event written by {@link #event}; the API's id is not part of it. */
    public static ClusterEvent readEvent(JsonNode e) {
        Map<String, String> details = new LinkedHashMap<>();
        e.path("details").fields().forEachRemaining(f -> details.put(f.getKey(), f.getValue().asText()));
        EventKind kind;
        try {
            kind = EventKind.valueOf(e.path("kind").asText());
        } catch (IllegalArgumentException x) {
            kind = EventKind.NOTE; // an event kind newer than this reader
        }
        return new ClusterEvent(e.path("sequence").asLong(), time(e, "time"), kind,
                enumOf(ClusterEvent.Level.class, e, "level", ClusterEvent.Level.INFO), text(e, "node"), text(e, "group"),
                text(e, "resource"), text(e, "message"), details);
    }

    /** Reads a command's answer written by {@link #command}. */
    public static CommandResult readCommand(JsonNode o) {
        if (!o.path("accepted").isBoolean()) {
            throw new IllegalArgumentException("field 'accepted' is missing or not true/false");
        }
        Duration took = ms(o, "durationMs");
        return new CommandResult(o.get("accepted").asBoolean(), text(o, "message"), took == null ? Duration.ZERO : took);
    }

    private static <T> List<T> list(JsonNode o, String field, Function<JsonNode, T> item) {
        JsonNode a = o.get(field);
        if (a == null || a.isNull()) {
            return List.of();
        }
        if (!a.isArray()) {
            throw new IllegalArgumentException("field '" + field + "' is not a list");
        }
        List<T> out = new ArrayList<>();
        a.forEach(x -> out.add(item.apply(x)));
        return List.copyOf(out);
    }

    private static String text(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant time(JsonNode o, String field) {
        String v = text(o, field);
        try {
            return v == null ? null : Instant.parse(v);
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("field '" + field + "' is not an ISO-8601 time: '" + v + "'");
        }
    }

    private static Duration ms(JsonNode o, String field) {
        JsonNode v = o.get(field);
        return v == null || !v.isNumber() ? null : Duration.ofNanos(Math.round(v.asDouble() * 1e6));
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, JsonNode o, String field, E unknown) {
        String v = text(o, field);
        if (v == null) {
            return unknown;
        }
        try {
            return Enum.valueOf(type, v);
        } catch (IllegalArgumentException e) {
            return unknown; // a state newer than this reader
        }
    }
}
