package org.tandemha.server.cli;

import org.tandemha.server.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ClusterStatus;

class StatusTableTest {
    static final String GOLDEN = """
            cluster demo, seen from node1 at 2026-11-24T12:00:00.250Z

            NODE   STATE      DETAIL
            node1  LOCAL      this node
            node2  REACHABLE  heard on 1 of 2 paths

            PATH       PEER   STATE    RTT     LOSS    LAST HEARTBEAT
            heartbeat  node2  UP       0.4 ms  0.0%    80 ms ago
            public     node2  DOWN     -       100.0%  42 s ago
            disk       node2  UNKNOWN  -       0.0%    never

            GROUP  STATE    ACTIVE ON  GEN  MODE         BLOCKED ON  DETAIL
            web    ONLINE   node1      3    managed      -           online here, generation 3
            db     OFFLINE  nowhere    5    maintenance  node2       in maintenance; blocked on node2: start failed

            RESOURCE  TYPE        HERE     FAILURES  LAST CHECK
            web/vip   ip          running  0         OK: 192.0.2.10/24 on eth0 (2.0 ms, 300 ms ago)
            web/api   hello-http  running  1         DEGRADED: slow: 900 ms (12 ms, 12 s ago)
            db/pg     postgresql  stopped  3         not checked yet
            """;

    @Test
    void plainTextAtAGlance() {
        String text = StatusTable.render(Fixtures.status(), false);
        System.out.println(text);
        assertThat(text).isEqualTo(GOLDEN);
        assertThat(text).doesNotContain("\u001b");
    }

    @Test
    void onATerminalUpIsGreenAndDownRedWithoutBreakingTheColumns() {
        String text = StatusTable.render(Fixtures.status(), true);
        assertThat(text).contains("heartbeat  node2  \u001b[32mUP\u001b[0m       0.4 ms")
                .contains("public     node2  \u001b[31mDOWN\u001b[0m     -")
                .contains("disk       node2  UNKNOWN  -");
        assertThat(text.replace("\u001b[32m", "").replace("\u001b[31m", "").replace("\u001b[0m", "")).isEqualTo(GOLDEN);
    }

    /** With a ping section, each node's count of the ping hosts it reaches, "?" before its first announcement. */
    @Test
    void pingCountsInTheNodeTable() {
        String text = StatusTable.render(Fixtures.withPing(), false);
        assertThat(text).contains("""
                NODE   STATE      PING  DETAIL
                node1  LOCAL      2/3   this node
                node2  REACHABLE  ?/3   heard on 1 of 2 paths
                """);
        assertThat(text.replace("""
                NODE   STATE      PING  DETAIL
                node1  LOCAL      2/3   this node
                node2  REACHABLE  ?/3   heard on 1 of 2 paths
                """, """
                NODE   STATE      DETAIL
                node1  LOCAL      this node
                node2  REACHABLE  heard on 1 of 2 paths
                """)).as("the rest as without ping").isEqualTo(GOLDEN);
    }

    @Test
    void aStaleViewSaysSo() {
        ClusterStatus s = Fixtures.status();
        ClusterStatus stale = new ClusterStatus(s.cluster(), s.localNode(), s.time(), s.nodes(), s.paths(), s.groups(), true);
        assertThat(StatusTable.render(stale, false)).startsWith("cluster demo, seen from node1 at 2026-11-24T12:00:00.250Z"
                + " (STALE: the node's engine is too busy to answer; nodes and groups are as of that time)\n");
    }

    @Test
    void anEmptyClusterSaysSo() {
        String text = StatusTable.render(new ClusterStatus("c", "n1", Instant.parse("2026-01-01T00:00:00Z"),
                List.of(), List.of(), List.of()), false);
        assertThat(text).isEqualTo("""
                cluster c, seen from n1 at 2026-01-01T00:00:00Z

                no nodes

                no heartbeat paths

                no groups
                """);
    }

    @Test
    void agesAndRoundTrips() {
        Instant now = Instant.parse("2026-01-01T00:10:00Z");
        assertThat(StatusTable.ago(now.minusMillis(9_999), now, "never")).isEqualTo("9999 ms ago");
        assertThat(StatusTable.ago(now.minusSeconds(75), now, "never")).isEqualTo("75 s ago");
        assertThat(StatusTable.ago(now.minusSeconds(600), now, "never")).isEqualTo("10 min ago");
        assertThat(StatusTable.ago(now.plusMillis(5), now, "never")).isEqualTo("0 ms ago"); // clocks apart
        assertThat(StatusTable.ago(null, now, "never")).isEqualTo("never");
        assertThat(StatusTable.rtt(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(StatusTable.rtt(null)).isEqualTo("-");
    }
}
