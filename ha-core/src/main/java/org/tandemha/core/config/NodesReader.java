package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.tandemha.api.Problem;

/**
 * Reads the heartbeat paths ({@code paths}) and the nodes with their address on each path ({@code nodes}), and checks
 * that every node has an address on every path whose transport needs one.
 */
final class NodesReader extends ConfigFields {
    private static final Pattern TRANSPORT = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_.-]{1,253}");
    private static final Pattern HOST6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9_.-]{1,32})?");
    private static final Set<String> ADDRESSED = Set.of("udp", "tcp", "multicast");
    private static final List<String> NODE_KEYS = List.of("id", "addresses");
    private static final List<String> PATH_KEYS = List.of("name", "transport", "priority", "interval", "misses", "options");

    NodesReader(List<Problem> problems) {
        super(problems);
    }

    List<ClusterSpec.PathSpec> paths(JsonNode list) {
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

    List<ClusterSpec.NodeSpec> nodes(JsonNode list, List<ClusterSpec.PathSpec> paths) {
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
}
