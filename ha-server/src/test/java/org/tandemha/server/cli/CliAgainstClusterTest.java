package org.tandemha.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;

/**
 * End to end: the CLI against a running two-node cluster (in this JVM, over an in-memory network) through the real
 * HTTP API of {@link TandemServer}: status, a switchover, and refusals with their exit codes.
 */
class CliAgainstClusterTest {
    static final String CONFIG = """
            cluster: cli
            key: "hex:000102030405060708090a0b0c0d0e0f"
            nodes: [{id: node1}, {id: node2}]
            paths: [{name: memory, transport: memory, interval: 100ms, misses: 3}]
            quorum: {twoNodeWithoutArbiter: true}
            timing: {startupWait: 1s}
            groups:
              - id: web
                nodes: [node1, node2]
                resources:
                  - id: app
                    type: process
                    params: {command: [sleep, "600"], stopGrace: 1s}
                    quickCheck: {interval: 200ms, timeout: 1s}
            """;

    private final InMemoryNetwork net = new InMemoryNetwork();
    private ClusterNode node1;
    private ClusterNode node2;
    private TandemServer server;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (node1 != null) {
            node1.close();
        }
        if (node2 != null) {
            node2.close();
        }
        net.close();
    }

    private ClusterNode node(String id) throws Exception {
        ClusterNode n = Tandem.builder().configText(CONFIG, true).localNode(id).membership(net.member(id))
                .stateDirectory(dir.resolve(id)).build();
        n.start();
        return n;
    }

    private int tandem(String... args) {
        out.reset();
        err.reset();
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--node-url";
        all[args.length + 1] = server.uri().toString();
        all[args.length + 2] = "--token-file";
        all[args.length + 3] = dir.resolve("node1").resolve("api-token").toString();
        return new org.tandemha.server.cli.Tandem(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), false).run(all);
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    private String activeNode() {
        return node1.status().groups().stream().filter(g -> g.group().equals("web")).map(GroupStatus::activeNode)
                .filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    @Test
    void statusSwitchoverAndRefusals() throws Exception {
        node1 = node("node1");
        node2 = node("node2");
        server = TandemServer.start(node1, new ServerSettings("127.0.0.1:0", null, null, null, null, dir.resolve("node1"),
                true, false));
        await("web online on node1", () -> "node1".equals(activeNode())
                && node1.status().group("web").localState() == org.tandemha.api.GroupState.ONLINE);

        assertThat(tandem("status")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("cluster cli, seen from node1").contains("web").contains("ONLINE");
        assertThat(tandem("status", "--json")).isZero();
        assertThat(out.toString()).contains("\"ageMs\"");

        assertThat(tandem("switchover", "web", "node2")).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("done: ");
        await("web online on node2", () -> "node2".equals(activeNode())
                && node2.status().group("web").localState() == org.tandemha.api.GroupState.ONLINE);

        assertThat(tandem("switchover", "web", "node9")).as("an unknown node is refused by the cluster").isEqualTo(1);
        assertThat(err.toString()).startsWith("refused: ");
        assertThat(tandem("switchback", "nosuch")).as("an unknown group").isIn(1, 2);

        assertThat(tandem("events", "--after", "0")).isZero();
        assertThat(out.toString()).contains("web");
    }
}
