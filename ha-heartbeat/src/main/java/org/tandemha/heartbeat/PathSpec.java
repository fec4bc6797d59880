package org.tandemha.heartbeat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.HeartbeatPath;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PathFactory;
import org.tandemha.api.Problem;

/** One configured path, validated: its transport, timing, and the socket addresses of every node on it. */
final class PathSpec {
    static final Set<String> NETWORK = Set.of("udp", "tcp", "multicast");
    static final long MIN_INTERVAL_NANOS = 10_000_000L;

    final String name;
    final byte[] nameBytes;
    final String transport;
    final int priority;
    final long intervalNanos;
    final int misses;
    /** This node's address on the path (network transports). */
    InetSocketAddress local;
    /** Each peer's address on the path, by node id (network transports). */
    final Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
    /** Multicast group (with the path's port), multicast only. */
    InetSocketAddress group;
    int ttl = 1;
    /** A plugin's path, for transports other than udp/tcp/multicast. */
    HeartbeatPath extension;

    private PathSpec(ClusterConfig.Path p) {
        name = p.name();
        nameBytes = FrameCodec.utf8(p.name());
        transport = p.transport() == null || p.transport().isBlank() ? "udp" : p.transport().trim();
        priority = p.priority();
        intervalNanos = p.interval() == null ? 0 : p.interval().toNanos();
        misses = p.misses();
    }

    boolean network() {
        return extension == null;
    }

    /** Validates the whole configuration, collecting every problem, and builds the path list. */
    static List<PathSpec> parse(ClusterConfig c, NodeContext context) throws InvalidConfigException {
        List<Problem> problems = new ArrayList<>();
        if (c.cluster() == null || c.cluster().isBlank() || FrameCodec.utf8(c.cluster()).length > FrameCodec.MAX_NAME) {
            problems.add(new Problem("cluster", "the cluster name must have 1 to " + FrameCodec.MAX_NAME + " bytes",
                    "set cluster: to a short name such as 'demo'"));
        }
        if (c.key() == null || c.key().length < 16) {
            problems.add(new Problem("key", "the cluster key has " + (c.key() == null ? 0 : c.key().length)
                    + " bytes; heartbeats need at least 16 for HMAC-SHA256",
                    "generate one with 'head -c 32 /dev/urandom | xxd -p -c 64' and set key: \"hex:...\" (or keyFile:) on every node"));
        }
        ClusterConfig.Node self = c.nodes() == null ? null
                : c.nodes().stream().filter(n -> n.id().equals(c.localNode())).findFirst().orElse(null);
        if (self == null) {
            problems.add(new Problem("nodes", "this node '" + c.localNode() + "' is not in the node list",
                    "add it under nodes: with its addresses"));
        }
        for (ClusterConfig.Node n : c.nodes() == null ? List.<ClusterConfig.Node>of() : c.nodes()) {
            if (n.id() == null || n.id().isEmpty() || FrameCodec.utf8(n.id()).length > FrameCodec.MAX_NAME) {
                problems.add(new Problem("nodes", "node id '" + n.id() + "' must have 1 to " + FrameCodec.MAX_NAME + " bytes",
                        "use a short host-like name such as node1"));
            }
        }
        if (c.paths() == null || c.paths().isEmpty()) {
            problems.add(new Problem("paths", "no heartbeat path is configured",
                    "add at least one, e.g. {name: heartbeat, transport: udp, priority: 1, interval: 100ms, misses: 3}; two on separate networks are recommended"));
        }
        Map<String, PathFactory> factories = new LinkedHashMap<>();
        for (PathFactory f : ServiceLoader.load(PathFactory.class, PathSpec.class.getClassLoader())) {
            factories.putIfAbsent(f.transport(), f);
        }
        List<PathSpec> out = new ArrayList<>();
        Set<String> names = new java.util.HashSet<>();
        for (ClusterConfig.Path p : c.paths() == null ? List.<ClusterConfig.Path>of() : c.paths()) {
            String field = "paths[" + p.name() + "]";
            if (p.name() == null || p.name().isEmpty() || FrameCodec.utf8(p.name()).length > FrameCodec.MAX_NAME) {
                problems.add(new Problem(field + ".name", "a path name must have 1 to " + FrameCodec.MAX_NAME + " bytes",
                        "name it after its network, e.g. heartbeat or public"));
                continue;
            }
            if (!names.add(p.name())) {
                problems.add(new Problem(field, "path name '" + p.name() + "' is used twice", "give each path its own name"));
                continue;
            }
            PathSpec s = new PathSpec(p);
            if (s.intervalNanos < MIN_INTERVAL_NANOS) {
                problems.add(new Problem(field + ".interval", "interval " + p.interval() + " is below 10ms (or missing)",
                        "use 100ms to 1s, e.g. interval: 100ms"));
            }
            if (s.misses < 2 || s.misses > 1000) {
                problems.add(new Problem(field + ".misses", "misses is " + s.misses + "; it must be 2 to 1000",
                        "use 3 to 5: the path goes down after interval x misses of silence"));
            }
            Map<String, Object> options = p.options() == null ? Map.of() : p.options();
            if (!NETWORK.contains(s.transport)) {
                PathFactory f = factories.get(s.transport);
                if (f == null) {
                    String module = s.transport.equals("disk") ? "ha-scsi (org.tandemha:ha-scsi)" : "the module that provides it";
                    problems.add(new Problem(field + ".transport", "no heartbeat transport named '" + s.transport
                            + "' is available (built in: udp, tcp, multicast"
                            + (factories.isEmpty() ? "" : "; from plugins: " + String.join(", ", factories.keySet())) + ")",
                            "add " + module + " to the class path, or use transport: udp"));
                    continue;
                }
                try {
                    s.extension = f.create(p, c, context);
                } catch (InvalidConfigException e) {
                    problems.addAll(e.problems());
                    continue;
                } catch (RuntimeException e) {
                    problems.add(new Problem(field, "the '" + s.transport + "' path could not be built: " + e,
                            "check the path's options"));
                    continue;
                }
                out.add(s);
                continue;
            }
            Set<String> allowed = s.transport.equals("multicast") ? Set.of("group", "ttl") : Set.of();
            for (String k : options.keySet()) {
                if (!allowed.contains(k)) {
                    problems.add(new Problem(field + ".options." + k, "unknown option '" + k + "' for a " + s.transport + " path",
                            allowed.isEmpty() ? "remove it: " + s.transport + " paths take no options" : "use only " + allowed));
                }
            }
            if (self != null) {
                Map<InetSocketAddress, String> taken = new java.util.HashMap<>();
                for (ClusterConfig.Node n : c.nodes()) {
                    String a = n.addresses() == null ? null : n.addresses().get(p.name());
                    String af = "nodes[" + n.id() + "].addresses." + p.name();
                    if (a == null) {
                        problems.add(new Problem(af, "node " + n.id() + " has no address on path '" + p.name() + "'",
                                "add " + p.name() + ": \"host:port\" under the node's addresses (an address on the NIC that carries this path)"));
                        continue;
                    }
                    InetSocketAddress isa = socketAddress(a, af, problems);
                    if (isa == null) {
                        continue;
                    }
                    String other = taken.putIfAbsent(isa, n.id());
                    if (other != null) {
                        problems.add(new Problem(af, "nodes " + other + " and " + n.id() + " have the same address " + a
                                + " on path '" + p.name() + "': the second could not bind it, or would hear itself",
                                "give each node its own address (or port) on this path, on the NIC that carries it"));
                        continue;
                    }
                    if (n.id().equals(c.localNode())) {
                        s.local = isa;
                    } else {
                        s.peers.put(n.id(), isa);
                    }
                }
            }
            if (s.transport.equals("multicast")) {
                Object g = options.get("group");
                InetAddress ga = null;
                if (g == null) {
                    problems.add(new Problem(field + ".options.group", "a multicast path needs a group",
                            "add options: {group: \"239.192.74.1\"} (an administratively scoped group)"));
                } else {
                    try {
                        ga = InetAddress.getByName(String.valueOf(g));
                    } catch (Exception e) {
                        ga = null;
                    }
                    if (ga == null || !ga.isMulticastAddress()) {
                        problems.add(new Problem(field + ".options.group", "'" + g + "' is not a multicast group address",
                                "use an address in 239.0.0.0/8, e.g. 239.192.74.1"));
                        ga = null;
                    }
                }
                Object t = options.get("ttl");
                if (t != null) {
                    try {
                        s.ttl = Integer.parseInt(String.valueOf(t));
                        if (s.ttl < 1 || s.ttl > 255) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        problems.add(new Problem(field + ".options.ttl", "ttl '" + t + "' is not 1 to 255", "use ttl: 1 (one subnet)"));
                    }
                }
                if (s.local != null) {
                    for (Map.Entry<String, InetSocketAddress> e : s.peers.entrySet()) {
                        if (e.getValue().getPort() != s.local.getPort()) {
                            problems.add(new Problem("nodes[" + e.getKey() + "].addresses." + p.name(),
                                    "every node must use the same port on multicast path '" + p.name() + "'",
                                    "use port " + s.local.getPort() + " for every node"));
                        }
                    }
                    if (ga != null) {
                        s.group = new InetSocketAddress(ga, s.local.getPort());
                    }
                }
            }
            out.add(s);
        }
        if (!problems.isEmpty()) {
            for (PathSpec s : out) {
                if (s.extension != null) {
                    try {
                        s.extension.close();
                    } catch (RuntimeException ignored) {
                        // nothing to do: we are reporting the configuration problems
                    }
                }
            }
            throw new InvalidConfigException(problems);
        }
        out.sort(java.util.Comparator.comparingInt(s -> s.priority));
        return out;
    }

    private static InetSocketAddress socketAddress(String a, String field, List<Problem> problems) {
        int colon = a.lastIndexOf(':');
        String host = colon < 0 ? "" : a.substring(0, colon).trim();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = -1;
        try {
            port = Integer.parseInt(a.substring(colon + 1).trim());
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            port = -1;
        }
        if (colon < 0 || host.isEmpty() || port < 1 || port > 65535) {
            problems.add(new Problem(field, "'" + a + "' is not host:port", "write it like \"198.51.100.1:7400\""));
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (Exception e) {
            problems.add(new Problem(field, "cannot resolve '" + host + "': " + e.getMessage(),
                    "use an IP address, or a name in /etc/hosts"));
            return null;
        }
    }
}
