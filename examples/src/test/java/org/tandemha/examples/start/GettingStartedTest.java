package org.tandemha.examples.start;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's "Getting started", as a new user meets it: {@code examples/bench/getting-started.sh} installs this
 * checkout's artifacts into a private local repository (never the shared ~/.m2), makes a new Maven project outside
 * the repository from the section's files alone (its pom imports {@code org.tandemha:tandem-bom}), builds it, runs
 * the two nodes, and checks that the group starts on node1 and moves to node2 when node1 stops. About 100 s on a
 * quiet 2-core machine (most of it the install). Skip it with {@code -Dtandem.gettingStarted.skip=true}.
 */
class GettingStartedTest {
    @Test
    void theReadmesGettingStartedBuildsAndRunsATwoNodeCluster() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(Boolean.getBoolean("tandem.gettingStarted.skip"),
                "skipped with -Dtandem.gettingStarted.skip=true");
        Path script = Path.of("bench/getting-started.sh").toAbsolutePath();
        assertThat(script).exists();
        Path out = Files.createTempFile("tandem-getting-started", ".log");
        try {
            Process p = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).directory(new File(".")).start();
            boolean done = p.waitFor(6, TimeUnit.MINUTES);
            if (!done) {
                p.destroy();                       // the script's trap stops its nodes and removes its files
                p.waitFor(20, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
            String log = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(done).as("getting-started.sh did not finish within 6 minutes:\n%s", log).isTrue();
            assertThat(p.exitValue()).as("getting-started.sh failed:\n%s", log).isZero();
            assertThat(log).contains("getting-started: files from README.md: cluster.yaml, pom.xml, src/main/java/hello/Main.java")
                    .containsPattern("web online on node1 after \\d+ ms, on node2 \\d+ ms after node1 stopped")
                    .contains("[node2] FAILOVER_FINISHED web");
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
