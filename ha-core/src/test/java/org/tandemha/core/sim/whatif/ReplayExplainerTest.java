package org.tandemha.core.sim.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.journal.Journal;
import org.tandemha.core.sim.SimCluster;

/** A journal recorded in the simulator through a takeover explains the takeover: the verdict and the claim. */
class ReplayExplainerTest {
    @TempDir
    Path tmp;

    @Test
    void aJournalOfATakeoverExplainsTheVerdictAndTheClaim() throws Exception {
        ClusterSpec spec = SweepTest.config("web.yaml");
        Path dir = tmp.resolve("node2-journal");
        SimCluster sim = new SimCluster(spec, 1);
        Map<Engine, Journal> journals = new HashMap<>();
        sim.observe((node, nowMs, input, actions) -> {
            if (!node.equals("node2")) {
                return;
            }
            Engine e = sim.engine(node);
            Journal j = journals.computeIfAbsent(e, k -> {
                Engine fresh = sim.newEngine(node);
                return Journal.open(dir, spec.cluster(), node, spec.fingerprint(), 1_700_000_000_000L, nowMs,
                        () -> SnapshotJson.toTree(journals.containsKey(e) ? e.snapshot() : fresh.snapshot()),
                        new Journal.Options(200, 1 << 24, 1000, 1 << 16));
            });
            j.append(nowMs, input, actions);
        });
        sim.startAll();
        sim.runFor(10_000);
        sim.crash("node1");
        sim.runFor(5_000);
        journals.values().forEach(Journal::close);
        assertThat(sim.runningOn("web")).containsExactly("node2");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path config = Path.of("src/test/resources/whatif/web.yaml").toAbsolutePath();
        int code = WhatIfTool.run(new String[] {"replay", "--journal", dir.toString(), "--config", config.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.print(text + err.toString(StandardCharsets.UTF_8));
        assertThat(code).isZero();
        assertThat(text).contains("decision of node2", "GROUP_CLAIMED web: node2 claims group web for generation 2",
                "FAILOVER_STARTED web: taking over group web", "takeover: every heartbeat path to the holder is down",
                "safety check verdict about node1: PEER_DEAD (sim: node1 is down)",
                "peer silence: node1 unreachable on every path", "start web/ip at generation 2");

        // --at picks the decision at or after a time: the safety check comes before the claim
        List<org.tandemha.core.journal.Replay.Step> steps = ReplayExplainer.replay(spec, dir);
        assertThat(steps).isNotEmpty();
        ReplayExplainer.Explanation first = ReplayExplainer.explain(steps, ReplayExplainer.at("t=10000"), 8);
        assertThat(first.events()).anyMatch(e -> e.startsWith("SAFETY_CHECK") || e.startsWith("GROUP_CLAIMED"));
        assertThat(Files.list(dir).count()).isGreaterThan(0);
    }
}
