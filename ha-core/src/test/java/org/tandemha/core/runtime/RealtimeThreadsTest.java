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
