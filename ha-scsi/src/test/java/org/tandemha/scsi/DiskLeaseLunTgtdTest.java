package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.HeartbeatPath;
import org.tandemha.api.Verdict;

/** The disk heartbeat and lease on a real LUN (tgtd) through READ(16)/WRITE(16): the same logic as on a file. */
class DiskLeaseLunTgtdTest {
    @RegisterExtension
    static final TgtdLun tgt = new TgtdLun(8L << 20);

    private static ClusterConfig cluster(String local) {
        ClusterConfig.Path disk = new ClusterConfig.Path("san", "disk", 9, Duration.ofMillis(50), 5, Map.of("device", tgt.url()));
        return new ClusterConfig("lun-lease", local, new byte[32],
                List.of(new ClusterConfig.Node("n1", Map.of()), new ClusterConfig.Node("n2", Map.of())), List.of(disk));
    }

    @Test
    void diskHeartbeatOnALunShowsThePeerAliveThenDeadAfterItStopsWriting() throws Exception {
        ClusterConfig c1 = cluster("n1");
        ClusterConfig c2 = cluster("n2");
        HeartbeatPath p1 = new DiskPathFactory().create(c1.paths().get(0), c1, new TestContext("lun-lease", "n1"));
        HeartbeatPath p2 = new DiskPathFactory().create(c2.paths().get(0), c2, new TestContext("lun-lease", "n2"));
        Map<String, Long> heard = new ConcurrentHashMap<>();
        p1.start((peer, inc, seq, t) -> heard.put("n1<-" + peer, seq));
        p2.start((peer, inc, seq, t) -> heard.put("n2<-" + peer, seq));
        try {
            for (int i = 1; i <= 5; i++) {
                assertThat(p1.beat(3, i)).isTrue();
                assertThat(p2.beat(4, i)).isTrue();
            }
            DiskLeaseTest.await(() -> heard.getOrDefault("n2<-n1", 0L) == 5L && heard.getOrDefault("n1<-n2", 0L) == 5L,
                    "heartbeats read back from the LUN");
            DiskLease lease2 = ((DiskPathFactory.DiskHeartbeatPath) p2).lease();
            Verdict alive = DiskLeaseTest.decided(() -> lease2.decide("n1", Duration.ofSeconds(5)));
            assertThat(alive.answer()).as(alive.toString()).isEqualTo(Verdict.Answer.PEER_ALIVE);
            p1.close(); // n1 stops writing
            Verdict dead = DiskLeaseTest.decided(() -> lease2.decide("n1", Duration.ofSeconds(10)));
            assertThat(dead.answer()).as(dead.toString()).isEqualTo(Verdict.Answer.PEER_DEAD);
            assertThat(dead.reason()).contains(tgt.url());
        } finally {
            p1.close();
            p2.close();
        }
    }
}
