package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.Tandem;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * OCF conformance of a whole node against Debian's resource-agents ({@code ocf:heartbeat:Dummy}): the agent's
 * advised timeouts apply where the configuration sets none.
 */
class OcfConformanceTest {
    private static final Path DUMMY = Path.of("/usr/lib/ocf/resource.d/heartbeat/Dummy");

    @TempDir
    Path dir;
    private final InMemoryNetwork net = new InMemoryNetwork();
    private final List<ClusterNode> nodes = new ArrayList<>();

    @BeforeEach
    void needsResourceAgents() {
        Assumptions.assumeTrue(Files.isExecutable(DUMMY),
                "Debian package resource-agents is not installed (apt-get install resource-agents); OCF tests skipped");
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(ClusterNode::close);
        net.close();
    }

    @Test
    void advisedTimeoutsApplyWhereTheConfigurationSetsNone() throws Exception {
        String config = """
                cluster: ocf
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                  - {id: node1}
                  - {id: node2}
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                quorum: {twoNodeWithoutArbiter: true}
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
}
