package org.tandemha.examples.sharedarray;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tandemha.core.exec.Posix;

/**
 * Issue 13, finding 1, with real JVMs in network namespaces: kill -9 of the Tandem JVM alone on the node holding the
 * floating addresses (its kernel keeps them and answers ARP and neighbour solicitations for them). The survivor must
 * take them over and the client reach the survivor through both, and the restarted node must remove the stale
 * ones. {@code -Ddaemoncrash.trials} trials (default 2: each node is killed once); the 20-trial run is
 * {@code examples/bench/run.sh daemon-crash}. Needs root; skips with the reason otherwise.
 */
class DaemonCrashTest {

    @Test
    void theSurvivorTakesTheAddressesFromADeadDaemonsKernel() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "the daemon-crash test needs root (network namespaces); CI runs it as root");
        int trials = Integer.getInteger("daemoncrash.trials", 2);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

        List<VipFailover.Trial> results = VipFailover.run(cp, trials, out);

        assertThat(results).as("trials").allSatisfy(r -> assertThat(r.passed())
                .as("trial %d, kill -9 of %s's JVM: %s", r.number(), r.killed(), r.note()).isTrue());
        assertThat(results).as("trials").hasSize(trials);
        // issue 18: the survivor's journal, replayed, explains its takeover (the verdict on the silent peer, the claim)
        VipFailover.Trial first = results.get(0);
        assertThat(first.takeover()).as("tandem replay of %s's journal", first.survivor())
                .contains("decision of " + first.survivor(), "GROUP_CLAIMED vip: " + first.survivor() + " claims group vip",
                        "peer silence: " + first.killed() + " unreachable on every path")
                .containsAnyOf("safety check verdict about " + first.killed(), "takeover: every heartbeat path");
    }
}
