package org.tandemha.core.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole cluster configuration, validated: what every node of the cluster reads from the same file.
 */
public record ClusterSpec(String cluster, byte[] key, List<NodeSpec> nodes, List<PathSpec> paths,
                          List<PluginSpec> arbiters, List<PluginSpec> fencers, QuorumSpec quorum, TimingSpec timing,
                          List<GroupSpec> groups, String fingerprint, WatchdogSpec watchdog,
                          CoordinationSpec coordination, PingSpec ping, RealtimeSpec realtime) {

    /** A configuration without real-time settings (section {@code realtime}). */
    public ClusterSpec(String cluster, byte[] key, List<NodeSpec> nodes, List<PathSpec> paths, List<PluginSpec> arbiters,
                       List<PluginSpec> fencers, QuorumSpec quorum, TimingSpec timing, List<GroupSpec> groups,
                       String fingerprint, WatchdogSpec watchdog, CoordinationSpec coordination, PingSpec ping) {
        this(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups, fingerprint, watchdog, coordination,
                ping, RealtimeSpec.none());
    }

    /** A configuration without a reachability monitor ({@code ping}) nor real-time settings. */
    public ClusterSpec(String cluster, byte[] key, List<NodeSpec> nodes, List<PathSpec> paths, List<PluginSpec> arbiters,
                       List<PluginSpec> fencers, QuorumSpec quorum, TimingSpec timing, List<GroupSpec> groups,
                       String fingerprint, WatchdogSpec watchdog, CoordinationSpec coordination) {
        this(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups, fingerprint, watchdog, coordination,
                null, RealtimeSpec.none());
    }

    /** A configuration without a coordination service (the peers decide ownership among themselves). */
    public ClusterSpec(String cluster, byte[] key, List<NodeSpec> nodes, List<PathSpec> paths, List<PluginSpec> arbiters,
                       List<PluginSpec> fencers, QuorumSpec quorum, TimingSpec timing, List<GroupSpec> groups,
                       String fingerprint, WatchdogSpec watchdog) {
        this(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups, fingerprint, watchdog, null);
    }

    /** A configuration without a watchdog. */
    public ClusterSpec(String cluster, byte[] key, List<NodeSpec> nodes, List<PathSpec> paths, List<PluginSpec> arbiters,
                       List<PluginSpec> fencers, QuorumSpec quorum, TimingSpec timing, List<GroupSpec> groups,
                       String fingerprint) {
        this(cluster, key, nodes, paths, arbiters, fencers, quorum, timing, groups, fingerprint, WatchdogSpec.none(), null);
    }

    /** One node and its address on each path. */
    public record NodeSpec(String id, Map<String, String> addresses) {
    }

    /** One heartbeat path. */
    public record PathSpec(String name, String transport, int priority, java.time.Duration interval, int misses,
                           Map<String, Object> options) {
    }

    public ClusterSpec {
        nodes = List.copyOf(nodes);
        paths = List.copyOf(paths);
        arbiters = List.copyOf(arbiters);
        fencers = List.copyOf(fencers);
        groups = List.copyOf(groups);
        watchdog = watchdog == null ? WatchdogSpec.none() : watchdog;
        realtime = realtime == null ? RealtimeSpec.none() : realtime;
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "ClusterSpec[cluster=" + cluster + ", nodes=" + nodeIds() + ", paths=" + paths.size() + ", groups="
                + groups.stream().map(GroupSpec::id).toList() + ", fingerprint=" + fingerprint + "]";
    }

    /** Whether a coordination service decides ownership ({@link #coordination()} is set). */
    public boolean coordinated() {
        return coordination != null;
    }

    public List<String> nodeIds() {
        return nodes.stream().map(NodeSpec::id).toList();
    }

    public Optional<GroupSpec> group(String id) {
        return groups.stream().filter(g -> g.id().equals(id)).findFirst();
    }
}
