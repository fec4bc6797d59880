package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.tandemha.core.config.PingSpec;
import org.tandemha.core.engine.Input;

/** The reachability monitor's dampening (pure) and its TCP method against real sockets on this machine's loopback. */
class PingMonitorTest {
    @Test
    void dampenAnnouncesTheFirstCountAtOnceAndAChangeOnlyOnceItHeld() {
        PingMonitor.Dampener d = new PingMonitor.Dampener(5_000);
        assertThat(d.offer(3, 0)).isEqualTo(3);
        assertThat(d.offer(3, 2_000)).isNull();
        assertThat(d.offer(1, 4_000)).as("a change waits").isNull();
        assertThat(d.offer(3, 6_000)).as("back to the announced count: the wait ends").isNull();
        assertThat(d.offer(1, 8_000)).isNull();
        assertThat(d.offer(2, 10_000)).as("still different: the wait goes on").isNull();
        assertThat(d.offer(1, 12_999)).isNull();
        assertThat(d.offer(1, 13_000)).as("different for 5 s: the latest count").isEqualTo(1);
        assertThat(d.offer(1, 20_000)).isNull();
        PingMonitor.Dampener none = new PingMonitor.Dampener(0);
        assertThat(none.offer(2, 0)).isEqualTo(2);
        assertThat(none.offer(0, 1)).isEqualTo(0);
    }

    @Test
    void tcpCountsAnAcceptedAndARefusedConnectionAsAnAnswer() throws Exception {
        try (ServerSocket open = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int closedPort;
            try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
                closedPort = s.getLocalPort();
            }
            List<Input> inputs = new CopyOnWriteArrayList<>();
            PingSpec spec = new PingSpec(List.of("127.0.0.1"), Map.of("node2", List.of("127.0.0.1", "127.0.0.2")), "tcp",
                    open.getLocalPort(), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(5));
            PingMonitor m = new PingMonitor("node2", spec, inputs::add, () -> 0);
            assertThat(m.answers("127.0.0.1")).isTrue();
            PingSpec refused = new PingSpec(List.of("127.0.0.1"), Map.of(), "tcp", closedPort, Duration.ofMillis(200),
                    Duration.ofMillis(200), Duration.ofSeconds(5));
            assertThat(new PingMonitor("node1", refused, inputs::add, () -> 0).answers("127.0.0.1"))
                    .as("a refusal is an answer: the host is there").isTrue();
            m.start();
            try {
                long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (inputs.isEmpty() && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
            } finally {
                m.close();
            }
            assertThat(inputs).first().isEqualTo(new Input.Fact(PingSpec.FACT, "2")); // node2's own list: two hosts
        }
    }
}
