package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.MembershipFactory;
import org.tandemha.api.PathState;

@Timeout(60)
class ConfigAndPluginPathTest {

    private static List<ClusterConfig.Node> nodes(String path, String a1, String a2) {
        return List.of(new ClusterConfig.Node("node1", Map.of(path, a1)), new ClusterConfig.Node("node2", Map.of(path, a2)));
    }

    private static InvalidConfigException reject(ClusterConfig c) {
        try {
            new HeartbeatMembershipFactory().create(c, TestNodes.context(c.localNode())).close();
        } catch (InvalidConfigException e) {
            return e;
        }
        throw new AssertionError("accepted: " + c);
    }

    @Test
    void registeredThroughServiceLoader() {
        assertThat(ServiceLoader.load(MembershipFactory.class).stream().map(ServiceLoader.Provider::type))
                .contains(HeartbeatMembershipFactory.class);
    }

    @Test
    void transportWithoutFactoryNamesTheModule() {
        InvalidConfigException e = reject(TestNodes.config("node1", nodes("shared", "/dev/sdb", "/dev/sdb"),
                List.of(TestNodes.path("shared", "disk", 1, 1000, 3))));
        assertThat(e.getMessage()).contains("'disk'").contains("ha-scsi").contains("paths[shared].transport");
    }

    @Test
    void twoNodesWithOneAddressOnAPathAreRefusedAtLoad() {
        InvalidConfigException e = reject(TestNodes.config("node1", nodes("hb", "127.0.0.1:7401", "127.0.0.1:7401"),
                List.of(TestNodes.path("hb", "udp", 1, 100, 3))));
        assertThat(e.problems()).hasSize(1);
        assertThat(e.getMessage()).contains("nodes[node2].addresses.hb")
                .contains("nodes node1 and node2 have the same address 127.0.0.1:7401 on path 'hb'")
                .contains("give each node its own address");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ClusterConfig c = new ClusterConfig("demo", "node1", new byte[4],
                List.of(new ClusterConfig.Node("node1", Map.of("hb", "nonsense")), new ClusterConfig.Node("node2", Map.of())),
                List.of(new ClusterConfig.Path("hb", "udp", 1, Duration.ofMillis(1), 1, Map.of("group", "x")),
                        new ClusterConfig.Path("mc", "multicast", 2, Duration.ofMillis(100), 3, Map.of("group", "10.0.0.1"))));
        InvalidConfigException e = reject(c);
        assertThat(e.getMessage())
                .contains("key").contains("at least 16")
                .contains("paths[hb].interval").contains("paths[hb].misses")
                .contains("paths[hb].options.group").contains("unknown option")
                .contains("nodes[node1].addresses.hb").contains("not host:port")
                .contains("nodes[node2].addresses.hb").contains("no address on path 'hb'")
                .contains("paths[mc].options.group").contains("not a multicast group");
        assertThat(e.problems().size()).isGreaterThanOrEqualTo(8);
    }

    @Test
    void oversizedStateIsRefusedWithTheLimit() throws Exception {
        int p1 = TestNodes.freePort();
        int p2 = TestNodes.freePort();
        try (HeartbeatMembership m = (HeartbeatMembership) new HeartbeatMembershipFactory().create(TestNodes.config("node1",
                nodes("hb", "127.0.0.1:" + p1, "127.0.0.1:" + p2), List.of(TestNodes.path("hb", "udp", 1, 100, 3))),
                TestNodes.context("node1"))) {
            assertThatThrownBy(() -> m.announce(new byte[FrameCodec.MAX_FRAME]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
            m.announce(new byte[FrameCodec.MAX_PAYLOAD]);
            assertThatThrownBy(() -> m.send("node9", new byte[1])).hasMessageContaining("unknown peer 'node9'");
            assertThat(m.send("node2", new byte[1])).as("not started: nothing sent").isFalse();
        }
    }

    @Test
    void largestStateTravels() throws Exception {
        int p1 = TestNodes.freePort();
        int p2 = TestNodes.freePort();
        List<ClusterConfig.Node> nodes = nodes("hb", "127.0.0.1:" + p1, "127.0.0.1:" + p2);
        List<ClusterConfig.Path> paths = List.of(TestNodes.path("hb", "udp", 1, 100, 3));
        TestNodes.Recorder r1 = new TestNodes.Recorder();
        try (HeartbeatMembership m1 = (HeartbeatMembership) new HeartbeatMembershipFactory()
                .create(TestNodes.config("node1", nodes, paths), TestNodes.context("node1"));
             HeartbeatMembership m2 = (HeartbeatMembership) new HeartbeatMembershipFactory()
                     .create(TestNodes.config("node2", nodes, paths), TestNodes.context("node2"))) {
            byte[] big = new byte[FrameCodec.MAX_PAYLOAD];
            java.util.Arrays.fill(big, (byte) 'x');
            m2.announce(big);
            m1.start(r1);
            m2.start(new TestNodes.Recorder());
            TestNodes.Event st = r1.await(e -> e.kind().equals("state"), 10_000, "the big state");
            assertThat(st.bytes()).isEqualTo(big);
        }
    }

    /** Two nodes joined by a UDP path `hb` and the test plugin path `board`, both up. */
    private record BoardPair(HeartbeatMembership m1, HeartbeatMembership m2) implements AutoCloseable {
        static BoardPair start(TestNodes.Recorder r1) throws Exception {
            List<ClusterConfig.Node> nodes = List.of(
                    new ClusterConfig.Node("node1", Map.of("hb", "127.0.0.1:" + TestNodes.freePort(), "board", "-")),
                    new ClusterConfig.Node("node2", Map.of("hb", "127.0.0.1:" + TestNodes.freePort(), "board", "-")));
            List<ClusterConfig.Path> paths = List.of(TestNodes.path("hb", "udp", 1, 100, 3), TestNodes.path("board", "memory", 9, 100, 3));
            HeartbeatMembership m1 = (HeartbeatMembership) new HeartbeatMembershipFactory()
                    .create(TestNodes.config("node1", nodes, paths), TestNodes.context("node1"));
            HeartbeatMembership m2 = (HeartbeatMembership) new HeartbeatMembershipFactory()
                    .create(TestNodes.config("node2", nodes, paths), TestNodes.context("node2"));
            BoardPair pair = new BoardPair(m1, m2);
            m1.start(r1);
            m2.start(new TestNodes.Recorder());
            long end = System.nanoTime() + 10_000_000_000L;
            while (!m1.paths().stream().allMatch(s -> s.state() == PathState.UP)) {
                if (System.nanoTime() > end) {
                    pair.close();
                    throw new AssertionError("both paths up: " + m1.paths());
                }
                Thread.sleep(20); // polling a status
            }
            return pair;
        }

        @Override
        public void close() {
            m1.close();
            m2.close();
        }
    }

    @Test
    void pluginPathRunsUnderTheSameFailureDetector() throws Exception {
        TestNodes.Recorder r1 = new TestNodes.Recorder();
        try (BoardPair pair = BoardPair.start(r1)) {
            HeartbeatMembership m1 = pair.m1();
            // the network is cut: the peer stays reachable through the plugin path
            int mark = r1.mark();
            m1.cut("hb", true);
            r1.await(e -> e.kind().equals("down") && "hb".equals(e.path()), 5_000, "hb down");
            assertThat(r1.countSince("unreachable", mark)).isZero();
            assertThat(m1.send("node2", new byte[1])).as("a plugin path carries no messages").isFalse();
            assertThat(m1.paths()).anyMatch(s -> s.name().equals("board") && s.state() == PathState.UP && s.transport().equals("memory"));
            // the plugin path goes silent too: unreachable
            MemoryPathFactory.BOARD.get("node2").silent = true;
            TestNodes.Event gone = r1.await(e -> e.kind().equals("unreachable"), 5_000, "unreachable");
            assertThat(gone.detail()).contains("board (");
        }
    }

    @Test
    void aPluginPathWhoseWritesHangDoesNotStallTheOtherPaths() throws Exception {
        TestNodes.Recorder r1 = new TestNodes.Recorder();
        try (BoardPair pair = BoardPair.start(r1)) {
            HeartbeatMembership m1 = pair.m1();
            // node1's own disk writes hang (a lost LUN); then node2 goes silent everywhere
            MemoryPathFactory.BOARD.get("node1").blockMs = 5_000;
            Thread.sleep(200); // let a hanging write begin
            m1.cut("hb", true);
            MemoryPathFactory.BOARD.get("node2").silent = true;
            // detection stays on time: 100 ms x 3, plus margin; a stalled heartbeat thread would need over 5 s
            r1.await(e -> e.kind().equals("unreachable"), 2_000, "node2 unreachable despite node1's hanging disk writes");
            MemoryPathFactory.BOARD.get("node1").blockMs = 0;
        }
    }

    @Test
    void pluginConfigProblemsAreReported() {
        ClusterConfig c = TestNodes.config("node1", nodes("b", "-", "-"),
                List.of(new ClusterConfig.Path("b", "memory", 1, Duration.ofMillis(100), 3, Map.of("bad", true))));
        assertThat(reject(c).getMessage()).contains("paths[b].options.bad");
    }
}
