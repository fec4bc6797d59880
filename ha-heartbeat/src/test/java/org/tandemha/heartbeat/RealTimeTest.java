package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ClusterConfig;

/** The configuration's {@code realtime} section reaches the heartbeat thread. */
class RealTimeTest {
    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Test
    void theConfigurationWinsOverTheSystemProperties() {
        ClusterConfig.Realtime configured = new ClusterConfig.Realtime(7, "rr", false, true);
        assertThat(RealTime.effective(configured)).isSameAs(configured);
        assertThat(RealTime.effective(ClusterConfig.Realtime.NONE).enabled())
                .isEqualTo(Boolean.getBoolean("tandem.heartbeat.mlockall") || Integer.getInteger("tandem.heartbeat.rtPriority", 0) > 0);
    }

    @Test
    void theHeartbeatThreadRunsAtTheConfiguredPriority() throws Exception {
        List<String> specs = List.of("path:heartbeat:udp:1:100:3",
                "node:node1:heartbeat@127.0.0.1:" + TestNodes.freePort(),
                "node:node2:heartbeat@127.0.0.1:" + TestNodes.freePort(),
                // required: false, so that the start goes on where it is not permitted (not root)
                "realtime:5:rr:false");
        HeartbeatMembership m = (HeartbeatMembership) new HeartbeatMembershipFactory()
                .create(TestNodes.parse("node1", specs), TestNodes.context("node1"));
        try {
            m.start(new TestNodes.Recorder());
            int policy = m.heartbeatThreadPolicy();
            if (root()) {
                assertThat(policy).as("SCHED_RR as root").isEqualTo(RealTime.SCHED_RR);
            } else {
                assertThat(policy).as("normal or real-time scheduling, and the heartbeats run").isIn(0, RealTime.SCHED_RR);
            }
        } finally {
            m.close();
        }
    }

    @Test
    void withoutTheSectionTheThreadKeepsNormalScheduling() throws Exception {
        List<String> specs = List.of("path:heartbeat:udp:1:100:3",
                "node:node1:heartbeat@127.0.0.1:" + TestNodes.freePort(),
                "node:node2:heartbeat@127.0.0.1:" + TestNodes.freePort());
        HeartbeatMembership m = (HeartbeatMembership) new HeartbeatMembershipFactory()
                .create(TestNodes.parse("node1", specs), TestNodes.context("node1"));
        try {
            m.start(new TestNodes.Recorder());
            if (RealTime.effective(ClusterConfig.Realtime.NONE).enabled()) {
                return; // the system properties ask for it
            }
            assertThat(m.heartbeatThreadPolicy()).isEqualTo(0);
        } finally {
            m.close();
        }
    }
}
