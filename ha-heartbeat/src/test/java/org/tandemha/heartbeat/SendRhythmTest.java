package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.ClusterConfig;

/**
 * When node1's heartbeats go out: a slower path with a faster one's heartbeat, and its own heartbeat as an answer to a
 * peer's when it is due within half an interval (fewer wake-ups of an idle node), yet never more than twice a path's
 * rate and never so late that the peer's detector would count a miss. The peer, node2, is this test: plain sockets
 * on node2's addresses that record when node1's frames arrive, and send node2's sealed heartbeats when told.
 * The bounds are wide (a loaded CI machine), and none is a speed figure.
 */
@Timeout(60)
class SendRhythmTest {
    static final InetAddress LO = InetAddress.getLoopbackAddress();
    private final int[] ports1 = {TestNodes.freePort(), TestNodes.freePort()};
    private final int[] ports2 = {TestNodes.freePort(), TestNodes.freePort()};
    private HeartbeatMembership node1;

    @AfterEach
    void close() {
        if (node1 != null) {
            node1.close();
        }
    }

    private HeartbeatMembership build(long heartbeatMs, long publicMs) throws Exception {
        List<ClusterConfig.Node> nodes = List.of(
                new ClusterConfig.Node("node1", Map.of("heartbeat", "127.0.0.1:" + ports1[0], "public", "127.0.0.1:" + ports1[1])),
                new ClusterConfig.Node("node2", Map.of("heartbeat", "127.0.0.1:" + ports2[0], "public", "127.0.0.1:" + ports2[1])));
        List<ClusterConfig.Path> paths = List.of(TestNodes.path("heartbeat", "udp", 1, heartbeatMs, 3),
                TestNodes.path("public", "udp", 2, publicMs, 3));
        return (HeartbeatMembership) new HeartbeatMembershipFactory()
                .create(TestNodes.config("node1", nodes, paths), TestNodes.context("node1"));
    }

    /** Arrival times (ns) of node1's frames on one of node2's sockets, for {@code ms}. */
    private static List<Long> arrivals(DatagramSocket s, long ms) throws Exception {
        List<Long> at = new ArrayList<>();
        byte[] buf = new byte[FrameCodec.MAX_FRAME];
        long end = System.nanoTime() + ms * 1_000_000L;
        while (System.nanoTime() < end) {
            s.setSoTimeout((int) Math.max(1, (end - System.nanoTime()) / 1_000_000L));
            try {
                s.receive(new DatagramPacket(buf, buf.length));
                at.add(System.nanoTime());
            } catch (SocketTimeoutException e) {
                break;
            }
        }
        return at;
    }

    private static long near(List<Long> of, long t) {
        long best = Long.MAX_VALUE;
        for (long x : of) {
            best = Math.min(best, Math.abs(x - t));
        }
        return best;
    }

    @Test
    void aSlowerPathGoesOutWithTheFasterOnesHeartbeatWithinItsInterval() throws Exception {
        try (DatagramSocket hb = new DatagramSocket(ports2[0], LO); DatagramSocket pub = new DatagramSocket(ports2[1], LO)) {
            node1 = build(100, 250);
            node1.start(new TestNodes.Recorder());
            List<Long> pubAt = new ArrayList<>();
            Thread t = new Thread(() -> {
                try {
                    pubAt.addAll(arrivals(pub, 3_000));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            List<Long> hbAt = arrivals(hb, 3_000);
            t.join(10_000);
            // 3 s: 30 heartbeats at 100 ms; the public path at 250 ms: 12, at most twice that
            assertThat(hbAt.size()).isBetween(20, 61);
            assertThat(pubAt.size()).isBetween(8, 25);
            int alone = 0;
            for (long p : pubAt.subList(1, pubAt.size())) {
                if (near(hbAt, p) > 20_000_000L) {
                    alone++;
                }
            }
            assertThat(alone).as("public-path heartbeats not sent with a heartbeat-path one, of %d", pubAt.size())
                    .isLessThanOrEqualTo(pubAt.size() / 4);
            for (int i = 1; i < pubAt.size(); i++) { // never a miss the peer would count: 3 x 250 ms
                assertThat((pubAt.get(i) - pubAt.get(i - 1)) / 1_000_000L).isLessThan(750);
            }
        }
    }

    @Test
    void aHeartbeatDueWithinHalfAnIntervalAnswersThePeersAtOnceAndNeverComesTwiceAsOften() throws Exception {
        try (DatagramSocket hb = new DatagramSocket(ports2[0], LO); DatagramSocket pub = new DatagramSocket(ports2[1], LO)) {
            assertThat(pub.isBound()).isTrue(); // held so that node1's public-path frames have a socket to go to
            node1 = build(200, 200);
            node1.start(new TestNodes.Recorder());
            FrameCodec codec = new FrameCodec("test", TestNodes.KEY);
            byte[] out = new byte[FrameCodec.MAX_FRAME];
            byte[] in = new byte[FrameCodec.MAX_FRAME];
            byte[] n2 = FrameCodec.utf8("node2");
            byte[] n1 = FrameCodec.utf8("node1");
            byte[] path = FrameCodec.utf8("heartbeat");
            long inc = System.currentTimeMillis();
            // node2's heartbeat 60 ms after each of node1's: node1's next is due 140 ms later, more than half its
            // interval: no answer. Then 140 ms after: due within 60 ms, answered at once.
            List<Long> answers = new ArrayList<>();
            List<Long> node1At = new ArrayList<>();
            int unanswered = 0;
            hb.setSoTimeout(2_000);
            hb.receive(new DatagramPacket(in, in.length));
            long last = System.nanoTime();
            node1At.add(last);
            for (int i = 0; i < 16; i++) {
                long wait = i % 2 == 0 ? 60 : 140;
                Thread.sleep(Math.max(0, wait - (System.nanoTime() - last) / 1_000_000L));
                int len = codec.encode(out, FrameCodec.HEARTBEAT, n2, n1, path, inc, i + 1, i + 1, System.currentTimeMillis(),
                        System.nanoTime(), 0, 0, 0, new byte[0], 0, 0);
                long sent = System.nanoTime();
                hb.send(new DatagramPacket(out, len, LO, ports1[0]));
                hb.setSoTimeout(400);
                hb.receive(new DatagramPacket(in, in.length));
                last = System.nanoTime();
                node1At.add(last);
                if (i % 2 == 1) {
                    answers.add((last - sent) / 1_000_000L);
                } else if (last - sent > 30_000_000L) {
                    unanswered++;
                }
            }
            // due within half an interval: answered (well before the 60 ms it was still due in)
            assertThat(answers).as("ms from node2's heartbeat to node1's").filteredOn(ms -> ms < 30).hasSizeGreaterThanOrEqualTo(6);
            // due in 140 ms: node1 kept its own time
            assertThat(unanswered).isGreaterThanOrEqualTo(6);
            for (int i = 1; i < node1At.size(); i++) { // at most twice the rate: never twice within 100 ms (some slack)
                assertThat((node1At.get(i) - node1At.get(i - 1)) / 1_000_000L).isGreaterThanOrEqualTo(80);
            }
        }
    }
}
