package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/** The {@code coordination} section (issue 20): read, checked, and refused at build time without its module. */
class CoordinationConfigTest {
    static String config(String coordination) {
        return """
                cluster: zk
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes: [{id: node1}, {id: node2}]
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                %s
                groups:
                  - id: g
                    nodes: [node1, node2]
                    resources:
                      - {id: r, type: test-service}
                """.formatted(coordination);
    }

    @Test
    void readsTheSectionAndTwoNodesNeedNoArbiter() throws Exception {
        ClusterSpec s = ConfigLoader.parse(config("coordination: {type: zookeeper, connect: \"zk1:2181,zk2:2181\","
                + " sessionTimeout: 4s, path: /ha, digest: \"u:p\"}"), true, Set.of("test-service"));
        assertThat(s.coordination().connect()).isEqualTo("zk1:2181,zk2:2181");
        assertThat(s.coordination().sessionTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(s.coordination().path()).isEqualTo("/ha");
        assertThat(s.coordination().toString()).doesNotContain("u:p");
        ClusterSpec other = ConfigLoader.parse(config("coordination: {type: zookeeper, connect: \"10.0.0.1:2181\","
                + " sessionTimeout: 4s, path: /ha, digest: \"u:p\"}"), true, Set.of("test-service"));
        assertThat(other.fingerprint()).as("nodes may reach the ensemble by other addresses").isEqualTo(s.fingerprint());
    }

    @Test
    void badValuesAreNamedWithTheirFix() {
        assertThatThrownBy(() -> ConfigLoader.parse(config("coordination: {type: etcd, connect: \"zk1\", sessionTimeout: 100ms,"
                + " path: tandem, digest: nopassword}"), true, Set.of("test-service")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("coordination.type").hasMessageContaining("coordination.connect")
                .hasMessageContaining("coordination.sessionTimeout").hasMessageContaining("coordination.path")
                .hasMessageContaining("coordination.digest");
    }

    @Test
    void withoutTheModuleTheNodeIsNotBuilt() {
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            assertThatThrownBy(() -> Tandem.builder().configText(config("coordination: {type: zookeeper, connect:"
                    + " \"zk1:2181\"}"), true).localNode("node1").membership(net.member("node1")).build())
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("coordination.type").hasMessageContaining("org.tandemha:ha-zookeeper");
        }
    }
}
