package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/** {@code realtime.checkPriority} reaches the engine's thread (as root); elsewhere the node starts anyway. */
class RealtimeThreadsTest {
    @Test
    void theEngineThreadTakesTheCheckPriority(@TempDir Path dir) throws Exception {
        String cfg = EmbeddingTest.CONFIG + "realtime: {checkPriority: 3}\n";
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            ClusterNode n = Tandem.builder().configText(cfg, true).localNode("node1").membership(net.member("node1"))
                    .stateDirectory(dir).build();
            try {
                n.start(); // required is false: never refused for want of permission
                String policy = policyOf("tandem-engine-node1");
                if ("root".equals(System.getProperty("user.name"))) {
                    assertThat(policy).as("SCHED_RR as root").isEqualTo("2");
                } else {
                    assertThat(policy).isIn("0", "2");
                }
            } finally {
                n.close();
            }
        }
    }

    @Test
    void theArbitersAreAskedFromThreadsWithTheCheckPriority() {
        int[] policy = {-2};
        org.tandemha.api.Arbiter a = new org.tandemha.api.Arbiter() {
            @Override
            public String name() {
                return "probe";
            }

            @Override
            public org.tandemha.api.Verdict ask(String peer, long generation, java.time.Duration timeout) {
                policy[0] = org.tandemha.core.exec.RealtimeScheduling.currentPolicy();
                return org.tandemha.api.Verdict.of(org.tandemha.api.Verdict.Answer.PEER_DEAD, "gone");
            }
        };
        SafetyCheck s = new SafetyCheck(java.util.List.of(a), false);
        s.realtime(new RealtimeThreads("node1", new org.tandemha.core.config.RealtimeSpec(0, "rr", false, false, 3)));
        try {
            assertThat(s.ask("node2", 1, java.time.Duration.ofSeconds(5)).answer())
                    .isEqualTo(org.tandemha.api.Verdict.Answer.PEER_DEAD);
            if ("root".equals(System.getProperty("user.name"))) {
                // SCHED_RR (2), or-ed with SCHED_RESET_ON_FORK as sched_getscheduler reports it
                assertThat(policy[0] & ~org.tandemha.core.exec.RealtimeScheduling.SCHED_RESET_ON_FORK).as("SCHED_RR as root")
                        .isEqualTo(2);
            }
        } finally {
            s.close();
        }
    }

    @Test
    void workHandedToAnotherThreadKeepsTheCallersPriorityThenReturnsToNormal() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root for real-time scheduling; skipped");
        java.util.concurrent.ExecutorService helper = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            int[][] seen = new int[3][];
            Thread caller = new Thread(() -> {
                org.tandemha.core.exec.RealtimeScheduling.setCurrentThread("node1", "test",
                        org.tandemha.core.exec.RealtimeScheduling.SCHED_RR, 4);
                int[] mine = org.tandemha.core.exec.RealtimeScheduling.current();
                seen[0] = mine;
                try {
                    seen[1] = helper.submit(() -> org.tandemha.core.exec.RealtimeScheduling.runAs(mine,
                            org.tandemha.core.exec.RealtimeScheduling::current)).get();
                    seen[2] = helper.submit(org.tandemha.core.exec.RealtimeScheduling::current).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            caller.start();
            caller.join(10_000);
            assertThat(seen[0]).containsExactly(2, 4);
            assertThat(seen[1]).as("the helper, running the work").containsExactly(2, 4);
            assertThat(seen[2]).as("the helper, afterwards").containsExactly(0, 0);
        } finally {
            helper.shutdownNow();
        }
    }

    /** The policy number in /proc of this process's thread named {@code name} (truncated to 15 characters there). */
    private static String policyOf(String name) throws Exception {
        String comm = name.length() > 15 ? name.substring(0, 15) : name;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                if (Files.readString(t.resolve("comm")).trim().equals(comm)) {
                    for (String line : Files.readAllLines(t.resolve("sched"))) {
                        if (line.startsWith("policy")) {
                            return line.substring(line.indexOf(':') + 1).trim();
                        }
                    }
                }
            }
        }
        return "none";
    }
}
