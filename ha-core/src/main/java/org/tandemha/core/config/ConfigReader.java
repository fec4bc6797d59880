package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.tandemha.api.Problem;

/**
 * Walks a parsed configuration tree, applies defaults and collects every problem. One instance per load; it never
 * throws for bad input (it records a problem and goes on with a harmless value). Each section has a reader of its
 * own, all sharing one list of problems: {@link KeyReader}, {@link NodesReader} (paths and nodes),
 * {@link PluginsReader} (arbiters and fencing), {@link TimingReader} (quorum, timing, watchdog) and
 * {@link GroupsReader} (groups and resources); this one reads the top level and what spans sections.
 */
final class ConfigReader extends ConfigFields {
    /**
     * The sections of a configuration. {@code server} belongs to the standalone node (module ha-server: its HTTP
     * API, metrics and console): the core accepts it and leaves it out of the fingerprint; ha-server reads and
     * checks it. {@code coordination} names a coordination service that decides ownership ({@link CoordinationSpec});
     * the module that provides it is checked when the node is built. {@code realtime} tunes this node's process
     * ({@link RealtimeSpec}): it is left out of the fingerprint, as nodes may differ in it.
     */
    static final List<String> ROOT_KEYS = List.of("cluster", "key", "keyFile", "nodes", "paths", "arbiters", "fencing",
            "quorum", "timing", "groups", "watchdog", "server", "coordination", "ping", "realtime");

    private final KeyReader keyReader;
    private final NodesReader nodesReader;
    private final PluginsReader pluginsReader;
    private final TimingReader timingReader;
    private final GroupsReader groupsReader;

    ConfigReader(List<Problem> problems, Set<String> knownTypes, Path baseDir) {
        super(problems);
        this.keyReader = new KeyReader(problems, baseDir);
        this.nodesReader = new NodesReader(problems);
        this.pluginsReader = new PluginsReader(problems);
        this.timingReader = new TimingReader(problems);
        this.groupsReader = new GroupsReader(problems, knownTypes);
    }

    ClusterSpec read(JsonNode root) {
        if (!root.isObject()) {
            problem("(config)", "the configuration must be a map of fields, found " + kind(root),
                    "start the file with 'cluster: <name>' followed by key, nodes, paths and groups");
            return null;
        }
        knownFields(root, "", ROOT_KEYS);
        String cluster = id(root, "cluster", "cluster", true);
        byte[] key = keyReader.key(root);

        List<ClusterSpec.PathSpec> paths = nodesReader.paths(root.get("paths"));
        List<ClusterSpec.NodeSpec> nodes = nodesReader.nodes(root.get("nodes"), paths);
        List<PluginSpec> arbiters = pluginsReader.plugins(root.get("arbiters"), "arbiters");
        List<PluginSpec> fencers = pluginsReader.plugins(root.get("fencing"), "fencing");
        QuorumSpec quorum = timingReader.quorum(root.get("quorum"));
        TimingSpec timing = timingReader.timing(root.get("timing"));
        CoordinationSpec coordination = timingReader.coordination(root.get("coordination"));
        JsonNode nodesNode = root.get("nodes");
        if (coordination == null && nodesNode != null && nodesNode.isArray() && nodesNode.size() == 2 && arbiters.isEmpty()
                && !quorum.twoNodeWithoutArbiter() && (root.get("arbiters") == null || isEmptyList(root.get("arbiters")))) {
            problem("arbiters", "two nodes and no arbiter: when the heartbeat paths are cut, neither node can tell "
                            + "a dead peer from a cut cable, so no takeover would be safe",
                    "add an arbiter (disk-lease, scsi, witness, peer-probe), or set quorum.twoNodeWithoutArbiter: true "
                            + "and accept the split-brain risk");
        }
        List<GroupSpec> groups = groupsReader.groups(root.get("groups"), nodes, nodesNode);
        RealtimeSpec realtime = timingReader.realtime(root.get("realtime"));
        // Read with the other sections, so that its problems come out with theirs (tandem validate shows every one).
        PingSpec ping = timingReader.ping(root.get("ping"), nodeIdsAsWritten(nodesNode));
        if (!problems.isEmpty()) {
            return null;
        }
        WatchdogSpec watchdog = timingReader.watchdog(root.get("watchdog"));
        if (!problems.isEmpty()) {
            return null;
        }
        ClusterSpec unsigned = new ClusterSpec(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups, "",
                watchdog, coordination, ping);
        return new ClusterSpec(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups,
                Canonical.fingerprint(unsigned), watchdog, coordination, ping, realtime);
    }

    /** The ids of the nodes section as written (also those of nodes with problems of their own, reported there). */
    private static List<String> nodeIdsAsWritten(JsonNode nodesNode) {
        List<String> ids = new java.util.ArrayList<>();
        if (nodesNode != null && nodesNode.isArray()) {
            nodesNode.forEach(n -> {
                JsonNode id = n == null ? null : n.get("id");
                if (id != null && id.isValueNode() && !id.isNull()) {
                    ids.add(id.asText());
                }
            });
        }
        return ids;
    }

    private static boolean isEmptyList(JsonNode n) {
        return n.isNull() || n.isArray() && n.isEmpty();
    }

    /** Null if the address is host:port with a valid port, else what is wrong with it. */
    static String checkAddress(String s) {
        return NodesReader.checkAddress(s);
    }
}
