package org.tandemha.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 5-node Tandem cluster (in this JVM, in-memory heartbeats) on a real three-server ZooKeeper ensemble, five groups
 * with rotated priority lists, each writing to a {@link FencedStore} that rejects older tokens. First the whole
 * ensemble is restarted (every server stopped, then started again): the groups stop while no session is usable and
 * come back after. Then a short random run of every other fault (kill a server, kill the leader, cut a node from the
 * ensemble, pause a node's client past its session timeout, expire a session). Throughout: never two nodes whose writes
 * the store accepted with one token. The long run (200 faults) is {@code examples/bench/run.sh zookeeper}.
 */
class ZooKeeperFiveNodeTest {
    static final long SESSION_MS = 3000;
    static final long BOUND_MS = 12_000;

    @TempDir
    Path dir;
    private TestingCluster zk;
    private ZkHarness h;

    @BeforeEach
    void start() throws Exception {
        zk = ZkHarness.ensemble(3, 500);
        var ids = ZkHarness.nodeIds(5);
        h = new ZkHarness(zk, ids, ZkHarness.rotated(5, ids, 5), SESSION_MS, "100ms", dir, true);
        h.startAll();
    }

    @AfterEach
    void stop() throws Exception {
        if (h != null) {
            h.close();
        }
        zk.close();
    }

    @Test
    void fiveNodesSurviveAnEnsembleRestartAndRandomFaults() throws Exception {
        h.awaitSettled("start", SESSION_MS + BOUND_MS);
        // The nodes start one after another: a group may first start on a node higher in its list that came up
        // earlier, and move to its first node when that one arrives (switchback), so "settled" can come before that.
        long end = System.nanoTime() + (SESSION_MS + BOUND_MS) * 1_000_000;
        for (int i = 1; i <= 5; i++) {
            while (!("node" + i).equals(h.owner("g" + i)) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(h.owner("g" + i)).as("g%d on the first node of its list", i).isEqualTo("node" + i);
        }
        ZkFaults f = new ZkFaults(h, 20, BOUND_MS);
        // the whole ensemble down longer than the session timeout: every group stops, then comes back
        System.out.println("zookeeper 5 nodes: " + f.run(ZkFaults.Kind.RESTART_ENSEMBLE));
        // one fault of each other kind
        for (ZkFaults.Kind k : ZkFaults.Kind.values()) {
            if (k != ZkFaults.Kind.RESTART_ENSEMBLE) {
                System.out.println("zookeeper 5 nodes: " + f.run(k));
            }
        }
        Thread.sleep(500);
        h.awaitSettled("the end", SESSION_MS + BOUND_MS);
        synchronized (h.store) {
            assertThat(h.store.violations).as(f.log.toString()).isEmpty();
            assertThat(h.store.accepted()).isPositive();
            System.out.println("zookeeper 5 nodes: writes accepted=" + h.store.accepted() + " rejected=" + h.store.rejected());
        }
    }
}
