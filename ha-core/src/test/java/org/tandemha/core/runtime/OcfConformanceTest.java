package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.io.InputStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupState;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.Tandem;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.sim.InMemoryNetwork;
import org.tandemha.core.testing.TwoNodeConfig;

/**
 * OCF conformance of a whole node against Debian's resource-agents ({@code ocf:heartbeat:Dummy}): the agent's
 * advised timeouts apply where the configuration sets none; probes at node start and when a peer joins find it
 * running where its group does not run, report it and stop it while the group runs elsewhere.
 */
class OcfConformanceTest {
    private static final Path DUMMY = Path.of("/usr/lib/ocf/resource.d/heartbeat/Dummy");

    @TempDir
    Path dir;
    private final InMemoryNetwork net = new InMemoryNetwork();
    private final List<ClusterNode> nodes = new ArrayList<>();
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void needsResourceAgents() {
        Assumptions.assumeTrue(Files.isExecutable(DUMMY),
                "Debian package resource-agents is not installed (apt-get install resource-agents); OCF tests skipped");
    }

    @AfterEach
    void tearDown() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close(); // the last started first: nothing fails over while the test ends
        }
        net.close();
    }

    @Test
    void advisedTimeoutsApplyWhereTheConfigurationSetsNone() throws Exception {
        String config = TwoNodeConfig.head("ocf") + """
                groups:
                  - id: svc
                    nodes: [node1, node2]
                    resources:
                      - id: advised
                        type: ocf
                        params: {agent: "ocf:heartbeat:Dummy", agentParams: {state: "%s"}}
                      - id: own
                        type: ocf
                        params: {agent: "ocf:heartbeat:Dummy", agentParams: {state: "%s"}}
                        start: {timeout: 7s}
                        stop: {timeout: 9s}
                        quickCheck: {interval: 2s, timeout: 3s}
                      - id: plain
                        type: script
                        params: {start: "true", stop: "true", check: "true"}
                """.formatted(dir.resolve("a.state"), dir.resolve("b.state"));
        ClusterNode n = Tandem.builder().configText(config, true).localNode("node1").membership(net.member("node1"))
                .stateDirectory(dir.resolve("node1")).build();
        nodes.add(n);
        var group = ((EngineView) n).configuration().group("svc").orElseThrow();
        ResourceSpec advised = group.resources().stream().filter(r -> r.id().equals("advised")).findFirst().orElseThrow();
        ResourceSpec own = group.resources().stream().filter(r -> r.id().equals("own")).findFirst().orElseThrow();
        ResourceSpec plain = group.resources().stream().filter(r -> r.id().equals("plain")).findFirst().orElseThrow();
        // Dummy advises 20 s for start, stop and monitor
        assertThat(advised.startTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(advised.stopTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(advised.recoverTimeout()).isEqualTo(Duration.ofSeconds(40));
        assertThat(advised.quickTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(advised.deepTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(advised.quickInterval()).isEqualTo(Duration.ofSeconds(10));
        // set by the configuration: kept; the rest advised
        assertThat(own.startTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(own.stopTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(own.recoverTimeout()).isEqualTo(Duration.ofSeconds(16));
        assertThat(own.quickTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(own.quickInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(own.deepTimeout()).isEqualTo(Duration.ofSeconds(20));
        // a type that advises nothing keeps the defaults
        assertThat(plain.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(plain.quickTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    /**
     * An OCF root with {@code ocf:tandemtest:NodeDummy}: Debian's Dummy with a state file per node ({@code
     * <state>-<node>}), since the nodes of this test share one machine.
     */
    private Path ocfRoot() throws Exception {
        Path root = dir.resolve("ocf");
        Path agent = root.resolve("resource.d/tandemtest/NodeDummy");
        Files.createDirectories(agent.getParent());
        try (InputStream in = getClass().getResourceAsStream("/agents/ocf/tandemtest/NodeDummy")) {
            Files.copy(in, agent, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("/usr/lib/ocf/lib"));
        return root;
    }

    private String probeConfig(int nodeCount, Path root, Path state) {
        StringBuilder ns = new StringBuilder();
        for (int i = 1; i <= nodeCount; i++) {
            ns.append("  - {id: node").append(i).append("}\n");
        }
        return """
                cluster: probe
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                %s
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 1s}
                groups:
                  - id: svc
                    nodes: [node1, node2]
                    resources:
                      - id: dummy
                        type: ocf
                        params: {agent: "ocf:tandemtest:NodeDummy", ocfRoot: "%s", agentParams: {state: "%s"}}
                        quickCheck: {interval: 500ms}
                """.formatted(ns.toString().stripTrailing(), root, state);
    }

    private ClusterNode start(String config, String id) throws Exception {
        ClusterNode n = Tandem.builder().configText(config, true).localNode(id).membership(net.member(id))
                .stateDirectory(dir.resolve(id)).listener(events::add).build();
        nodes.add(n);
        n.start();
        return n;
    }

    /** Starts Dummy by hand, as an operator would, with the state file of {@code node}. */
    private static void startByHand(Path state, String node) {
        Execution e = CommandRunner.run(new Command(List.of(DUMMY.toString(), "start"), java.util.Map.of("OCF_ROOT",
                "/usr/lib/ocf", "OCF_RESKEY_state", state + "-" + node, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), null, null,
                null), Duration.ofSeconds(20));
        assertThat(e.ok()).as(e.describe()).isTrue();
        assertThat(Path.of(state + "-" + node)).exists();
    }

    private ClusterEvent foundRunning(String node) {
        return events.stream().filter(e -> e.kind() == EventKind.RESOURCE_FOUND_RUNNING && e.node().equals(node))
                .findFirst().orElse(null);
    }

    @Test
    void aResourceStartedByHandBeforeTheNodeStartsIsFoundAndStopped() throws Exception {
        Path state = dir.resolve("dummy.state");
        String config = probeConfig(2, ocfRoot(), state);
        ClusterNode node1 = start(config, "node1");
        EmbeddingTest.await("svc online on node1", () -> node1.status().group("svc") != null
                && node1.status().group("svc").localState() == GroupState.ONLINE);
        assertThat(Path.of(state + "-node1")).exists();
        startByHand(state, "node2");

        start(config, "node2");
        EmbeddingTest.await("node2 reports dummy found running", () -> foundRunning("node2") != null);
        ClusterEvent e = foundRunning("node2");
        assertThat(e.resource()).isEqualTo("dummy");
        assertThat(e.group()).isEqualTo("svc");
        assertThat(e.message()).contains("found running on node2", "when the node started", "clean-up at start stops it",
                "node start");
        EmbeddingTest.await("node2's copy stopped", () -> !Files.exists(Path.of(state + "-node2")));
        assertThat(node1.status().group("svc").localState()).isEqualTo(GroupState.ONLINE);
        assertThat(Path.of(state + "-node1")).exists();
    }

    @Test
    void aResourceFoundRunningWhenAPeerJoinsIsStoppedWhileItsGroupRunsElsewhere() throws Exception {
        Path state = dir.resolve("dummy.state");
        String config = probeConfig(3, ocfRoot(), state);
        ClusterNode node1 = start(config, "node1");
        ClusterNode node2 = start(config, "node2");
        EmbeddingTest.await("svc online on node1", () -> node1.status().group("svc") != null
                && node1.status().group("svc").localState() == GroupState.ONLINE);
        EmbeddingTest.await("node2 knows svc runs on node1", () -> node2.status().group("svc") != null
                && "node1".equals(node2.status().group("svc").activeNode()));
        startByHand(state, "node2");
        assertThat(foundRunning("node2")).isNull();

        start(config, "node3"); // a node joins: node2 probes what is offline there
        EmbeddingTest.await("node2 reports dummy found running", () -> foundRunning("node2") != null);
        ClusterEvent e = foundRunning("node2");
        assertThat(e.level()).isEqualTo(ClusterEvent.Level.ERROR);
        assertThat(e.message()).contains("resource dummy of group svc found running on node2", "node3 joined",
                "the group runs on node1", "stopping it here");
        EmbeddingTest.await("node2's copy stopped", () -> !Files.exists(Path.of(state + "-node2")));
        assertThat(Path.of(state + "-node1")).exists();
        assertThat(node1.status().group("svc").localState()).isEqualTo(GroupState.ONLINE);
        assertThat(foundRunning("node1")).isNull();
        assertThat(foundRunning("node3")).isNull();
    }
}
