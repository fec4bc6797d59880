package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.ClusterConfig;

/**
 * A second copy of a node (started twice, a cloned machine) heard at once with the first: both send authenticated
 * heartbeats as node2, from two addresses, with two incarnations. node1 reports the duplicate; a plain restart
 * (the old process gone) is not one.
 */
@Timeout(60)
class DuplicateNodeTest {
    private final int port1 = TestNodes.freePort();
    private final int port2 = TestNodes.freePort();
    private final List<HeartbeatMembership> open = new java.util.ArrayList<>();

    private HeartbeatMembership start(String local, String node2Host, TestNodes.Recorder r) throws Exception {
        List<ClusterConfig.Node> nodes = List.of(new ClusterConfig.Node("node1", Map.of("hb", "127.0.0.1:" + port1)),
                new ClusterConfig.Node("node2", Map.of("hb", node2Host + ":" + port2)));
        HeartbeatMembership m = (HeartbeatMembership) new HeartbeatMembershipFactory().create(
                TestNodes.config(local, nodes, List.of(TestNodes.path("hb", "udp", 1, 50, 3))), TestNodes.context(local));
        m.start(r);
        open.add(m);
        return m;
    }

    @AfterEach
    void close() {
        open.forEach(HeartbeatMembership::close);
    }

    @Test
    void twoCopiesOfOneNodeAreReported() throws Exception {
        TestNodes.Recorder r1 = new TestNodes.Recorder();
        start("node1", "127.0.0.1", r1);
        HeartbeatMembership first = start("node2", "127.0.0.1", new TestNodes.Recorder());
        r1.await(e -> e.kind().equals("reachable"), 5000, "node2 reachable");
        Thread.sleep(5); // the copy's incarnation comes from the clock: a later millisecond
        HeartbeatMembership copy = start("node2", "127.0.0.2", new TestNodes.Recorder());
        TestNodes.Event d = r1.await(e -> e.kind().equals("duplicate"), 10_000, "the duplicate reported");
        assertThat(d.peer()).isEqualTo("node2");
        assertThat(d.detail()).isEqualTo(first.incarnation() + "<" + copy.incarnation());

        // the copy is stopped: node1 follows the first one again, as after a restart
        copy.close();
        r1.await(e -> e.kind().equals("reachable") && e.detail().equals(Long.toString(first.incarnation())), 5000,
                "node2 followed at its first incarnation again");
    }

    @Test
    void aRestartIsNotADuplicate() throws Exception {
        TestNodes.Recorder r1 = new TestNodes.Recorder();
        start("node1", "127.0.0.1", r1);
        HeartbeatMembership first = start("node2", "127.0.0.1", new TestNodes.Recorder());
        r1.await(e -> e.kind().equals("reachable"), 5000, "node2 reachable");
        first.close();
        Thread.sleep(5);
        start("node2", "127.0.0.1", new TestNodes.Recorder());
        r1.await(e -> e.kind().equals("reachable") && !e.detail().equals(Long.toString(first.incarnation())), 5000,
                "node2 back with a new incarnation");
        Thread.sleep(2000); // longer than the grace for frames of the old incarnation still in flight
        assertThat(r1.count("duplicate")).isZero();
    }
}
