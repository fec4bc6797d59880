package org.tandemha.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
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

/**
 * Reads the API's JSON (status, events, command results; the format of {@code /api/v1}) back into the API's value
 * types, for the CLI. Tolerant of what a newer node adds: unknown fields are ignored, an unknown state or event kind
 * reads as UNKNOWN or NOTE. Times are ISO-8601 strings, durations milliseconds.
 */
final class StatusReader {
    private StatusReader() {
    }

    /**
     * Reads a status.
     *
     * @throws IllegalArgumentException naming the field if something is malformed
     */
    static ClusterStatus status(JsonNode o) {
        List<NodeStatus> nodes = list(o, "nodes", n -> new NodeStatus(text(n, "node"),
                enumOf(NodeState.class, n, "state", NodeState.UNKNOWN), n.path("incarnation").asLong(), text(n, "detail")));
        List<PathStatus> paths = list(o, "paths", p -> new PathStatus(text(p, "name"), text(p, "peer"), text(p, "transport"),
                p.path("priority").asInt(), enumOf(PathState.class, p, "state", PathState.UNKNOWN), ms(p, "rttMs"),
                p.path("lossPercent").asDouble(), time(p, "lastSeen")));
        List<GroupStatus> groups = list(o, "groups", g -> new GroupStatus(text(g, "group"),
                enumOf(GroupState.class, g, "localState", GroupState.UNKNOWN), text(g, "activeNode"), g.path("generation").asLong(),
                list(g, "preferred", JsonNode::asText), text(g, "switchback"), g.path("managed").asBoolean(true),
                list(g, "blockedOn", JsonNode::asText), list(g, "resources", StatusReader::resource), text(g, "detail")));
        return new ClusterStatus(text(o, "cluster"), text(o, "localNode"), time(o, "time"), nodes, paths, groups,
                o.path("stale").asBoolean(false));
    }

    private static ResourceStatus resource(JsonNode r) {
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

    /** Reads one event of {@code /api/v1/events}. */
    static ClusterEvent event(JsonNode e) {
        Map<String, String> details = new LinkedHashMap<>();
        e.path("details").fields().forEachRemaining(f -> details.put(f.getKey(), f.getValue().asText()));
        EventKind kind;
        try {
            kind = EventKind.valueOf(e.path("kind").asText());
        } catch (IllegalArgumentException x) {
            kind = EventKind.NOTE; // an event kind newer than this reader
        }
        return new ClusterEvent(e.path("sequence").asLong(e.path("id").asLong()), time(e, "time"), kind,
                enumOf(ClusterEvent.Level.class, e, "level", ClusterEvent.Level.INFO), text(e, "node"), text(e, "group"),
                text(e, "resource"), text(e, "message"), details);
    }

    /** Reads a command's answer ({@code accepted}, {@code message}, {@code durationMs}). */
    static CommandResult command(JsonNode o) {
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
