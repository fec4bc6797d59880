package org.tandemha.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.TestCluster;

/**
 * {@code tandem simulate --from live} against a running two-node cluster through the nodes' APIs, and
 * {@code tandem replay} of the journal a real node recorded through a takeover.
 */
class WhatIfCliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int tandem(String... args) {
        out.reset();
        err.reset();
        int code = new Tandem(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), false).run(args);
        System.out.print(out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
        return code;
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path config() throws Exception {
        return Files.writeString(dir.resolve("tandem.yaml"), TestCluster.CONFIG);
    }

    @Test
    void simulateFromLiveReadsEveryNodeAndPrintsTheDecisionsAndThePlacement() throws Exception {
        Path config = config();
        Path tokens = Files.writeString(dir.resolve("tokens"), "ops viewer viewer-token-0123456789abcdef\n");
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
        try (TestCluster cluster = TestCluster.start(dir.resolve("state"));
             TandemServer s1 = TandemServer.start(cluster.node("node1"), new ServerSettings("127.0.0.1:0", tokens, null, null,
                     dir.resolve("audit1.log"), cluster.stateDir("node1"), false, false));
             TandemServer s2 = TandemServer.start(cluster.node("node2"), new ServerSettings("127.0.0.1:0", tokens, null, null,
                     dir.resolve("audit2.log"), cluster.stateDir("node2"), false, false))) {
            String u1 = s1.uri().toString();
            String u2 = s2.uri().toString();

            int code = tandem("simulate", "--config", config.toString(), "--from", "live", "--node-url", u1, "--node-url", u2,
                    "--token-file", tokens.toString(), "crash node1", "run 10s");
            assertThat(code).as(err()).isZero();
            assertThat(out()).contains("start: snapshots of node1 node2", "crash node1", "final placement",
                    "expected downtime per group", "svc");
            String placement = out().substring(out().indexOf("final placement"));
            assertThat(placement).contains("node2");
            assertThat(placement).as("svc was down from the crash to node2's takeover").doesNotContain("it ran throughout");
            assertThat(out().substring(0, out().indexOf("final placement"))).as("node2's decisions").contains("node2");
            assertThat(cluster.svc()).as("a simulation changes nothing").startsWith("node1 ");

            assertThat(tandem("simulate", "--config", config.toString(), "--from", "live", "--node-url", u1, "--node-url", u2,
                    "--token-file", tokens.toString(), "--json", "crash node1")).isZero();
            assertThat(out()).contains("\"decisions\"", "\"finalPlacement\"");

            // node2 runs and node1 hears it: reading node1 alone would simulate node2 as down
            assertThat(tandem("simulate", "--config", config.toString(), "--from", "live", "--node-url", u1,
                    "--token-file", tokens.toString(), "crash node1")).isEqualTo(2);
            assertThat(err()).contains("node2 (node1 hears it) is up but was not read", "--node-url");
            assertThat(tandem("simulate", "--config", config.toString(), "--from", "live", "--node-url", u1, "--node-url", u1,
                    "--token-file", tokens.toString(), "crash node1")).isEqualTo(2);
            assertThat(err()).contains("two --node-url reach node node1");
            assertThat(tandem("simulate", "--config", config.toString(), "--from", "live", "--node-url", u1, "--node-url", u2,
                    "--token-file", tokens.toString(), "explode node1")).isEqualTo(2);
            assertThat(err()).contains("explode");
        }
    }

    @Test
    void helpUsageAndOptionsOnlyForLive() throws Exception {
        assertThat(tandem("simulate", "--help")).isZero();
        assertThat(out()).contains("simulate --config FILE", "--node-url URL", "one per node");
        assertThat(tandem("replay", "--help")).isZero();
        assertThat(out()).contains("replay --journal DIR");
        assertThat(tandem("--help")).isZero();
        assertThat(out()).contains("simulate --config FILE --from live", "replay --journal DIR");
        assertThat(tandem("simulate", "--config", config().toString(), "--node-url", "http://127.0.0.1:1", "crash node1"))
                .isEqualTo(2);
        assertThat(err()).contains("add --from live");
        assertThat(tandem("simulate", "crash node1")).isEqualTo(2);
        assertThat(err()).contains("--config is missing");
    }

    @Test
    void replayOfARealNodesJournalExplainsItsTakeover() throws Exception {
        Path config = config();
        Path state = dir.resolve("state");
        try (TestCluster cluster = TestCluster.start(state)) {
            // every heartbeat between them is cut: to node2, node1 fell silent (no arbiter: silence counts as dead)
            cluster.partition("node1", "node2");
            TestCluster.await("node2 takes svc over", () -> cluster.node("node2").status().group("svc").localState()
                    == org.tandemha.api.GroupState.ONLINE);
        }
        Path journal = state.resolve("node2").resolve("journal");
        assertThat(tandem("replay", "--journal", journal.toString(), "--config", config.toString(), "--list")).as(err()).isZero();
        assertThat(out()).contains("GROUP_CLAIMED");
        String claim = out().lines().filter(l -> l.contains("GROUP_CLAIMED")).findFirst().orElseThrow();
        String t = claim.substring(claim.indexOf("t=")).split("\\s+")[0];

        assertThat(tandem("replay", "--journal", journal.toString(), "--config", config.toString(), "--at", t)).as(err()).isZero();
        assertThat(out()).contains("decision of node2", "GROUP_CLAIMED svc: node2 claims group svc",
                "peer silence: node1 unreachable on every path");
        assertThat(out()).containsAnyOf("safety check verdict about node1", "takeover: every heartbeat path to the holder is down");

        assertThat(tandem("replay", "--journal", dir.resolve("nowhere").toString(), "--config", config.toString())).isEqualTo(2);
        assertThat(err()).contains("no journal directory");
    }
}
