package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Membership;
import org.tandemha.api.PathState;

/** An operator takes a path out of service ({@link Membership#setPathEnabled}) and puts it back, over loopback. */
@Timeout(60)
class PathEnabledTest {
    private final int[] ports1 = {TestNodes.freePort(), TestNodes.freePort()};
    private final int[] ports2 = {TestNodes.freePort(), TestNodes.freePort()};
    private HeartbeatMembership node1;
    private HeartbeatMembership node2;

    private HeartbeatMembership build(String local) throws Exception {
        List<ClusterConfig.Node> nodes = List.of(
                new ClusterConfig.Node("node1", Map.of("hb1", "127.0.0.1:" + ports1[0], "hb2", "127.0.0.1:" + ports1[1])),
                new ClusterConfig.Node("node2", Map.of("hb1", "127.0.0.1:" + ports2[0], "hb2", "127.0.0.1:" + ports2[1])));
        List<ClusterConfig.Path> paths = List.of(TestNodes.path("hb1", "udp", 1, 100, 3),
                TestNodes.path("hb2", "udp", 2, 100, 3));
        return (HeartbeatMembership) new HeartbeatMembershipFactory()
                .create(TestNodes.config(local, nodes, paths), TestNodes.context(local));
    }

    @AfterEach
    void close() {
        if (node1 != null) {
            node1.close();
        }
        if (node2 != null) {
            node2.close();
        }
    }

    private static boolean path(TestNodes.Event e, String kind, String name) {
        return e.kind().equals(kind) && name.equals(e.path());
    }

    private static void awaitState(Membership m, String name, PathState state) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            if (m.paths().stream().anyMatch(p -> p.name().equals(name) && p.state() == state)) {
                return;
            }
            Thread.sleep(20); // polling a status, not a timing assertion
        }
        throw new AssertionError("path " + name + " not " + state + ": " + m.paths());
    }

    @Test
    void aPathOutOfServiceGoesDownOnBothSidesWithoutLosingThePeerAndComesBack() throws Exception {
        TestNodes.Recorder r1 = new TestNodes.Recorder();
        TestNodes.Recorder r2 = new TestNodes.Recorder();
        node1 = build("node1");
        node2 = build("node2");
        node1.start(r1);
        node2.start(r2);
        for (String p : List.of("hb1", "hb2")) {
            awaitState(node1, p, PathState.UP);
            awaitState(node2, p, PathState.UP);
        }
        int m1 = r1.mark();
        int m2 = r2.mark();

        assertThat(node1.setPathEnabled("hb2", false)).isTrue();
        r1.await(e -> path(e, "down", "hb2"), 5_000, "hb2 down on node1");
        r2.await(e -> path(e, "down", "hb2"), 5_000, "hb2 down on node2 (node1 no longer sends on it)");
        assertThat(node2.paths()).filteredOn(p -> p.name().equals("hb1")).allMatch(p -> p.state() == PathState.UP);
        assertThat(r1.countSince("unreachable", m1)).isZero();
        assertThat(r2.countSince("unreachable", m2)).isZero();
        assertThat(node1.send("node2", new byte[] {1})).as("messages go over hb1").isTrue();

        assertThat(node1.setPathEnabled("hb2", false)).as("idempotent").isTrue();
        assertThat(node1.setPathEnabled("no-such-path", false)).isFalse();

        assertThat(node1.setPathEnabled("hb2", true)).isTrue();
        r1.await(e -> path(e, "up", "hb2"), 5_000, "hb2 up again on node1");
        r2.await(e -> path(e, "up", "hb2"), 5_000, "hb2 up again on node2");
        awaitState(node1, "hb2", PathState.UP);
        assertThat(r1.countSince("unreachable", m1)).isZero();
    }
}
