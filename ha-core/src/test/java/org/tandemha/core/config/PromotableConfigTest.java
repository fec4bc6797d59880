package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.tandemha.core.config.ConfigTesting.TYPES;

import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;

/** {@code promotable: true} on a group: its first resource is the replicated one. */
class PromotableConfigTest {
    private static String config(String promotable) {
        return """
                cluster: small
                key: "base64:AAECAwQFBgcICQoLDA0ODw=="
                nodes:
                  - {id: a, addresses: {hb: "127.0.0.1:7401"}}
                  - {id: b, addresses: {hb: "127.0.0.1:7402"}}
                paths:
                  - name: hb
                quorum: {twoNodeWithoutArbiter: true}
                groups:
                  - id: db
                    nodes: [a, b]
                """ + promotable + """
                    resources:
                      - {id: pg, type: process}
                      - {id: vip, type: process, dependsOn: [pg]}
                """;
    }

    @Test
    void promotableGroupNamesItsFirstResource() throws Exception {
        ClusterSpec s = ConfigLoader.parse(config("    promotable: true\n"), true, TYPES);
        GroupSpec g = s.group("db").orElseThrow();
        assertThat(g.promotable()).isTrue();
        assertThat(g.promotableResource()).isEqualTo("pg");
        ClusterSpec plain = ConfigLoader.parse(config(""), true, TYPES);
        assertThat(plain.group("db").orElseThrow().promotable()).isFalse();
        assertThat(plain.group("db").orElseThrow().promotableResource()).isNull();
        assertThat(s.fingerprint()).isNotEqualTo(plain.fingerprint());
        assertThat(ConfigLoader.parse(config("    promotable: false\n"), true, TYPES).fingerprint())
                .as("an ordinary group keeps the fingerprint it had").isEqualTo(plain.fingerprint());
    }

    @Test
    void promotableMustBeABoolean() {
        InvalidConfigException e = catchThrowableOfType(
                () -> ConfigLoader.parse(config("    promotable: yes please\n"), true, TYPES), InvalidConfigException.class);
        assertThat(e.getMessage()).contains("groups[db].promotable").contains("expected true or false");
    }
}
