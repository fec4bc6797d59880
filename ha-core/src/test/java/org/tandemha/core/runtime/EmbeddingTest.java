package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupState;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;
import org.tandemha.core.testing.TwoNodeConfig;

/**
 * Two nodes embedded in one JVM, joined by an in-memory network, protect a user-defined resource found through
 * ServiceLoader: a failed check is recovered locally; failures past the limit move the group to the next node.
 */
class EmbeddingTest {
    static final String CONFIG = TwoNodeConfig.service("embed", "recovery: {maxAttempts: 1, window: 1m}");

    private final InMemoryNetwork net = new InMemoryNetwork();
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private ClusterNode node1;
    private ClusterNode node2;

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    private ClusterNode node(String id) throws Exception {
        ClusterNode n = Tandem.builder().configText(CONFIG, true).localNode(id).membership(net.member(id))
                .stateDirectory(stateDir.resolve(id)).listener(events::add).build();
        n.start();
        return n;
    }

    @AfterEach
    void tearDown() {
        if (node1 != null) {
            node1.close();
        }
        if (node2 != null) {
            node2.close();
        }
        net.close();
        TestServiceType.FAILING_CHECKS.clear();
        TestServiceType.RUNNING.clear();
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    private boolean seen(String node, EventKind kind) {
        return events.stream().anyMatch(e -> e.node().equals(node) && e.kind() == kind);
    }

    @Test
    void recoversLocallyThenFailsOverPastTheLimit() throws Exception {
        node1 = node("node1");
        node2 = node("node2");
        await("svc online on node1", () -> node1.status().group("svc").localState() == GroupState.ONLINE);
        await("node2 hears node1 hold svc", () -> "node1".equals(node2.status().group("svc").activeNode()));

        TestServiceType.FAILING_CHECKS.put("node1", 1); // one failure: recovered in place
        await("local recovery", () -> seen("node1", EventKind.RECOVERY_SUCCEEDED));
        assertThat(node1.status().group("svc").localState()).isIn(GroupState.ONLINE, GroupState.RECOVERING);

        TestServiceType.FAILING_CHECKS.put("node1", -1); // keeps failing: past the limit of 1
        await("failover to node2", () -> seen("node2", EventKind.FAILOVER_FINISHED));
        assertThat(node2.status().group("svc").localState()).isEqualTo(GroupState.ONLINE);
        assertThat(node2.status().group("svc").generation()).isEqualTo(2);
        assertThat(TestServiceType.RUNNING.get("node1")).isFalse();

        List<String> story = events.stream()
                .filter(e -> e.group() != null && List.of(EventKind.CHECK_FAILED, EventKind.RECOVERY_ATTEMPTED,
                        EventKind.RECOVERY_SUCCEEDED, EventKind.FAILOVER_STARTED, EventKind.FAILOVER_FINISHED).contains(e.kind()))
                .map(e -> e.node() + " " + e.kind())
                .toList();
        story.forEach(System.out::println);
        assertThat(story).containsSubsequence(
                "node1 CHECK_FAILED", "node1 RECOVERY_ATTEMPTED", "node1 RECOVERY_SUCCEEDED",
                "node1 CHECK_FAILED", "node1 FAILOVER_STARTED", "node2 FAILOVER_STARTED", "node2 FAILOVER_FINISHED");
    }

    @Test
    void switchoverThroughTheApiAndRefusals() throws Exception {
        node1 = node("node1");
        node2 = node("node2");
        await("svc online on node1", () -> node1.status().group("svc").localState() == GroupState.ONLINE);
        // node2 answers "not online anywhere" until it has heard node1's announcement of it
        await("node2 hears node1 hold svc", () -> "node1".equals(node2.status().group("svc").activeNode()));
        CommandResult r = node2.switchover("svc", "node2").get();
        assertThat(r.accepted()).as(r.message()).isTrue();
        assertThat(node2.status().group("svc").localState()).isEqualTo(GroupState.ONLINE);
        assertThat(node1.switchover("nope", "node2").get().message()).contains("no group named 'nope'");
        assertThat(node1.switchover("svc", "node2").get().message()).contains("already runs on node2");
        assertThat(node1.switchback("svc").get().accepted()).isTrue();
        await("back on node1", () -> node1.status().group("svc").localState() == GroupState.ONLINE);
    }

    @Test
    void eachNodesJournalReplaysIntoTheDecisionsItMade() throws Exception {
        node1 = node("node1");
        node2 = node("node2");
        await("svc online on node1", () -> node1.status().group("svc").localState() == GroupState.ONLINE);
        assertThat(node2.switchover("svc", "node2").get().accepted()).isTrue();
        TestServiceType.FAILING_CHECKS.put("node2", 1);
        await("local recovery on node2", () -> seen("node2", EventKind.RECOVERY_SUCCEEDED));
        node1.close();
        node2.close();
        java.nio.file.Path config = stateDir.resolve("embed.yaml");
        java.nio.file.Files.writeString(config, CONFIG);
        for (String n : List.of("node1", "node2")) {
            java.nio.file.Path journal = stateDir.resolve(n).resolve("journal");
            assertThat(org.tandemha.core.journal.JournalReader.readAll(journal)).isNotEmpty();
            var out = new java.io.ByteArrayOutputStream();
            var err = new java.io.ByteArrayOutputStream();
            int code = org.tandemha.core.journal.JournalToolAccess.run(new String[] {"verify", journal.toString(),
                    config.toString()}, new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(code).as(out + " " + err).isZero();
            assertThat(out.toString()).contains("every decision is the one the node made");
        }
    }

    @Test
    void aPromotableGroupNeedsAResourceThatCanBePromoted() {
        String bad = CONFIG.replace("recovery: {maxAttempts: 1, window: 1m}", "recovery: {maxAttempts: 1, window: 1m}\n    promotable: true");
        try {
            Tandem.builder().configText(bad, true).localNode("node1").membership(net.member("node1")).build();
            throw new AssertionError("should have been rejected");
        } catch (org.tandemha.api.InvalidConfigException e) {
            assertThat(e.getMessage()).contains("group svc is promotable").contains("'api'")
                    .contains("cannot be promoted or run as a standby");
        }
    }

    @Test
    void badResourceParametersAreRejectedBeforeAnythingStarts() {
        String bad = CONFIG.replace("params: {greeting: hi}", "params: {greting: hi}");
        try {
            Tandem.builder().configText(bad, true).localNode("node1").membership(net.member("node1")).build();
            throw new AssertionError("should have been rejected");
        } catch (org.tandemha.api.InvalidConfigException e) {
            assertThat(e.getMessage()).contains("groups[svc].resources[api].params.greting").contains("unknown parameter");
        }
    }
}
