package org.tandemha.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.ResourceStatus;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.PluginSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.json.JsonTrees;

/**
 * What an action would do, computed from this node's status, the configuration and the last durations this node
 * saw: which resources stop and start where, in which order, the expected downtime (the last durations; at worst
 * the configured timeouts), which arbiters are involved, and whether the cluster will refuse it. A preview only: it
 * changes nothing and is not audited. The engine-snapshot "what if" (issue 18) answers the harder questions.
 */
final class Preview {
    private Preview() {
    }

    static ObjectNode of(String self, ClusterStatus st, ClusterSpec spec, EventLog events, String group, String action,
                         String target, String on) {
        GroupStatus g = st.group(group);
        if (g == null) {
            throw new NoSuchElementException("node " + self + " knows no group '" + group + "'; its groups are: "
                    + String.join(", ", st.groups().stream().map(GroupStatus::group).toList()));
        }
        if (action == null) {
            throw new IllegalArgumentException("missing parameter 'action': give action=switchover&target=NODE,"
                    + " action=switchback, action=maintenance&on=true|false or action=clear");
        }
        GroupSpec gs = spec == null ? null : spec.group(group).orElse(null);
        ObjectNode o = JsonTrees.NODES.objectNode().put("group", group).put("action", action)
                .put("servedBy", self).put("from", g.activeNode()).put("generation", g.generation());
        List<String> refusals = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        String to = null;
        switch (action) {
            case "switchover" -> {
                if (target == null || target.isBlank()) {
                    throw new IllegalArgumentException("missing parameter 'target' for action=switchover: the node to move"
                            + " group " + group + " to (one of " + String.join(", ", g.preferred()) + ")");
                }
                to = target;
                checkTarget(st, g, target, refusals, warnings);
            }
            case "switchback" -> {
                for (String n : g.preferred()) {
                    if (up(st.node(n)) && !g.blockedOn().contains(n)) {
                        to = n;
                        break;
                    }
                }
                if (to == null) {
                    refusals.add("no node of " + String.join(", ", g.preferred()) + " is up and unblocked");
                }
            }
            case "maintenance" -> {
                if (!"true".equals(on) && !"false".equals(on)) {
                    throw new IllegalArgumentException("parameter 'on' must be true or false for action=maintenance, not '" + on + "'");
                }
                boolean turnOn = Boolean.parseBoolean(on);
                o.put("on", turnOn);
                o.put("summary", turnOn ? "the cluster stops managing group " + group + ": no start, stop, recovery or"
                        + " failover until maintenance is off; checks still report; resources stay as they are"
                        : "the cluster manages group " + group + " again: a failed check triggers recovery, a lost node a failover");
                if (turnOn == !g.managed()) {
                    warnings.add("group " + group + " is " + (turnOn ? "in maintenance already" : "managed already") + ": nothing changes");
                }
            }
            case "clear" -> {
                o.put("summary", g.blockedOn().isEmpty() ? "group " + group + " has no recorded failures: nothing changes"
                        : "forgets the failures of group " + group + " on " + String.join(", ", g.blockedOn())
                        + ": those nodes may run it again (clear only after fixing the cause)");
            }
            default -> throw new IllegalArgumentException("unknown action '" + action + "'; use switchover, switchback,"
                    + " maintenance or clear");
        }
        if (!g.managed() && (action.equals("switchover") || action.equals("switchback"))) {
            refusals.add("group " + group + " is in maintenance: take it out first");
        }
        o.put("to", to);
        boolean moves = to != null && !to.equals(g.activeNode()) && (action.equals("switchover") || action.equals("switchback"));
        if (to != null && to.equals(g.activeNode())) {
            warnings.add("group " + group + " runs on " + to + " already: nothing moves");
        }
        ArrayNode steps = o.putArray("steps");
        Map<String, Long> last = lastDurations(events, group);
        long expected = 0;
        long worst = 0;
        boolean allKnown = true;
        if (moves) {
            List<String[]> res = resources(g, gs); // id, type, startTimeoutMs, stopTimeoutMs
            int n = 1;
            if (g.activeNode() != null) {
                for (int i = res.size() - 1; i >= 0; i--) {
                    String[] r = res.get(i);
                    Long l = last.get("stop:" + r[0]);
                    steps.addObject().put("order", n++).put("node", g.activeNode()).put("do", "stop").put("resource", r[0])
                            .put("type", r[1]).put("timeoutMs", r[3] == null ? null : Long.valueOf(r[3])).put("lastMs", l);
                    allKnown &= l != null;
                    expected += l == null ? 0 : l;
                    worst += r[3] == null ? 0 : Long.parseLong(r[3]);
                }
            }
            steps.addObject().put("order", n++).put("node", to).put("do", "claim").put("resource", (String) null)
                    .put("detail", "claims generation " + (g.generation() + 1) + ", acknowledged by the other nodes");
            for (String[] r : res) {
                Long l = last.get("start:" + r[0]);
                steps.addObject().put("order", n++).put("node", to).put("do", "start").put("resource", r[0])
                        .put("type", r[1]).put("timeoutMs", r[2] == null ? null : Long.valueOf(r[2])).put("lastMs", l);
                allKnown &= l != null;
                expected += l == null ? 0 : l;
                worst += r[2] == null ? 0 : Long.parseLong(r[2]);
            }
            ObjectNode d = o.putObject("downtime");
            d.put("expectedMs", allKnown ? Long.valueOf(expected) : null);
            d.put("worstMs", gs == null ? null : Long.valueOf(worst));
            d.put("basis", (allKnown ? "the last stop and start durations seen by node " + self
                    : "no earlier stop/start of every resource seen by node " + self + ": expected downtime unknown")
                    + (gs == null ? "; the configuration was not given to the server: timeouts unknown"
                    : "; worst case: the sum of the configured stop and start timeouts"));
        }
        ArrayNode arbiters = o.putArray("arbiters");
        if (spec != null) {
            for (PluginSpec a : spec.arbiters()) {
                arbiters.addObject().put("id", a.id()).put("type", a.type())
                        .put("role", "asked only in a takeover (a peer unreachable on every path); a planned move is"
                                + " acknowledged by the peer itself");
            }
            if (spec.arbiters().isEmpty()) {
                o.put("arbitersNote", spec.quorum().twoNodeWithoutArbiter() ? "no arbiter configured (quorum."
                        + "twoNodeWithoutArbiter: true): a takeover trusts silence alone" : "no arbiter configured");
            }
            ArrayNode fencers = o.putArray("fencers");
            spec.fencers().forEach(f -> fencers.addObject().put("id", f.id()).put("type", f.type()));
        } else {
            o.put("arbitersNote", "unknown: the configuration was not given to the server (ServerSettings.configFile)");
        }
        refusals.forEach(o.putArray("refusals")::add);
        if (o.get("refusals") == null) {
            o.putArray("refusals");
        }
        warnings.forEach(o.putArray("warnings")::add);
        if (o.get("warnings") == null) {
            o.putArray("warnings");
        }
        o.put("willBeRefused", !refusals.isEmpty());
        if (moves && !o.has("summary")) {
            o.put("summary", "moves group " + group + " from " + (g.activeNode() == null ? "nowhere" : g.activeNode())
                    + " to " + to + ": stops " + (g.activeNode() == null ? "nothing" : "its resources top-down on "
                    + g.activeNode()) + ", then starts them bottom-up on " + to + " at generation " + (g.generation() + 1));
        }
        return o;
    }

    private static void checkTarget(ClusterStatus st, GroupStatus g, String target, List<String> refusals, List<String> warnings) {
        if (!g.preferred().contains(target)) {
            refusals.add("node " + target + " may not run group " + g.group() + " (its nodes: " + String.join(", ", g.preferred()) + ")");
            return;
        }
        NodeStatus n = st.node(target);
        if (!up(n)) {
            refusals.add("node " + target + " is " + (n == null ? "unknown" : n.state().name().toLowerCase()) + " as seen by "
                    + st.localNode());
        }
        if (g.blockedOn().contains(target)) {
            refusals.add("group " + g.group() + " is blocked on " + target + " (an earlier failure): clear it first");
        }
    }

    private static boolean up(NodeStatus n) {
        return n != null && (n.state() == NodeState.LOCAL || n.state() == NodeState.REACHABLE);
    }

    /** The group's resources in start order: id, type, start timeout ms, stop timeout ms (null when unknown). */
    private static List<String[]> resources(GroupStatus g, GroupSpec gs) {
        List<String[]> out = new ArrayList<>();
        if (gs != null) {
            for (ResourceSpec r : gs.resources()) {
                out.add(new String[] {r.id(), r.type(), ms(r.startTimeout()), ms(r.stopTimeout())});
            }
        } else {
            for (ResourceStatus r : g.resources()) {
                out.add(new String[] {r.id(), r.type(), null, null});
            }
        }
        return out;
    }

    private static String ms(Duration d) {
        return d == null ? null : String.valueOf(d.toMillis());
    }

    /** The last start and stop durations of the group's resources in this node's events ("start:ID", "stop:ID"). */
    private static Map<String, Long> lastDurations(EventLog events, String group) {
        Map<String, Long> out = new HashMap<>();
        if (events == null) {
            return out;
        }
        long after = Math.max(0, events.lastId() - EventLog.KEPT);
        for (JsonNode e : events.after(after, EventLog.KEPT).events()) {
            if (!group.equals(e.path("group").asText()) || !e.path("details").has("durationMs")) {
                continue;
            }
            String kind = e.path("kind").asText();
            String key = kind.equals("RESOURCE_STARTED") ? "start:" : kind.equals("RESOURCE_STOPPED") ? "stop:" : null;
            if (key != null) {
                try {
                    out.put(key + e.path("resource").asText(), Long.parseLong(e.path("details").path("durationMs").asText()));
                } catch (NumberFormatException ignored) {
                    // not a number: left unknown
                }
            }
        }
        return out;
    }
}
