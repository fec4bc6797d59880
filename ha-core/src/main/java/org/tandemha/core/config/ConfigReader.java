package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.tandemha.api.Durations;
import org.tandemha.api.Problem;

/**
 * Walks a parsed configuration tree, applies defaults and collects every problem. One instance per load; it never
 * throws for bad input (it records a problem and goes on with a harmless value).
 */
final class ConfigReader {
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern TRANSPORT = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.-]{1,253}");
    private static final Pattern HOST6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9_.-]{1,32})?");
    private static final Pattern HEX = Pattern.compile("([0-9A-Fa-f]{2})*");
    private static final Set<String> ADDRESSED = Set.of("udp", "tcp", "multicast");
    private static final Duration MAX_DURATION = Duration.ofDays(365);
    private static final int MIN_KEY = 16;
    private static final String DURATION_FORMS = "write it with a unit, like 200ms, 5s, 1m30s or 2h";
    private static final String ID_FIX = "use 1 to 64 letters, digits, '_', '.' or '-'";

    static final List<String> ROOT_KEYS = List.of("cluster", "key", "keyFile", "nodes", "paths", "arbiters", "fencing",
            "quorum", "timing", "groups", "watchdog");
    private static final List<String> NODE_KEYS = List.of("id", "addresses");
    private static final List<String> PATH_KEYS = List.of("name", "transport", "priority", "interval", "misses", "options");
    private static final List<String> PLUGIN_KEYS = List.of("type", "id", "params");
    private static final List<String> QUORUM_KEYS = List.of("twoNodeWithoutArbiter", "lossGrace", "witnessVote");
    private static final List<String> TIMING_KEYS = List.of("startupWait", "safetyRetryMin", "safetyRetryMax",
            "safetyTimeout", "pauseThreshold", "commandTimeout", "fenceTimeout");
    private static final List<String> GROUP_KEYS = List.of("id", "nodes", "switchback", "settle", "recovery", "resources");
    private static final List<String> RECOVERY_KEYS = List.of("maxAttempts", "window");
    private static final List<String> RESOURCE_KEYS = List.of("id", "type", "params", "dependsOn", "start", "stop",
            "recover", "quickCheck", "deepCheck");
    private static final List<String> TIMEOUT_KEYS = List.of("timeout");
    private static final List<String> CHECK_KEYS = List.of("interval", "timeout");

    private final List<Problem> problems;
    private final Set<String> knownTypes;
    private final Path baseDir;

    ConfigReader(List<Problem> problems, Set<String> knownTypes, Path baseDir) {
        this.problems = problems;
        this.knownTypes = knownTypes == null ? null : new TreeSet<>(knownTypes);
        this.baseDir = baseDir;
    }

    private void problem(String field, String message, String fix) {
        problems.add(new Problem(field, message, fix));
    }

    ClusterSpec read(JsonNode root) {
        if (!root.isObject()) {
            problem("(config)", "the configuration must be a map of fields, found " + kind(root),
                    "start the file with 'cluster: <name>' followed by key, nodes, paths and groups");
            return null;
        }
        knownFields(root, "", ROOT_KEYS);
        String cluster = id(root, "cluster", "cluster", true);
        byte[] key = key(root);

        List<ClusterSpec.PathSpec> paths = paths(root.get("paths"));
        List<ClusterSpec.NodeSpec> nodes = nodes(root.get("nodes"), paths);
        List<PluginSpec> arbiters = plugins(root.get("arbiters"), "arbiters");
        List<PluginSpec> fencers = plugins(root.get("fencing"), "fencing");
        QuorumSpec quorum = quorum(root.get("quorum"));
        TimingSpec timing = timing(root.get("timing"));
        JsonNode nodesNode = root.get("nodes");
        if (nodesNode != null && nodesNode.isArray() && nodesNode.size() == 2 && arbiters.isEmpty()
                && !quorum.twoNodeWithoutArbiter() && (root.get("arbiters") == null || isEmptyList(root.get("arbiters")))) {
            problem("arbiters", "two nodes and no arbiter: when the heartbeat paths are cut, neither node can tell "
                            + "a dead peer from a cut cable, so no takeover would be safe",
                    "add an arbiter (disk-lease, scsi, witness, peer-probe), or set quorum.twoNodeWithoutArbiter: true "
                            + "and accept the split-brain risk");
        }
        List<GroupSpec> groups = groups(root.get("groups"), nodes, nodesNode);
        if (!problems.isEmpty()) {
            return null;
        }
        WatchdogSpec watchdog = watchdog(root.get("watchdog"));
        ClusterSpec unsigned = new ClusterSpec(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups, "", watchdog);
        return new ClusterSpec(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups,
                Canonical.fingerprint(unsigned), watchdog);
    }

    private static boolean isEmptyList(JsonNode n) {
        return n.isNull() || n.isArray() && n.isEmpty();
    }

    // ---- key ----

    private byte[] key(JsonNode root) {
        JsonNode k = present(root.get("key"));
        JsonNode f = present(root.get("keyFile"));
        if (k == null && f == null) {
            problem("key", "no cluster key: heartbeats must be authenticated",
                    "add key: \"hex:...\" with at least 16 random bytes (for example the output of 'openssl rand -hex 32'), "
                            + "or keyFile: /path/to/a/file of at least 16 bytes");
            return null;
        }
        if (k != null && f != null) {
            problem("key", "both key and keyFile are set", "keep only one of key and keyFile");
            return null;
        }
        if (k != null) {
            if (!k.isTextual()) {
                problem("key", "the key must be text, found " + kind(k), "write it as key: \"hex:...\" or key: \"base64:...\"");
                return null;
            }
            String s = k.asText().strip();
            byte[] bytes;
            if (s.startsWith("hex:")) {
                String hex = s.substring(4).replaceAll("[\\s:]", "");
                if (!HEX.matcher(hex).matches()) {
                    problem("key", "the hex: key is not an even number of hexadecimal digits",
                            "write the key as pairs of digits 0-9 and a-f after 'hex:'");
                    return null;
                }
                bytes = java.util.HexFormat.of().parseHex(hex);
            } else if (s.startsWith("base64:")) {
                try {
                    bytes = Base64.getMimeDecoder().decode(s.substring(7).strip());
                } catch (IllegalArgumentException e) {
                    problem("key", "the base64: key is not valid base64", "write the key as base64 text after 'base64:'");
                    return null;
                }
            } else {
                problem("key", "the key must start with 'hex:' or 'base64:'",
                        "write it as key: \"hex:<hex digits>\" or key: \"base64:<base64 text>\"");
                return null;
            }
            if (bytes.length < MIN_KEY) {
                problem("key", "the key is " + bytes.length + " bytes long; at least " + MIN_KEY + " are required",
                        "use at least 16 random bytes, for example the output of 'openssl rand -hex 32'");
                return null;
            }
            return bytes;
        }
        if (!f.isTextual() || f.asText().isBlank()) {
            problem("keyFile", "keyFile must be a file path, found " + kind(f), "write keyFile: /path/to/key");
            return null;
        }
        String name = f.asText().strip();
        try {
            Path p = Path.of(name);
            if (!p.isAbsolute() && baseDir != null) {
                p = baseDir.resolve(p);
            }
            if (!Files.isRegularFile(p)) {
                problem("keyFile", "key file '" + name + "' does not exist or is not a regular file",
                        "create it with at least 16 random bytes (for example 'head -c 32 /dev/urandom > " + name
                                + "'), or fix the path");
                return null;
            }
            if (Files.size(p) > 64 * 1024) {
                problem("keyFile", "key file '" + name + "' is larger than 64 KiB", "check the path; a key is a few bytes");
                return null;
            }
            byte[] bytes = Files.readAllBytes(p);
            if (bytes.length < MIN_KEY) {
                problem("keyFile", "key file '" + name + "' holds " + bytes.length + " bytes; at least " + MIN_KEY
                        + " are required", "fill it with at least 16 random bytes, for example 'head -c 32 /dev/urandom'");
                return null;
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            problem("keyFile", "cannot read key file '" + name + "': " + ConfigLoader.ioReason(e),
                    "check the path and that this process may read the file");
            return null;
        }
    }

    // ---- paths and nodes ----

    private List<ClusterSpec.PathSpec> paths(JsonNode list) {
        List<ClusterSpec.PathSpec> out = new ArrayList<>();
        List<JsonNode> items = list(list, "paths", true, 1, "add at least one heartbeat path, e.g. "
                + "paths: [{name: heartbeat, transport: udp}]");
        Map<String, String> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode n = items.get(i);
            String at = "paths[" + label(n, "name", i) + "]";
            if (!object(n, at)) {
                continue;
            }
            knownFields(n, at, PATH_KEYS);
            String name = id(n, "name", at + ".name", true);
            if (name != null && seen.putIfAbsent(name, at) != null) {
                problem(at + ".name", "duplicate path name '" + name + "'", "give each path a different name");
                name = null;
            }
            String transport = "udp";
            JsonNode t = present(n.get("transport"));
            if (t != null) {
                if (!t.isTextual() || !TRANSPORT.matcher(t.asText()).matches()) {
                    problem(at + ".transport", "transport must be a lowercase word, found " + show(t),
                            "use one of udp, tcp, multicast, disk, or the name of a transport plugin, in lower case");
                } else {
                    transport = t.asText();
                }
            }
            int priority = integer(n, "priority", at + ".priority", i + 1, 1, 1000);
            Duration interval = duration(n, "interval", at + ".interval", Duration.ofMillis(200));
            int misses = integer(n, "misses", at + ".misses", 3, 1, 100);
            Map<String, Object> options = freeMap(n.get("options"), at + ".options");
            if (name != null) {
                out.add(new ClusterSpec.PathSpec(name, transport, priority, interval, misses, options));
            }
        }
        return out;
    }

    private List<ClusterSpec.NodeSpec> nodes(JsonNode list, List<ClusterSpec.PathSpec> paths) {
        List<ClusterSpec.NodeSpec> out = new ArrayList<>();
        List<JsonNode> items = list(list, "nodes", true, 2, "list at least two nodes, each with an id and its addresses");
        Set<String> seen = new HashSet<>();
        Map<String, ClusterSpec.PathSpec> byName = new LinkedHashMap<>();
        paths.forEach(p -> byName.put(p.name(), p));
        for (int i = 0; i < items.size(); i++) {
            JsonNode n = items.get(i);
            String at = "nodes[" + label(n, "id", i) + "]";
            if (!object(n, at)) {
                continue;
            }
            knownFields(n, at, NODE_KEYS);
            String id = id(n, "id", at + ".id", true);
            if (id != null && !seen.add(id)) {
                problem(at + ".id", "duplicate node id '" + id + "'", "give each node a different id");
                id = null;
            }
            Map<String, String> addresses = new LinkedHashMap<>();
            JsonNode a = present(n.get("addresses"));
            if (a != null && !a.isObject()) {
                problem(at + ".addresses", "expected a map of path name to host:port, found " + kind(a),
                        "write addresses: {heartbeat: \"192.0.2.1:7401\"}");
            } else if (a != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String f = at + ".addresses." + e.getKey();
                    if (!byName.containsKey(e.getKey())) {
                        problem(f, "no path named '" + e.getKey() + "'" + suggestion(e.getKey(), byName.keySet()),
                                byName.isEmpty() ? "define the path under paths"
                                        : "use one of the configured paths: " + String.join(", ", byName.keySet()));
                        continue;
                    }
                    JsonNode v = e.getValue();
                    if (!v.isTextual()) {
                        problem(f, "an address must be text like \"192.0.2.1:7401\", found " + kind(v),
                                "write it as \"host:port\" in quotes");
                        continue;
                    }
                    String error = checkAddress(v.asText().strip());
                    if (error != null) {
                        problem(f, "'" + v.asText() + "' " + error, "write it as host:port with a port from 1 to 65535, "
                                + "e.g. \"192.0.2.1:7401\" or \"[2001:db8::1]:7401\"");
                        continue;
                    }
                    addresses.put(e.getKey(), v.asText().strip());
                }
            }
            for (ClusterSpec.PathSpec p : paths) {
                if (ADDRESSED.contains(p.transport()) && !addresses.containsKey(p.name())
                        && (a == null || !a.isObject() || !a.has(p.name()))) {
                    problem(at + ".addresses", "no address for path '" + p.name() + "' (transport " + p.transport() + ")",
                            "add " + p.name() + ": \"host:port\" under " + at + ".addresses");
                }
            }
            if (id != null) {
                out.add(new ClusterSpec.NodeSpec(id, Collections.unmodifiableMap(addresses)));
            }
        }
        return out;
    }

    /** Null if the address is host:port with a valid port, else what is wrong with it. */
    static String checkAddress(String s) {
        String host;
        String port;
        if (s.startsWith("[")) {
            int end = s.indexOf("]:");
            if (end < 0) {
                return "is not of the form [ipv6]:port";
            }
            host = s.substring(1, end);
            port = s.substring(end + 2);
            if (!HOST6.matcher(host).matches()) {
                return "has an invalid IPv6 address";
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                return "has no port";
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (!HOST.matcher(host).matches()) {
                return host.isEmpty() ? "has no host" : "has an invalid host name";
            }
        }
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            return "has an invalid port (must be 1 to 65535)";
        }
        return null;
    }

    // ---- arbiters and fencing ----

    private List<PluginSpec> plugins(JsonNode list, String section) {
        List<PluginSpec> out = new ArrayList<>();
        List<JsonNode> items = list(list, section, false, 0, null);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode n = items.get(i);
            String at = section + "[" + i + "]";
            if (!object(n, at)) {
                continue;
            }
            knownFields(n, at, PLUGIN_KEYS);
            String type = null;
            JsonNode t = present(n.get("type"));
            if (t == null) {
                problem(at + ".type", "missing required field 'type'", "add type: <plugin type>, e.g. "
                        + (section.equals("arbiters") ? "disk-lease, scsi, witness or peer-probe" : "script or scsi"));
            } else if (!t.isTextual() || !TYPE.matcher(t.asText()).matches()) {
                problem(at + ".type", "invalid type " + show(t), "use a type name of letters, digits, '_', '.' or '-'");
            } else {
                type = t.asText();
            }
            String id = present(n.get("id")) == null ? type : id(n, "id", at + ".id", false);
            if (id != null && !seen.add(id)) {
                problem(at + ".id", "duplicate " + section + " id '" + id + "'",
                        "give each entry of " + section + " a different id (add id: <name>)");
                id = null;
            }
            Map<String, Object> params = freeMap(n.get("params"), at + ".params");
            if (id != null && type != null) {
                out.add(new PluginSpec(id, type, at, params));
            }
        }
        return out;
    }

    private QuorumSpec quorum(JsonNode n) {
        QuorumSpec d = QuorumSpec.defaults();
        n = present(n);
        if (n == null || !object(n, "quorum")) {
            return d;
        }
        knownFields(n, "quorum", QUORUM_KEYS);
        return new QuorumSpec(bool(n, "twoNodeWithoutArbiter", "quorum.twoNodeWithoutArbiter", d.twoNodeWithoutArbiter()),
                duration(n, "lossGrace", "quorum.lossGrace", d.lossGrace()),
                bool(n, "witnessVote", "quorum.witnessVote", d.witnessVote()));
    }

    private WatchdogSpec watchdog(JsonNode n) {
        n = present(n);
        if (n == null || !object(n, "watchdog")) {
            return WatchdogSpec.none();
        }
        knownFields(n, "watchdog", List.of("device", "interval", "timeout"));
        JsonNode dev = present(n.get("device"));
        Duration interval = duration(n, "interval", "watchdog.interval", Duration.ofSeconds(1));
        Duration timeout = duration(n, "timeout", "watchdog.timeout", WatchdogSpec.DEFAULT_TIMEOUT);
        if (dev == null || !dev.isTextual() || dev.asText().isBlank()) {
            problem("watchdog.device", "the watchdog needs a device", "write device: /dev/watchdog (load softdog if the machine has none)");
            return WatchdogSpec.none();
        }
        if (timeout.compareTo(interval.multipliedBy(3)) < 0) {
            problem("watchdog.timeout", "timeout " + Durations.format(timeout) + " is shorter than three feeding intervals ("
                    + Durations.format(interval) + " each): a busy node would be reset", "make timeout at least three times"
                    + " interval, e.g. interval: 1s, timeout: 10s");
        }
        return new WatchdogSpec(dev.asText(), interval, timeout);
    }

    private TimingSpec timing(JsonNode n) {
        TimingSpec d = TimingSpec.defaults();
        n = present(n);
        if (n == null || !object(n, "timing")) {
            return d;
        }
        knownFields(n, "timing", TIMING_KEYS);
        TimingSpec t = new TimingSpec(
                duration(n, "startupWait", "timing.startupWait", d.startupWait()),
                duration(n, "safetyRetryMin", "timing.safetyRetryMin", d.safetyRetryMin()),
                duration(n, "safetyRetryMax", "timing.safetyRetryMax", d.safetyRetryMax()),
                duration(n, "safetyTimeout", "timing.safetyTimeout", d.safetyTimeout()),
                duration(n, "pauseThreshold", "timing.pauseThreshold", d.pauseThreshold()),
                duration(n, "commandTimeout", "timing.commandTimeout", d.commandTimeout()),
                duration(n, "fenceTimeout", "timing.fenceTimeout", d.fenceTimeout()));
        if (t.safetyRetryMin().compareTo(t.safetyRetryMax()) > 0) {
            problem("timing.safetyRetryMin", "safetyRetryMin (" + Durations.format(t.safetyRetryMin())
                            + ") is longer than safetyRetryMax (" + Durations.format(t.safetyRetryMax()) + ")",
                    "make safetyRetryMin at most safetyRetryMax");
        }
        return t;
    }

    // ---- groups and resources ----

    private List<GroupSpec> groups(JsonNode list, List<ClusterSpec.NodeSpec> nodes, JsonNode nodesNode) {
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
            if (id != null) {
                out.add(new GroupSpec(id, members, switchback, settle, maxAttempts, window, resources));
            }
        }
        return out;
    }

    private List<ResourceSpec> resources(JsonNode list, String groupAt, String groupId, Map<String, String> resourceGroup,
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
                        deep[0], deep[1]));
            }
        }
        return sort(specs, groupAt);
    }

    private Duration timeout(JsonNode r, String key, String at, Duration dflt) {
        JsonNode n = present(r.get(key));
        String f = at + "." + key;
        if (n == null || !object(n, f)) {
            return dflt;
        }
        knownFields(n, f, TIMEOUT_KEYS);
        return duration(n, "timeout", f + ".timeout", dflt);
    }

    private Duration[] check(JsonNode r, String key, String at, Duration interval, Duration timeout) {
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
    private List<ResourceSpec> sort(List<ResourceSpec> specs, String groupAt) {
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

    // ---- typed access ----

    private static JsonNode present(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n;
    }

    private boolean object(JsonNode n, String at) {
        if (n != null && n.isObject()) {
            return true;
        }
        problem(at, "expected a map of fields, found " + kind(n), "write the fields of " + at + " as key: value lines");
        return false;
    }

    private List<JsonNode> list(JsonNode n, String at, boolean required, int min, String fix) {
        n = present(n);
        if (n == null) {
            if (required) {
                problem(at, "missing required field '" + last(at) + "'", fix);
            }
            return List.of();
        }
        if (!n.isArray()) {
            problem(at, "expected a list, found " + kind(n), "write " + last(at) + " as a list ([a, b] or lines starting with '- ')");
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>();
        n.forEach(out::add);
        if (out.size() < min) {
            problem(at, "at least " + min + (min == 1 ? " entry is" : " entries are") + " required, found " + out.size(), fix);
        }
        return out;
    }

    private String id(JsonNode n, String key, String at, boolean required) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            if (required) {
                problem(at, "missing required field '" + key + "'", "add " + key + ": <name> (" + ID_FIX + ")");
            }
            return null;
        }
        if (!v.isValueNode()) {
            problem(at, "expected a name, found " + kind(v), "write " + key + ": <name> (" + ID_FIX + ")");
            return null;
        }
        String s = v.asText();
        if (!ID.matcher(s).matches()) {
            problem(at, "invalid " + key + " " + show(v), ID_FIX);
            return null;
        }
        return s;
    }

    private int integer(JsonNode n, String key, String at, int dflt, int min, int max) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            problem(at, (v.isIntegralNumber() ? "out of range: " : "expected a whole number, found ") + show(v),
                    "use a whole number from " + min + " to " + max);
            return dflt;
        }
        return v.intValue();
    }

    private boolean bool(JsonNode n, String key, String at, boolean dflt) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            problem(at, "expected true or false, found " + show(v), "write " + key + ": true or " + key + ": false");
            return dflt;
        }
        return v.booleanValue();
    }

    private Duration duration(JsonNode n, String key, String at, Duration dflt) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            return dflt;
        }
        if (v.isNumber()) {
            problem(at, "'" + v.asText() + "' has no unit; the unit is required", DURATION_FORMS
                    + " (for example " + v.asText() + "ms or " + v.asText() + "s)");
            return dflt;
        }
        if (!v.isTextual()) {
            problem(at, "expected a duration, found " + kind(v), DURATION_FORMS);
            return dflt;
        }
        Duration d;
        try {
            d = Durations.parse(v.asText());
        } catch (RuntimeException e) {
            String m = e.getMessage();
            if (m != null && m.contains("is negative")) {
                problem(at, "must be greater than zero, found " + show(v), DURATION_FORMS + ", greater than zero");
                return dflt;
            }
            problem(at, m != null && m.startsWith("'") ? ConfigLoader.clean(m.replace("; write it like 200ms, 5s, 1m30s or 2h", ""))
                    : "'" + ConfigLoader.clean(v.asText()) + "' is not a duration", DURATION_FORMS);
            return dflt;
        }
        if (d.isZero() || d.isNegative()) {
            problem(at, "must be greater than zero, found " + show(v), DURATION_FORMS + ", greater than zero");
            return dflt;
        }
        if (d.compareTo(MAX_DURATION) > 0) {
            problem(at, "too long: " + show(v) + " (at most 365d)", "use a duration of at most 365d");
            return dflt;
        }
        return d;
    }

    private Map<String, Object> freeMap(JsonNode n, String at) {
        n = present(n);
        if (n == null) {
            return Map.of();
        }
        if (!n.isObject()) {
            problem(at, "expected a map, found " + kind(n), "write " + last(at) + " as key: value lines, or {} when empty");
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) plain(n);
        return m;
    }

    /** Converts a tree to plain Java values: maps, lists, strings, numbers, booleans, null. */
    static Object plain(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.fields().forEachRemaining(e -> m.put(e.getKey(), plain(e.getValue())));
            return Collections.unmodifiableMap(m);
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(plain(e)));
            return Collections.unmodifiableList(l);
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            return n.canConvertToInt() ? (Object) n.intValue() : n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isBinary()) {
            return Base64.getEncoder().encodeToString(binary(n));
        }
        return n.asText();
    }

    private static byte[] binary(JsonNode n) {
        try {
            return n.binaryValue();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    // ---- names and messages ----

    private void knownFields(JsonNode n, String at, List<String> known) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (known.contains(f)) {
                continue;
            }
            String where = at.isEmpty() ? "the top level" : at;
            String best = closest(f, known);
            String shown = safe(f);
            String field = shown.isBlank() ? (at.isEmpty() ? "(top level)" : at) : at.isEmpty() ? shown : at + "." + shown;
            if (best != null) {
                problem(field, "unknown field '" + shown + "' in " + where
                        + "; did you mean '" + best + "'?", "rename it to '" + best + "', or remove it");
            } else {
                problem(field, (shown.isBlank() ? "a field with an empty name" : "unknown field '" + shown + "'") + " in " + where,
                        "remove it; the fields accepted here are: " + String.join(", ", known));
            }
        }
    }

    private static String suggestion(String s, Set<String> candidates) {
        String best = closest(s, candidates);
        return best == null ? "" : "; did you mean '" + best + "'?";
    }

    /** The candidate nearest to s by edit distance (ignoring case), if near enough to be a likely typo. */
    static String closest(String s, java.util.Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String a = s.toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            int d = distance(a, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        if (best == null || s.length() > 100) {
            return null;
        }
        int limit = Math.max(2, Math.min(s.length(), best.length()) / 3);
        return bestDistance <= limit ? best : null;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The label of a list entry: its id when it has a valid one, else its index. */
    private static String label(JsonNode n, String idKey, int index) {
        JsonNode v = n == null || !n.isObject() ? null : n.get(idKey);
        if (v != null && v.isValueNode() && !v.isNull() && ID.matcher(v.asText()).matches()) {
            return v.asText();
        }
        return String.valueOf(index);
    }

    private static String last(String at) {
        int dot = at.lastIndexOf('.');
        return dot < 0 ? at : at.substring(dot + 1);
    }

    static String kind(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "nothing";
        }
        if (n.isObject()) {
            return "a map";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isBoolean()) {
            return "a boolean (" + n.asText() + ")";
        }
        if (n.isNumber()) {
            return "a number (" + n.asText() + ")";
        }
        return "the text " + show(n);
    }

    private static String safe(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?").replace('`', '\'');
    }

    private static String show(JsonNode n) {
        if (n == null || n.isNull()) {
            return "nothing";
        }
        if (n.isContainerNode()) {
            return kind(n);
        }
        String s = n.asText();
        if (s.length() > 60) {
            s = s.substring(0, 60) + "...";
        }
        return "'" + safe(s) + "'";
    }
}
