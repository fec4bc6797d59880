package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupState;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * Pacemaker's own promotable example agent, {@code ocf:pacemaker:Stateful} (Debian package
 * pacemaker-resource-agents), as the replicated resource of a promotable group on two nodes in one process: the
 * primary's copy is Promoted and the other Unpromoted, the promotion scores (5 and 10) are set through Tandem's
 * crm_attribute shim, and a switchover demotes one and promotes the other.
 */
class OcfStatefulTest {
    private static final Path STATEFUL = Path.of("/usr/lib/ocf/resource.d/pacemaker/Stateful");

    @TempDir
    Path dir;
    private final InMemoryNetwork net = new InMemoryNetwork();
    private final List<ClusterNode> nodes = new ArrayList<>();

    @BeforeEach
    void needsStateful() {
        Assumptions.assumeTrue(Files.isExecutable(STATEFUL), "ocf:pacemaker:Stateful is not installed (apt-get install"
                + " --no-install-recommends pacemaker-resource-agents); the Stateful test is skipped");
    }

    @AfterEach
    void tearDown() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
        net.close();
    }

    private ClusterNode start(String config, String id) throws Exception {
        ClusterNode n = Tandem.builder().configText(config, true).localNode(id).membership(net.member(id))
                .stateDirectory(dir.resolve(id)).build();
        nodes.add(n);
        n.start();
        return n;
    }

    private String state(String node) throws Exception {
        Path p = dir.resolve("stateful-" + node);
        return Files.exists(p) ? Files.readString(p).trim() : "(none)";
    }

    private String score(String node) throws Exception {
        Path p = dir.resolve(node).resolve("ocf-attrs/reboot").resolve(node).resolve("master-db");
        return Files.exists(p) ? Files.readString(p).trim() : "(none)";
    }

    @Test
    void promotesOneNodeAndSwitchesOver() throws Exception {
        String config = """
                cluster: stateful
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                  - {id: node1}
                  - {id: node2}
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 1s}
                groups:
                  - id: svc
                    nodes: [node1, node2]
                    promotable: true
                    resources:
                      - id: db
                        type: ocf
                        params: {agent: "ocf:pacemaker:Stateful", agentParams: {state: "%s/stateful-${node}",
                                 envfile: "%s/env-${node}"}}
                        quickCheck: {interval: 500ms}
                """.formatted(dir, dir);
        ClusterNode node1 = start(config, "node1");
        ClusterNode node2 = start(config, "node2");
        EmbeddingTest.await("svc primary on node1, standby on node2", () -> {
            try {
                return node1.status().group("svc") != null && node1.status().group("svc").localState() == GroupState.ONLINE
                        && state("node1").equals("Promoted") && state("node2").equals("Unpromoted");
            } catch (Exception e) {
                return false;
            }
        });
        EmbeddingTest.await("promotion scores set through the shim", () -> {
            try {
                return score("node1").equals("10") && score("node2").equals("5");
            } catch (Exception e) {
                return false;
            }
        });
        String env = Files.readString(dir.resolve("env-node1"));
        assertThat(env).contains("OCF_RESKEY_CRM_meta_promotable=true", "OCF_RESKEY_CRM_meta_clone_max=2",
                "OCF_RESKEY_CRM_meta_promoted_max=1", "OCF_RESKEY_CRM_meta_notify=true",
                "OCF_RESKEY_CRM_meta_notify_type=pre", "OCF_RESKEY_CRM_meta_notify_operation=promote",
                "OCF_RESKEY_CRM_meta_notify_promote_uname=node1", "HA_SBIN_DIR=" + dir.resolve("node1").resolve("ocf-bin"));

        var r = node1.switchover("svc", "node2").get();
        assertThat(r.accepted()).as(r.toString()).isTrue();
        EmbeddingTest.await("svc primary on node2, node1 demoted to standby", () -> {
            try {
                return node2.status().group("svc").localState() == GroupState.ONLINE
                        && state("node2").equals("Promoted") && state("node1").equals("Unpromoted");
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(Files.readString(dir.resolve("env-node1"))).contains("OCF_RESKEY_CRM_meta_notify_operation=demote",
                "OCF_RESKEY_CRM_meta_notify_demote_uname=node1");
        EmbeddingTest.await("scores follow", () -> {
            try {
                return score("node2").equals("10") && score("node1").equals("5");
            } catch (Exception e) {
                return false;
            }
        });
    }
}
