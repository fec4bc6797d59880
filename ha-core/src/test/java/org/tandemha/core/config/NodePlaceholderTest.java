package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * {@code ${node}} in resource parameters: one configuration file (one fingerprint) for every node, expanded to the
 * building node's id when its resources are built (a data directory per node on a shared file system).
 */
class NodePlaceholderTest {
    private static final Set<String> TYPES = Set.of("capture", "process");

    private static String config(String dir) {
        return """
                cluster: small
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes: [{id: node1}, {id: node2}]
                paths: [{name: memory, transport: memory}]
                quorum: {twoNodeWithoutArbiter: true}
                groups:
                  - id: db
                    nodes: [node1, node2]
                    resources:
                      - id: pg
                        type: capture
                        params:
                          dataDirectory: "%s"
                          settings: ["cluster_name=${node}", "port=5432"]
                          replication: {addresses: {node1: "192.0.2.1:5432"}, label: "copy of ${node}"}
                          port: 5432
                          command: "echo ${HOME} $node"
                """.formatted(dir);
    }

    @Test
    void theFingerprintIsTheTextAsWrittenAndEachNodeGetsItsOwnValue() throws Exception {
        ClusterSpec s = ConfigLoader.parse(config("/srv/pg/${node}"), true, TYPES);
        ClusterSpec other = ConfigLoader.parse(config("/srv/pg/${node}"), true, TYPES);
        assertThat(s.fingerprint()).isEqualTo(other.fingerprint());
        assertThat(s.fingerprint()).isNotEqualTo(ConfigLoader.parse(config("/srv/pg/node1"), true, TYPES).fingerprint());
        Map<String, Object> raw = s.group("db").orElseThrow().resources().get(0).params();
        assertThat(raw.get("dataDirectory")).isEqualTo("/srv/pg/${node}");

        Map<String, Object> n2 = NodeParams.expand(raw, "node2");
        assertThat(n2.get("dataDirectory")).isEqualTo("/srv/pg/node2");
        assertThat(n2.get("settings")).isEqualTo(List.of("cluster_name=node2", "port=5432"));
        assertThat(n2.get("replication")).isEqualTo(Map.of("addresses", Map.of("node1", "192.0.2.1:5432"), "label", "copy of node2"));
        assertThat(n2.get("port")).isEqualTo(raw.get("port"));
        assertThat(n2.get("command")).as("other ${...} text is a shell's, left alone").isEqualTo("echo ${HOME} $node");
        Map<String, Object> plain = Map.of("dataDirectory", "/srv/pg");
        assertThat(NodeParams.expand(plain, "node1")).isSameAs(plain);
    }

    @Test
    void aNearMissIsAnErrorThatNamesThePlaceholder() {
        for (String bad : List.of("/srv/pg/${NODE}", "/srv/pg/${nodeId}", "/srv/pg/${node_id}", "/srv/pg/${ node }")) {
            InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.parse(config(bad), true, TYPES),
                    InvalidConfigException.class);
            assertThat(e).as(bad).isNotNull();
            assertThat(e.getMessage()).contains("groups[db].resources[pg].params.dataDirectory")
                    .contains("is not a placeholder Tandem knows").contains("write ${node}");
        }
    }

    @Test
    void theBuilderHandsEachNodeItsExpandedParameters(@TempDir Path dir) throws Exception {
        Map<String, Object> seen = new ConcurrentHashMap<>();
        ResourceType capture = new ResourceType() {
            @Override
            public String name() {
                return "capture";
            }

            @Override
            public ResourceParts create(PluginConfig config, NodeContext context) {
                seen.put(context.nodeId(), config.params().get("dataDirectory"));
                final class R implements Resource, Checker {
                    @Override
                    public ActionResult start(ActionContext c) {
                        return ActionResult.done("up");
                    }

                    @Override
                    public ActionResult stop(ActionContext c) {
                        return ActionResult.done("down");
                    }

                    @Override
                    public CheckResult quickCheck(ActionContext c) {
                        return CheckResult.ok("ok");
                    }

                    @Override
                    public CheckResult deepCheck(ActionContext c) {
                        return CheckResult.ok("ok");
                    }
                }
                R r = new R();
                return ResourceParts.of(r, r);
            }
        };
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            for (String node : List.of("node1", "node2")) {
                ClusterNode n = Tandem.builder().configText(config("/srv/pg/${node}"), true).localNode(node)
                        .membership(net.member(node)).resourceType(capture)
                        .stateDirectory(dir.resolve(node)).build();
                n.close();
            }
        }
        assertThat(seen).containsEntry("node1", "/srv/pg/node1").containsEntry("node2", "/srv/pg/node2");
    }
}
