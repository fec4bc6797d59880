package org.tandemha.server.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Problem;
import org.tandemha.api.ResourceType;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.config.GroupTopology;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.cli.Args;

/**
 * {@code tandem validate}: every problem of a configuration at once. The core's own checks
 * ({@link ConfigLoader}), the resources' parameters (each type's own validation, run even when the core part has
 * problems, so that one pass shows everything), the arbiters, fencing methods and heartbeats of each node (built,
 * not started, once the core part is valid), and the {@code server:} section. Exit 0 valid, 2 problems.
 */
public final class Validate {
    static final String USAGE = """
            usage: tandem validate --config FILE [--node ID]
            checks a configuration as the nodes will read it, and prints every problem at once, each with the field
            and the fix: the cluster, nodes, paths, groups, each resource's parameters (by its type), arbiters,
            fencing and the server: section. --node checks what that node builds (default: every node).
            Nothing is started and nothing is written.
            exit codes: 0 valid, 2 problems (or a usage error)
            """;

    private Validate() {
    }

    public static int main(List<String> args, PrintStream out, PrintStream err) throws Args.UsageException {
        Args a = Args.parse("validate", args, Set.of("config", "node"), Set.of());
        if (a.help()) {
            out.print(USAGE);
            return 0;
        }
        if (!a.words().isEmpty()) {
            throw new Args.UsageException("validate takes no arguments, got: " + String.join(" ", a.words()));
        }
        Path file = Path.of(a.require("validate", "config", "FILE"));
        List<Problem> problems = check(file, a.get("node"));
        if (problems.isEmpty()) {
            out.println(file + ": valid");
            return 0;
        }
        err.println(file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems") + ":");
        String prefix = file + ": ";
        for (Problem p : problems) {
            String field = p.field() != null && p.field().startsWith(prefix) ? p.field().substring(prefix.length()) : p.field();
            err.println("  " + field + ": " + p.message());
            if (p.fix() != null && !p.fix().isEmpty()) {
                err.println("      fix: " + p.fix());
            }
        }
        return 2;
    }

    /** Every problem of the file, in the order found, each once. */
    static List<Problem> check(Path file, String node) {
        Map<String, ResourceType> types = new LinkedHashMap<>();
        for (ResourceType t : ServiceLoader.load(ResourceType.class)) {
            types.putIfAbsent(t.name(), t);
        }
        Set<Problem> problems = new LinkedHashSet<>();
        ClusterSpec spec = null;
        try {
            spec = ConfigLoader.load(file, types.keySet());
        } catch (InvalidConfigException e) {
            problems.addAll(e.problems());
        }
        JsonNode tree = ConfigFile.tree(file);
        if (spec == null) {
            // The core part has problems, so the node cannot be built: check the resources' parameters on their own.
            problems.addAll(resourceParameters(tree, types));
        } else {
            List<String> nodes = node == null ? spec.nodeIds() : List.of(node);
            if (node != null && !spec.nodeIds().contains(node)) {
                problems.add(new Problem("--node", "node '" + node + "' is not in the configuration",
                        "give one of " + spec.nodeIds()));
                nodes = List.of();
            }
            for (String n : nodes) {
                problems.addAll(buildProblems(file, n));
            }
        }
        Path stateDir = Path.of(System.getProperty("java.io.tmpdir"), "tandem-validate");
        try {
            ServerSettings.fromConfig(tree.path("server"), stateDir, file.toAbsolutePath().getParent());
        } catch (InvalidConfigException e) {
            problems.addAll(e.problems());
        } catch (RuntimeException e) {
            problems.add(new Problem("server", "cannot read the server section: " + e.getMessage(),
                    "see conf/tandem.yaml of the distribution for its form"));
        }
        return new ArrayList<>(problems);
    }

    /** Builds the node (not started) in a throw-away state directory, and closes it: what {@code run} would refuse. */
    private static List<Problem> buildProblems(Path file, String node) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("tandem-validate-");
            try (ClusterNode built = org.tandemha.api.Tandem.builder().config(file).localNode(node)
                    .stateDirectory(tmp.resolve(node)).build()) {
                return List.of();
            }
        } catch (InvalidConfigException e) {
            return e.problems();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            return List.of(new Problem("nodes[" + node + "]", "node " + node + " cannot be built: " + e.getMessage(),
                    "check the configuration of this node's plugins"));
        } finally {
            delete(tmp);
        }
    }

    /** Each resource's parameters, checked by its type, from the plain tree (the core part need not be valid). */
    static List<Problem> resourceParameters(JsonNode tree, Map<String, ResourceType> types) {
        List<Problem> out = new ArrayList<>();
        ObjectMapper plain = new ObjectMapper();
        GroupTopology topology = GroupTopology.lenient(tree);
        JsonNode groups = tree.path("groups");
        for (int i = 0; i < groups.size(); i++) {
            JsonNode g = groups.get(i);
            String groupAt = "groups[" + label(g, i) + "]";
            JsonNode resources = g.path("resources");
            for (int j = 0; j < resources.size(); j++) {
                JsonNode r = resources.get(j);
                ResourceType type = types.get(r.path("type").asText(""));
                JsonNode params = r.path("params");
                if (type == null || !(params.isObject() || params.isMissingNode())) {
                    continue; // the core reports an unknown type or malformed params
                }
                String id = label(r, j);
                @SuppressWarnings("unchecked")
                Map<String, Object> map = params.isObject() ? plain.convertValue(params, Map.class) : Map.of();
                try {
                    type.create(new PluginConfig(id, type.name(), groupAt + ".resources[" + id + "]", map),
                            new CheckingContext(tree, g, topology));
                } catch (InvalidConfigException e) {
                    out.addAll(e.problems());
                } catch (RuntimeException e) {
                    out.add(new Problem(groupAt + ".resources[" + id + "]", "resource type '" + type.name()
                            + "' failed to read it: " + e, "check its parameters"));
                }
            }
        }
        return out;
    }

    private static String label(JsonNode n, int index) {
        String id = n.path("id").asText("");
        return id.matches("[A-Za-z0-9_.-]{1,64}") ? id : String.valueOf(index);
    }

    private static void delete(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory; left for the system to clean
        }
    }

    /**
     * What a resource type may ask while it reads its parameters; nothing is started, nothing is written. The
     * group questions (promotable, its nodes, the DR nodes) get the running node's answers ({@link GroupTopology}).
     */
    private record CheckingContext(JsonNode tree, JsonNode group, GroupTopology topology) implements NodeContext {
        @Override
        public String nodeId() {
            JsonNode nodes = group.path("nodes");
            return nodes.size() > 0 ? nodes.get(0).asText("node") : "node";
        }

        @Override
        public String clusterName() {
            return tree.path("cluster").asText("cluster");
        }

        @Override
        public List<String> peers() {
            List<String> peers = new ArrayList<>();
            tree.path("nodes").forEach(n -> {
                String id = n.path("id").asText("");
                if (!id.isEmpty() && !id.equals(nodeId())) {
                    peers.add(id);
                }
            });
            return peers;
        }

        @Override
        public List<String> groupNodes(String resource) {
            return topology.groupNodes(resource);
        }

        @Override
        public boolean promotable(String resource) {
            return topology.promotable(resource);
        }

        @Override
        public List<String> drNodes() {
            return topology.drNodes();
        }

        @Override
        public Path stateDirectory() {
            return Path.of(System.getProperty("java.io.tmpdir"), "tandem-validate", clusterName(), nodeId());
        }

        @Override
        public <T> Optional<T> service(Class<T> type) {
            return Optional.empty();
        }

        @Override
        public boolean peerDeadOrFenced(String node) {
            return false;
        }

        @Override
        public Map<String, String> peerFacts(String node) {
            return Map.of();
        }

        @Override
        public void publishFact(String key, String value) {
        }

        @Override
        public void reportFenced(String reason) {
        }

        @Override
        public void quorumVote(String device, boolean reachable) {
        }

        @Override
        public void note(String group, String resource, String message) {
        }
    }
}
