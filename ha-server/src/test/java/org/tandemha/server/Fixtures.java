package org.tandemha.server;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;
import org.tandemha.api.ResourceStatus;
import org.tandemha.api.Severity;

/** A hand-made status with something of everything: a down path, a blocked group in maintenance, a failed check. */
public final class Fixtures {
    public static final Instant NOW = Instant.parse("2026-11-24T12:00:00.250Z");

    private Fixtures() {
    }

    public static ClusterStatus status() {
        return new ClusterStatus("demo", "node1", NOW,
                List.of(new NodeStatus("node1", NodeState.LOCAL, 7, "this node"),
                        new NodeStatus("node2", NodeState.REACHABLE, 9, "heard on 1 of 2 paths")),
                List.of(new PathStatus("heartbeat", "node2", "udp", 1, PathState.UP, Duration.ofNanos(420_000), 0.0,
                                NOW.minusMillis(80)),
                        new PathStatus("public", "node2", "tcp", 2, PathState.DOWN, null, 100.0, NOW.minusSeconds(42)),
                        new PathStatus("disk", "node2", "disk", 3, PathState.UNKNOWN, null, 0, null)),
                List.of(new GroupStatus("web", GroupState.ONLINE, "node1", 3, List.of("node1", "node2"), "ADMINISTRATOR",
                                true, List.of(), List.of(
                                new ResourceStatus("vip", "ip", true, new CheckResult(CheckResult.Health.OK, Severity.SOFT,
                                        "192.0.2.10/24 on eth0", Duration.ofMillis(2), List.of()), NOW.minusMillis(300), 0),
                                new ResourceStatus("api", "hello-http", true, CheckResult.degraded("slow: 900 ms")
                                        .withDuration(Duration.ofMillis(12)), NOW.minusSeconds(12), 1)),
                                "online here, generation 3"),
                        new GroupStatus("db", GroupState.OFFLINE, null, 5, List.of("node2", "node1"), "AUTOMATIC", false,
                                List.of("node2"), List.of(new ResourceStatus("pg", "postgresql", false, null, null, 3)),
                                "in maintenance; blocked on node2: start failed")));
    }

    /** {@link #status()} of a cluster with a {@code ping} section: node1 reaches 2 of its 3 hosts, node2 has not told yet. */
    public static ClusterStatus withPing() {
        ClusterStatus s = status();
        return new ClusterStatus(s.cluster(), s.localNode(), s.time(),
                List.of(new NodeStatus("node1", NodeState.LOCAL, 7, "this node", 2, 3),
                        new NodeStatus("node2", NodeState.REACHABLE, 9, "heard on 1 of 2 paths", -1, 3)),
                s.paths(), s.groups());
    }
}
