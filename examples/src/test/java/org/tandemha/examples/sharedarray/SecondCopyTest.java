package org.tandemha.examples.sharedarray;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Layout;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * Issue 13, finding 3, with real JVMs in network namespaces: node1 is started a second time by mistake, once with
 * its own state directory and once with another one. Neither copy may touch the running node1 (no start-up clean-up
 * of its addresses), both must exit, and after a kill -9 of the real node1 the survivor takes over at once, as if
 * no copy had ever run. Needs root; skips with the reason otherwise.
 */
class SecondCopyTest {

    @Test
    void aSecondCopyOfTheActiveNodeTouchesNothingExitsAndBlocksNoFailover() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "the second-copy test needs root (network namespaces); CI runs it as root");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (SharedArrayCluster c = new SharedArrayCluster(Layout.VIP_WITNESS, cp, out)) {
            c.setUp();
            c.startNodes("node1", "node2");
            NodeProc client = c.startClient();
            assertThat(c.awaitOnline("node1", "vip", Duration.ofSeconds(60))).as("vip online on node1").isTrue();
            assertThat(c.awaitPeer("node2", "node1", Duration.ofSeconds(30))).isTrue();

            // the same state directory: refused by its lock before anything else
            long from = System.nanoTime();
            NodeProc same = c.startCopy("node1", null);
            Line refused = same.await(from, s -> s.startsWith("START-ERROR") || s.startsWith("READY"), Duration.ofSeconds(60));
            assertThat(refused).as("the copy's answer").isNotNull();
            assertThat(refused.text()).startsWith("START-ERROR").contains("node node1 already runs from the state directory")
                    .contains("holds its lock");
            assertThat(same.process.waitFor(20, TimeUnit.SECONDS)).as("the copy exits").isTrue();
            assertThat(same.process.exitValue()).isNotZero();

            // another state directory: its heartbeat port is taken; the failed start closes everything, it exits
            from = System.nanoTime();
            NodeProc other = c.startCopy("node1", "state-node1-copy");
            Line failed = other.await(from, s -> s.startsWith("START-ERROR") || s.startsWith("READY"), Duration.ofSeconds(60));
            assertThat(failed).as("the second copy's answer").isNotNull();
            assertThat(failed.text()).startsWith("START-ERROR").contains("cannot bind").contains("Address already in use");
            assertThat(other.process.waitFor(20, TimeUnit.SECONDS)).as("the second copy exits").isTrue();
            String copyLog = Files.readString(c.dir.resolve(other.name + ".log"));
            assertThat(copyLog).as("the copy ran no clean-up").doesNotContain("NODE_STARTED").doesNotContain("RESOURCE_STOPPED");

            // the running node1 was not touched
            assertThat(c.ipIn("node1", "-br", "addr", "show", "dev", "pub0")).contains(SharedArrayCluster.VIP4 + "/");
            assertThat(c.awaitOnline("node1", "vip", Duration.ofSeconds(10))).isTrue();

            // and nothing of the copies keeps the survivor from taking over
            long killedAt = System.nanoTime();
            c.killJvm("node1");
            client.send("reach after " + SharedArrayCluster.VIP4 + " " + SharedArrayCluster.RESPONDER_PORT + " node2 15000");
            Line reached = client.await(killedAt, l -> l.startsWith("REACH after "), Duration.ofSeconds(20));
            assertThat(reached).as("the client's answer").isNotNull();
            assertThat(reached.text()).as("the client reaches node2").contains(" ok");
            assertThat(c.awaitOnline("node2", "vip", Duration.ofSeconds(30))).as("vip online on node2").isTrue();
            long ms = (System.nanoTime() - killedAt) / 1_000_000;
            out.println("second copy: node2 took over " + ms + " ms after the kill of node1 (copies refused)");
        }
    }
}
