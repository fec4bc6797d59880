package org.tandemha.server.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution (ha-server/target/tandem-VERSION/) as an administrator uses it: bin/tandem as real
 * processes. Runs in the integration-test phase, after the distribution is assembled (the pom's
 * distribution-tests execution); the ordinary test run skips it.
 */
class DistributionTest {
    private Path dist;
    private final List<Process> started = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeEach
    void distribution() {
        assumeTrue(Boolean.getBoolean("tandem.dist.built"),
                "runs in the integration-test phase, once the distribution is built (mvn verify)");
        dist = Path.of(System.getProperty("tandem.dist.dir"));
        assertThat(dist.resolve("bin/tandem")).isExecutable();
    }

    @AfterEach
    void stopWhatWasStarted() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Process start(Path log, String... args) throws IOException {
        return startWith(null, log, args);
    }

    /** Starts bin/tandem with {@code TANDEM_JAVA_OPTS} (null: none). */
    private Process startWith(String javaOpts, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(dist.resolve("bin/tandem").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString()); // the CLI's class archive
        if (javaOpts != null) {
            b.environment().put("TANDEM_JAVA_OPTS", javaOpts);
        }
        Process p = b.start();
        started.add(p);
        return p;
    }

    /** Runs bin/tandem to its end (at most 60 s); returns the exit code and the output. */
    private Result tandem(String... args) throws Exception {
        Path log = Files.createTempFile(tmp, "out", ".txt");
        long t0 = System.nanoTime();
        Process p = start(log, args);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("bin/tandem " + String.join(" ", args) + " ends").isTrue();
        return new Result(p.exitValue(), Files.readString(log), (System.nanoTime() - t0) / 1_000_000);
    }

    record Result(int code, String output, long millis) {
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void layoutAndQuickCommands() throws Exception {
        for (String f : List.of("bin/tandem", "conf/tandem.yaml", "conf/logging.properties", "systemd/tandem.service")) {
            assertThat(dist.resolve(f)).as(f).isRegularFile();
        }
        assertThat(dist.resolve("lib")).isDirectoryContaining(p -> p.getFileName().toString().startsWith("ha-server-"));
        Path tarball = dist.resolveSibling(dist.getFileName() + ".tar.gz");
        assertThat(tarball).isRegularFile();
        Result list = new Result(new ProcessBuilder("tar", "tzf", tarball.toString()).start().waitFor(), "", 0);
        assertThat(list.code()).isZero();

        Result version = tandem("version");
        assertThat(version.code()).isZero();
        assertThat(version.output()).startsWith("tandem ");
        Result help = tandem("--help");
        assertThat(help.code()).isZero();
        Result valid = tandem("validate", "--config", dist.resolve("conf/tandem.yaml").toString());
        assertThat(valid.code()).as(valid.output()).isZero();
        Result noNode = tandem("status", "--node-url", "http://127.0.0.1:" + freeTcpPort(), "--token-file",
                dist.resolve("conf/tandem.yaml").toString());
        assertThat(noNode.code()).isEqualTo(2);
        assertThat(noNode.output()).contains("no node answers on");
        Result again = tandem("status", "--node-url", "http://127.0.0.1:" + freeTcpPort(), "--token-file",
                dist.resolve("conf/tandem.yaml").toString());
        assertThat(again.code()).isEqualTo(2);
        assertThat(tmp.resolve("cache/tandem")).isDirectoryContaining(p -> p.getFileName().toString().matches("cli-\\d+\\.jsa"));
        System.out.printf("bin/tandem: version %d ms, --help %d ms, validate %d ms,"
                + " status (no node; writes the class archive) %d ms, again %d ms%n", version.millis(), help.millis(), valid.millis(), noNode.millis(),
                again.millis());
    }

    @Test
    void runStopsOnSigtermAndASecondCopyIsRefused() throws Exception {
        Path config = tmp.resolve("pair.yaml");
        Files.writeString(config, """
                cluster: dist
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                  - {id: node1, addresses: {heartbeat: "127.0.0.1:%d"}}
                  - {id: node2, addresses: {heartbeat: "127.0.0.1:%d"}}
                paths: [{name: heartbeat, transport: udp, interval: 200ms, misses: 3}]
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 1s}
                groups:
                  - id: web
                    nodes: [node1, node2]
                    resources:
                      - {id: app, type: process, params: {command: [sleep, "600"], stopGrace: 1s}}
                """.formatted(freeUdpPort(), freeUdpPort()));
        Path state = tmp.resolve("state/node1");
        Path log = tmp.resolve("node1.log");
        Path classes = tmp.resolve("classes.log");
        Process node = startWith("-Xlog:class+load:file=" + classes, log, "run", "--config", config.toString(), "--node",
                "node1", "--state-dir", state.toString(), "--listen", "127.0.0.1:" + freeTcpPort());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains("running (pid") && node.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(Files.readString(log)).as("node1's log").contains("node node1 of cluster dist running (pid " + node.pid() + ")");
        assertThat(Files.getPosixFilePermissions(state)).hasSize(3); // rwx------

        Result second = tandem("run", "--config", config.toString(), "--node", "node1", "--state-dir", state.toString());
        assertThat(second.code()).as(second.output()).isEqualTo(1);
        assertThat(second.output()).contains("node node1 already runs from the state directory " + state)
                .contains("process " + node.pid())
                .contains("holds its lock " + state.resolve("node-node1.lock"));

        while (!Files.readString(log).contains("RESOURCE_STARTED") && node.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Result status = tandem("status", "--state-dir", state.toString());
        assertThat(status.code()).as(status.output()).isZero();
        assertThat(status.output()).contains("web");
        node.destroy(); // SIGTERM
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("node1 stops on SIGTERM").isTrue();
        String text = Files.readString(log);
        System.out.println(text);
        assertThat(node.exitValue()).as(text).isZero();
        assertThat(text).contains("RESOURCE_STOPPED").contains("node node1: stopped");
        // Each event once, with its time and its fields from the MDC (conf/logging.properties, org.tandemha.server.log).
        assertThat(text.lines().filter(l -> l.contains("RESOURCE_STARTED web/app")).count()).isEqualTo(1);
        assertThat(text).containsPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* INFO  \\[node1\\] RESOURCE_STARTED web/app ");
        // A node reads its configuration, journals and answers its status without Jackson's ObjectMapper: its
        // mapping machinery is 450 classes and 4 MB of an idle node (JsonTrees; examples/bench/run.sh server).
        String loaded = Files.readString(classes);
        assertThat(loaded).contains("org.tandemha.core.json.JsonTrees ");
        assertThat(loaded.lines().filter(l -> l.contains(" com.fasterxml.jackson.databind.ObjectMapper ")
                || l.contains(" com.fasterxml.jackson.databind.ser.")).toList()).as("databind's mapper in the node").isEmpty();
    }

    @Test
    void systemdUnitVerifies() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze) || Files.isExecutable(Path.of("/bin/systemd-analyze")),
                "systemd-analyze is not installed here: the unit is not verified (apt-get install systemd)");
        Path unit = tmp.resolve("tandem.service");
        Files.writeString(unit, Files.readString(dist.resolve("systemd/tandem.service"))
                .replace("/opt/tandem/bin/tandem", dist.resolve("bin/tandem").toString()));
        Process p = new ProcessBuilder("systemd-analyze", "verify", unit.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.println("systemd-analyze verify: exit " + p.exitValue() + "\n" + out);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).doesNotContain("tandem.service:");
    }
}
