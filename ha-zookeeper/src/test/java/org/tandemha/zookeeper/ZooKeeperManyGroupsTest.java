package org.tandemha.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reproduces an engine limit found by {@code examples/bench/run.sh zookeeper} (the scale part): 9 nodes in one JVM
 * with 500 groups (priority lists of 3) do not settle. Every engine's input queue fills with peer announcements
 * (each carries all 500 groups) faster than it steps through them: after ~90 s the heap held 15,800 queued
 * {@code Input.PeerState}s with 7.9 million {@code Announcement$GroupAnn} (570 MB), the old generation full, the
 * JVM in back-to-back full GCs, then {@code OutOfMemoryError} at -Xmx512m; heartbeats at 500 ms or 1 s x 3 changed
 * nothing (so the flood is likely not the heartbeat rate but announcements on state changes, all groups each, while 500 groups
 * start). Closing a node then hangs behind the queue ({@code NodeRuntime.close} waits for {@code Left}). At 100
 * groups the same set-up settles in ~7 s (13% of one core), at 250 in ~105 s (88% of one core). Fix in the engine/runtime (not this module): coalesce queued
 * {@code PeerState}s per peer (only the newest matters), or announce only changed groups.
 */
@Disabled("engine: peer announcements queue without bound at 9 nodes x 500 groups (see the class comment)")
class ZooKeeperManyGroupsTest {
    @TempDir
    Path dir;
    private TestingCluster zk;
    private ZkHarness h;

    @AfterEach
    void stop() throws Exception {
        if (h != null) {
            h.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void nineNodesWithFiveHundredGroupsSettle() throws Exception {
        zk = ZkHarness.ensemble(3, 500);
        var ids = ZkHarness.nodeIds(9);
        h = new ZkHarness(zk, ids, ZkHarness.rotated(500, ids, 3), 2000, "1s", dir, true);
        h.heartbeatInterval = "500ms";
        h.startAll();
        // fails: AssertionError "after starting 500 groups: groups not back on one node each within 120000 ms", or
        // OutOfMemoryError before it with a small heap
        h.awaitSettled("starting 500 groups", 120_000);
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        assertThat(used).as("heap in use once settled").isLessThan(512L << 20);
    }
}
