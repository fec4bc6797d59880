package org.tandemha.core.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.QuorumSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.config.TimingSpec;

/**
 * Small cluster specifications for {@link SimCluster}, built in code: resources of type {@code sim} with fixed
 * timeouts (5 s start and stop, 1 s checks), groups whose resources depend each on the one before (the first is the
 * volume on the shared disk), and a cluster with the default quorum, no paths and no arbiters configured (the
 * simulation provides them).
 */
public final class Specs {
    private Specs() {
    }

    /** A simulated resource that depends on {@code dependsOn}. */
    public static ResourceSpec resource(String id, String... dependsOn) {
        return new ResourceSpec(id, "sim", "groups[].resources[" + id + "]", Map.of(), List.of(dependsOn),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2));
    }

    /**
     * A group on {@code nodes} (in priority order) with {@code resources}, each depending on the one before, started
     * in that order; at most 2 recoveries in 10 minutes, then failover.
     */
    public static GroupSpec group(String id, List<String> nodes, SwitchbackPolicy policy, String... resources) {
        List<ResourceSpec> rs = new ArrayList<>();
        String prev = null;
        for (String r : resources) {
            rs.add(prev == null ? resource(r) : resource(r, prev));
            prev = r;
        }
        return new GroupSpec(id, nodes, policy, Duration.ofSeconds(3), 2, Duration.ofMinutes(10), rs);
    }

    /** The same cluster with a coordination service (ZooKeeper) deciding ownership, with this session timeout. */
    public static ClusterSpec coordinated(ClusterSpec c, Duration sessionTimeout) {
        return new ClusterSpec(c.cluster(), c.key(), c.nodes(), c.paths(), c.arbiters(), c.fencers(), c.quorum(),
                c.timing(), c.groups(), c.fingerprint() + "-zk", c.watchdog(),
                new org.tandemha.core.config.CoordinationSpec("zookeeper", "sim:2181", sessionTimeout, "/tandem", null),
                c.ping(), c.realtime());
    }

    /** A cluster named {@code sim} of {@code nodes} running {@code groups}. */
    public static ClusterSpec cluster(List<String> nodes, GroupSpec... groups) {
        List<ClusterSpec.NodeSpec> ns = nodes.stream().map(n -> new ClusterSpec.NodeSpec(n, Map.of())).toList();
        TimingSpec t = new TimingSpec(Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(4),
                Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(60), Duration.ofSeconds(5));
        return new ClusterSpec("sim", new byte[32], ns, List.of(), List.of(), List.of(), QuorumSpec.defaults(), t,
                List.of(groups), "fp-sim");
    }
}
