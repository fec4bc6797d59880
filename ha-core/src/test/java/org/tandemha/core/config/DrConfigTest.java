package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.tandemha.core.config.ConfigTesting.TYPES;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;

/** {@code dr:} on a promotable group, and {@code site:} on its resources (remote disaster recovery). */
class DrConfigTest {
    private static String config(String group, String vipSite) {
        return "cluster: small\n"
                + "key: \"base64:AAECAwQFBgcICQoLDA0ODw==\"\n"
                + "nodes:\n"
                + "  - {id: a, addresses: {hb: \"127.0.0.1:7401\"}}\n"
                + "  - {id: b, addresses: {hb: \"127.0.0.1:7402\"}}\n"
                + "  - {id: c, addresses: {hb: \"127.0.0.1:7403\"}}\n"
                + "paths:\n"
                + "  - name: hb\n"
                + "groups:\n"
                + "  - id: db\n"
                + "    nodes: [a, b]\n"
                + group
                + "    resources:\n"
                + "      - {id: pg, type: process}\n"
                + "      - {id: vip, type: process, dependsOn: [pg]" + vipSite + "}\n";
    }

    private static String problems(String group, String vipSite) {
        return catchThrowableOfType(() -> ConfigLoader.parse(config(group, vipSite), true, TYPES),
                InvalidConfigException.class).getMessage();
    }

    @Test
    void drNodesFollowTheGroupsNodesAndAreNotAutoPromotedByDefault() throws Exception {
        ClusterSpec s = ConfigLoader.parse(config("    promotable: true\n    dr: {nodes: [c]}\n", ", site: primary"), true, TYPES);
        GroupSpec g = s.group("db").orElseThrow();
        assertThat(g.nodes()).containsExactly("a", "b", "c");
        assertThat(g.dr().nodes()).containsExactly("c");
        assertThat(g.dr().autoPromote()).isFalse();
        assertThat(g.dr().runsOn("vip", "a")).isTrue();
        assertThat(g.dr().runsOn("vip", "c")).isFalse();
        assertThat(g.dr().runsOn("pg", "c")).isTrue();
        ClusterSpec auto = ConfigLoader.parse(config("    promotable: true\n    dr: {nodes: [c], autoPromote: true}\n", ""), true, TYPES);
        assertThat(auto.group("db").orElseThrow().dr().autoPromote()).isTrue();
        assertThat(auto.fingerprint()).isNotEqualTo(s.fingerprint());
    }

    @Test
    void badDrConfigurationsNameTheProblemAndTheFix() {
        assertThat(problems("    dr: {nodes: [c]}\n", "")).contains("groups[db].dr").contains("needs a promotable group");
        assertThat(problems("    promotable: true\n    dr: {nodes: [a]}\n", "")).contains("groups[db].dr.nodes[0]")
                .contains("listed both in the group's nodes and in dr.nodes");
        assertThat(problems("    promotable: true\n    dr: {nodes: [z]}\n", "")).contains("node 'z' is not configured");
        assertThat(problems("    promotable: true\n    dr: {nodes: []}\n", "")).contains("groups[db].dr.nodes");
        assertThat(problems("    promotable: true\n    dr: {nodes: [c], auto: true}\n", "")).contains("auto");
        assertThat(problems("    promotable: true\n", ", site: primary")).contains("has no DR site");
        assertThat(problems("    promotable: true\n    dr: {nodes: [c]}\n", ", site: moon")).contains("unknown site")
                .contains("site: dr");
    }

    @Test
    void aResourceOfBothSitesCannotDependOnOneOfASingleSite() {
        String cfg = config("    promotable: true\n    dr: {nodes: [c]}\n", ", site: dr").replace(
                "      - {id: vip, type: process, dependsOn: [pg], site: dr}\n",
                "      - {id: vip, type: process, dependsOn: [pg], site: dr}\n      - {id: app, type: process, dependsOn: [vip]}\n");
        String msg = catchThrowableOfType(() -> ConfigLoader.parse(cfg, true, TYPES), InvalidConfigException.class).getMessage();
        assertThat(msg).contains("'app' depends on 'vip', which runs only at the dr site");
        assertThat(List.of(msg)).isNotEmpty();
    }
}
