package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.tandemha.api.Problem;

/**
 * Reads the resource groups ({@code groups}): their nodes in priority order, switchback, recovery limits and
 * resources (type, parameters, dependencies within the group, timeouts and check intervals), and orders each group's
 * resources dependencies first, reporting every dependency cycle.
 */
final class GroupsReader extends ConfigFields {
    private static final List<String> GROUP_KEYS = List.of("id", "nodes", "switchback", "settle", "recovery", "resources", "promotable",
            "dr");
    private static final List<String> DR_KEYS = List.of("nodes", "autoPromote");
    private static final List<String> RECOVERY_KEYS = List.of("maxAttempts", "window");
    private static final List<String> RESOURCE_KEYS = List.of("id", "type", "params", "dependsOn", "start", "stop",
            "recover", "quickCheck", "deepCheck", "site");
    private static final List<String> TIMEOUT_KEYS = List.of("timeout");
    private static final List<String> CHECK_KEYS = List.of("interval", "timeout");

    /** The resource types available, or null when they are not known (then any type is accepted). */
    private final Set<String> knownTypes;

    GroupsReader(List<Problem> problems, Set<String> knownTypes) {
        super(problems);
        this.knownTypes = knownTypes == null ? null : new TreeSet<>(knownTypes);
    }

    List<GroupSpec> groups(JsonNode list, List<ClusterSpec.NodeSpec> nodes, JsonNode nodesNode) {
        List<GroupSpec> out = new ArrayList<>();
        List<JsonNode> items = list(list, "groups", true, 1, "add at least one group, with its nodes and resources");
        Set<String> nodeIds = new LinkedHashSet<>();
        nodes.forEach(n -> nodeIds.add(n.id()));
        boolean nodesListed = nodesNode != null && nodesNode.isArray();
        Set<String> groupIds = new HashSet<>();
        Map<String, String> resourceGroup = new HashMap<>(); // resource id -> group id, over the whole cluster
        Map<String, String> resourcePath = new HashMap<>();
        // First pass: every resource id in the cluster, so that dependsOn can tell "other group" from "unknown".
        for (int i = 0; i < items.size(); i++) {
            JsonNode g = items.get(i);
            if (g == null || !g.isObject()) {
                continue;
            }
            String gid = label(g, "id", i);
            JsonNode rs = g.get("resources");
            if (rs != null && rs.isArray()) {
                for (JsonNode r : rs) {
                    JsonNode rid = r == null ? null : r.get("id");
                    if (rid != null && rid.isValueNode() && ID.matcher(rid.asText()).matches()) {
                        resourceGroup.putIfAbsent(rid.asText(), gid);
                    }
                }
            }
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode g = items.get(i);
            String at = "groups[" + label(g, "id", i) + "]";
            if (!object(g, at)) {
                continue;
            }
            knownFields(g, at, GROUP_KEYS);
            String id = id(g, "id", at + ".id", true);
            if (id != null && !groupIds.add(id)) {
                problem(at + ".id", "duplicate group id '" + id + "'", "give each group a different id");
                id = null;
            }
            List<String> members = new ArrayList<>();
            List<JsonNode> ns = list(g.get("nodes"), at + ".nodes", true, 1,
                    "list the nodes that may run this group, most preferred first");
            for (int j = 0; j < ns.size(); j++) {
                JsonNode n = ns.get(j);
                String f = at + ".nodes[" + j + "]";
                if (n == null || !n.isValueNode() || n.isNull()) {
                    problem(f, "expected a node id, found " + kind(n), "write the id of a configured node");
                    continue;
                }
                String nid = n.asText();
                if (!nodesListed) {
                    members.add(nid); // the nodes list itself is broken (already reported): do not pile on
                } else if (!nodeIds.contains(nid)) {
                    problem(f, "node '" + nid + "' is not configured" + suggestion(nid, nodeIds),
                            nodeIds.isEmpty() ? "define it under nodes"
                                    : "use one of the configured nodes (" + String.join(", ", nodeIds)
                                    + "), or add '" + nid + "' under nodes");
                } else if (members.contains(nid)) {
                    problem(f, "node '" + nid + "' is listed twice", "list each node once, most preferred first");
                } else {
                    members.add(nid);
                }
            }
            SwitchbackPolicy switchback = SwitchbackPolicy.ADMINISTRATOR;
            JsonNode sb = present(g.get("switchback"));
            if (sb != null) {
                String v = sb.isTextual() ? sb.asText().strip().toUpperCase(Locale.ROOT) : "";
                if (v.equals("AUTOMATIC")) {
                    switchback = SwitchbackPolicy.AUTOMATIC;
                } else if (!v.equals("ADMINISTRATOR")) {
                    problem(at + ".switchback", "unknown switchback policy " + show(sb),
                            "use administrator (the group stays until an operator moves it) or automatic");
                }
            }
            Duration settle = duration(g, "settle", at + ".settle", Duration.ofSeconds(10));
            int maxAttempts = 3;
            Duration window = Duration.ofMinutes(10);
            JsonNode rec = present(g.get("recovery"));
            if (rec != null && object(rec, at + ".recovery")) {
                knownFields(rec, at + ".recovery", RECOVERY_KEYS);
                maxAttempts = integer(rec, "maxAttempts", at + ".recovery.maxAttempts", 3, 0, 1000);
                window = duration(rec, "window", at + ".recovery.window", window);
            }
            List<ResourceSpec> resources = resources(g.get("resources"), at, id, resourceGroup, resourcePath);
            boolean promotable = false;
            JsonNode pr = present(g.get("promotable"));
            if (pr != null) {
                if (!pr.isBoolean()) {
                    problem(at + ".promotable", "expected true or false, found " + show(pr),
                            "write promotable: true for a replicated group (primary on one node, standbys on the others)");
                } else {
                    promotable = pr.asBoolean();
                }
            }
            if (promotable && resources.isEmpty()) {
                problem(at + ".promotable", "a promotable group needs a replicated resource",
                        "list the replicated resource (a postgresql with replication) first under resources");
            }
            DrSpec dr = dr(g, at, promotable, members, nodeIds, nodesListed, resources);
            if (id != null) {
                out.add(new GroupSpec(id, members, switchback, settle, maxAttempts, window, resources, promotable, dr));
            }
        }
        return out;
    }

    /**
     * {@code dr: {nodes: [node3], autoPromote: false}} and the resources' {@code site: primary|dr}: the DR nodes are
     * appended to {@code members} (after the group's own nodes, so never preferred).
     */
    private DrSpec dr(JsonNode g, String at, boolean promotable, List<String> members, Set<String> nodeIds,
                      boolean nodesListed, List<ResourceSpec> resources) {
        Map<String, String> sites = new LinkedHashMap<>();
        JsonNode rs = g.get("resources");
        if (rs != null && rs.isArray()) {
            for (int i = 0; i < rs.size(); i++) {
                JsonNode r = rs.get(i);
                JsonNode site = r == null || !r.isObject() ? null : present(r.get("site"));
                if (site == null) {
                    continue;
                }
                String rat = at + ".resources[" + label(r, "id", i) + "].site";
                String v = site.isTextual() ? site.asText().strip().toLowerCase(Locale.ROOT) : "";
                if (!v.equals(DrSpec.PRIMARY) && !v.equals(DrSpec.DR)) {
                    problem(rat, "unknown site " + show(site), "write site: primary (runs only with a primary at the"
                            + " primary site, such as its address) or site: dr (runs only with a primary at the DR site)");
                } else if (r.get("id") != null && r.get("id").isTextual()) {
                    sites.put(r.get("id").asText(), v);
                }
            }
        }
        JsonNode d = present(g.get("dr"));
        if (d == null) {
            if (!sites.isEmpty()) {
                problem(at + ".resources", "resources with a site (" + String.join(", ", sites.keySet()) + "), but the group"
                        + " has no DR site", "add dr: {nodes: [...]} to the group, or remove site from its resources");
            }
            return DrSpec.NONE;
        }
        if (!object(d, at + ".dr")) {
            return DrSpec.NONE;
        }
        knownFields(d, at + ".dr", DR_KEYS);
        if (!promotable) {
            problem(at + ".dr", "a DR site needs a promotable group (a replicated resource with a standby at the DR site)",
                    "add promotable: true to the group and list a replicated resource (postgresql with replication) first");
        }
        List<String> drNodes = new ArrayList<>();
        List<JsonNode> ns = list(d.get("nodes"), at + ".dr.nodes", true, 1,
                "list the nodes of the DR site, such as dr: {nodes: [node3]}");
        for (int j = 0; j < ns.size(); j++) {
            JsonNode n = ns.get(j);
            String f = at + ".dr.nodes[" + j + "]";
            if (n == null || !n.isValueNode() || n.isNull()) {
                problem(f, "expected a node id, found " + kind(n), "write the id of a configured node");
                continue;
            }
            String nid = n.asText();
            if (nodesListed && !nodeIds.contains(nid)) {
                problem(f, "node '" + nid + "' is not configured" + suggestion(nid, nodeIds),
                        "define it under nodes, or use one of " + String.join(", ", nodeIds));
            } else if (members.contains(nid)) {
                problem(f, "node '" + nid + "' is listed both in the group's nodes and in dr.nodes",
                        "list a primary-site node under nodes and a DR node under dr.nodes only");
            } else if (drNodes.contains(nid)) {
                problem(f, "node '" + nid + "' is listed twice", "list each DR node once");
            } else {
                drNodes.add(nid);
            }
        }
        members.addAll(drNodes);
        boolean auto = bool(d, "autoPromote", at + ".dr.autoPromote", false);
        if (!resources.isEmpty() && sites.containsKey(resources.get(0).id()) && promotable) {
            problem(at + ".resources[" + resources.get(0).id() + "].site", "the replicated resource runs at both sites"
                    + " (the DR standby is its copy)", "remove site from it; give a site to the addresses only");
        }
        for (ResourceSpec r : resources) {
            for (String dep : r.dependsOn()) {
                String ds = sites.get(dep);
                if (ds != null && !ds.equals(sites.get(r.id()))) {
                    problem(at + ".resources[" + r.id() + "].dependsOn", "'" + r.id() + "' depends on '" + dep
                            + "', which runs only at the " + ds + " site", "give '" + r.id() + "' site: " + ds
                            + ", or make it depend on a resource that runs at both sites");
                }
            }
        }
        return new DrSpec(drNodes, auto, sites);
    }

    List<ResourceSpec> resources(JsonNode list, String groupAt, String groupId, Map<String, String> resourceGroup,
                                         Map<String, String> resourcePath) {
        List<JsonNode> items = list(list, groupAt + ".resources", true, 1,
                "add at least one resource, e.g. {id: vip, type: ip, params: {...}}");
        List<ResourceSpec> specs = new ArrayList<>();
        Set<String> local = new LinkedHashSet<>();
        for (JsonNode r : items) {
            JsonNode rid = r == null ? null : r.get("id");
            if (rid != null && rid.isValueNode() && ID.matcher(rid.asText()).matches()) {
                local.add(rid.asText());
            }
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode n = items.get(i);
            String at = groupAt + ".resources[" + label(n, "id", i) + "]";
            if (!object(n, at)) {
                continue;
            }
            knownFields(n, at, RESOURCE_KEYS);
            String id = id(n, "id", at + ".id", true);
            if (id != null) {
                String first = resourcePath.putIfAbsent(id, at);
                if (first != null) {
                    problem(at + ".id", "duplicate resource id '" + id + "' (already used at " + first + ")",
                            "give each resource a different id; ids are unique across the whole cluster");
                    id = null;
                }
            }
            String type = null;
            JsonNode t = present(n.get("type"));
            if (t == null) {
                problem(at + ".type", "missing required field 'type'", knownTypes == null
                        ? "add type: <resource type>" : "add type: <one of " + String.join(", ", knownTypes) + ">");
            } else if (!t.isTextual()) {
                problem(at + ".type", "type must be text, found " + kind(t), "write type: <resource type name>");
            } else if (knownTypes != null && !knownTypes.contains(t.asText())) {
                problem(at + ".type", "unknown resource type '" + t.asText() + "'" + suggestion(t.asText(), knownTypes),
                        knownTypes.isEmpty() ? "no resource type is available: add the module that provides it"
                                : "use one of the known types: " + String.join(", ", knownTypes)
                                + " (or add the module that provides '" + t.asText() + "')");
            } else {
                type = t.asText();
            }
            Map<String, Object> params = freeMap(n.get("params"), at + ".params");
            for (String[] miss : NodeParams.nearMisses(params, at + ".params")) {
                problem(miss[0], "'" + miss[1] + "' is not a placeholder Tandem knows",
                        "write " + NodeParams.NODE + " (replaced by the id of the node that runs the resource)");
            }
            List<String> deps = new ArrayList<>();
            List<JsonNode> ds = list(n.get("dependsOn"), at + ".dependsOn", false, 0, null);
            for (int j = 0; j < ds.size(); j++) {
                JsonNode d = ds.get(j);
                String f = at + ".dependsOn[" + j + "]";
                if (d == null || !d.isValueNode() || d.isNull()) {
                    problem(f, "expected a resource id, found " + kind(d), "write the id of a resource of the same group");
                    continue;
                }
                String dep = d.asText();
                if (dep.equals(id) || id == null && n.path("id").asText("").equals(dep)) {
                    problem(f, "resource '" + dep + "' depends on itself", "remove '" + dep + "' from its own dependsOn");
                } else if (local.contains(dep)) {
                    if (deps.contains(dep)) {
                        problem(f, "'" + dep + "' is listed twice", "list each dependency once");
                    } else {
                        deps.add(dep);
                    }
                } else if (resourceGroup.containsKey(dep)) {
                    problem(f, "resource '" + dep + "' is in group '" + resourceGroup.get(dep)
                                    + "'; a resource can depend only on resources of its own group",
                            "move '" + dep + "' into this group, or remove the dependency");
                } else {
                    problem(f, "no resource '" + dep + "' in this group" + suggestion(dep, local),
                            local.size() <= 1 ? "remove the dependency, or add the resource '" + dep + "' to this group"
                                    : "use one of the resources of this group: " + String.join(", ", local));
                }
            }
            Duration start = timeout(n, "start", at, Duration.ofSeconds(60));
            Duration stop = timeout(n, "stop", at, Duration.ofSeconds(60));
            Duration recover = timeout(n, "recover", at, start.plus(stop));
            Duration[] quick = check(n, "quickCheck", at, Duration.ofSeconds(10), Duration.ofSeconds(5));
            Duration[] deep = check(n, "deepCheck", at, Duration.ofSeconds(60), Duration.ofSeconds(30));
            if (id != null && type != null) {
                specs.add(new ResourceSpec(id, type, at, params, deps, start, stop, recover, quick[0], quick[1],
                        deep[0], deep[1], explicitTimeouts(n)));
            }
        }
        return sort(specs, groupAt);
    }

    /** Which of {@link ResourceSpec#TIMEOUTS} the configuration sets itself (the others may be advised by the agent). */
    static Set<String> explicitTimeouts(JsonNode r) {
        Set<String> set = new java.util.TreeSet<>();
        for (String key : ResourceSpec.TIMEOUTS) {
            JsonNode n = r.get(key);
            if (n != null && n.isObject() && n.get("timeout") != null && !n.get("timeout").isNull()) {
                set.add(key);
            }
        }
        return set;
    }

    Duration timeout(JsonNode r, String key, String at, Duration dflt) {
        JsonNode n = present(r.get(key));
        String f = at + "." + key;
        if (n == null || !object(n, f)) {
            return dflt;
        }
        knownFields(n, f, TIMEOUT_KEYS);
        return duration(n, "timeout", f + ".timeout", dflt);
    }

    Duration[] check(JsonNode r, String key, String at, Duration interval, Duration timeout) {
        JsonNode n = present(r.get(key));
        String f = at + "." + key;
        if (n == null || !object(n, f)) {
            return new Duration[] {interval, timeout};
        }
        knownFields(n, f, CHECK_KEYS);
        return new Duration[] {duration(n, "interval", f + ".interval", interval),
                duration(n, "timeout", f + ".timeout", timeout)};
    }

    /** Stable topological sort (dependencies first, else configuration order); reports each cycle found. */
    List<ResourceSpec> sort(List<ResourceSpec> specs, String groupAt) {
        Map<String, ResourceSpec> byId = new LinkedHashMap<>();
        specs.forEach(s -> byId.put(s.id(), s));
        List<ResourceSpec> sorted = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        List<ResourceSpec> remaining = new ArrayList<>(specs);
        while (!remaining.isEmpty()) {
            ResourceSpec next = null;
            for (ResourceSpec s : remaining) {
                if (s.dependsOn().stream().allMatch(d -> placed.contains(d) || !byId.containsKey(d))) {
                    next = s;
                    break;
                }
            }
            if (next != null) {
                remaining.remove(next);
                placed.add(next.id());
                sorted.add(next);
                continue;
            }
            // Stuck: every remaining resource waits for another remaining one, so following any chain finds a cycle.
            List<String> chain = new ArrayList<>();
            String cur = remaining.get(0).id();
            while (!chain.contains(cur)) {
                chain.add(cur);
                String from = cur;
                cur = byId.get(from).dependsOn().stream().filter(d -> byId.containsKey(d) && !placed.contains(d))
                        .findFirst().orElseThrow();
            }
            List<String> cycle = new ArrayList<>(chain.subList(chain.indexOf(cur), chain.size()));
            cycle.add(cur);
            problem(groupAt + ".resources[" + cycle.get(0) + "].dependsOn", "dependency cycle: " + String.join(" -> ", cycle),
                    "remove one of these dependencies so that the resources can be started in order");
            for (String c : cycle) {
                placed.add(c); // let the rest of the group be checked for further cycles
            }
            remaining.removeIf(s -> cycle.contains(s.id()));
        }
        return sorted;
    }
}
