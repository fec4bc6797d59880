package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat's own work in the steady state allocates nothing: sealing a cached frame, decoding and
 * authenticating it, the replay window and the failure detector. (What remains per heartbeat is Netty's datagram
 * envelope; the benchmark prints the total.)
 */
class SteadyStateAllocationTest {
    @Test
    void sealDecodeReplayAndDetectAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported(), "no allocation counter in this JVM");
        mx.setThreadAllocatedMemoryEnabled(true);
        FrameCodec sender = new FrameCodec("demo", TestNodes.KEY);
        FrameCodec receiver = new FrameCodec("demo", TestNodes.KEY);
        byte[] frame = new byte[FrameCodec.MAX_FRAME];
        byte[] state = new byte[2000];
        byte[] n1 = FrameCodec.utf8("node1");
        byte[] n2 = FrameCodec.utf8("node2");
        byte[] path = FrameCodec.utf8("heartbeat");
        int len = sender.template(frame, FrameCodec.HEARTBEAT, n1, n2, path, state, 0, state.length);
        int at = FrameCodec.longsOffset(4, n1.length, n2.length, path.length);
        FrameCodec.Frame f = new FrameCodec.Frame();
        ReplayWindow window = new ReplayWindow();
        FailureDetector d = new FailureDetector(100_000_000L, 3, 0);
        long seq = 0;
        long ok = 0;
        for (int round = 0; round < 2; round++) { // round 0 warms up
            long tid = Thread.currentThread().getId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 20_000; i++) {
                seq++;
                sender.seal(frame, len, at, 42, seq, seq, 1, seq * 100_000_000L, 0, 0, 1);
                if (receiver.decode(frame, len, f) == null && f.senderIs(n1) && f.destIs(n2) && f.pathIs(path)
                        && window.accept(f.sequence)) {
                    d.heard(f.monoNanos, f.pathSeq);
                    d.tick(f.monoNanos + 1);
                    ok++;
                }
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            if (round == 1) {
                assertThat(allocated).as("bytes allocated for 20,000 heartbeats").isLessThan(20_000);
            }
        }
        assertThat(ok).isEqualTo(40_000);
    }
}
