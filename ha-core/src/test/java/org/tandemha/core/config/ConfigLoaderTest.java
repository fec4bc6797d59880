package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.tandemha.core.config.ConfigTesting.TYPES;
import static org.tandemha.core.config.ConfigTesting.resource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.InvalidConfigException;

class ConfigLoaderTest {

    @Test
    void fullYamlLoadsWithEveryField() throws Exception {
        ClusterSpec s = ConfigLoader.parse(resource("good/full.yaml"), true, TYPES);
        assertThat(s.cluster()).isEqualTo("demo");
        assertThat(s.key()).hasSize(24);
        assertThat(s.nodeIds()).containsExactly("node1", "node2");
        assertThat(s.nodes().get(0).addresses()).containsEntry("heartbeat", "192.0.2.1:7401")
                .containsEntry("backup", "198.51.100.1:7402");
        assertThat(s.paths()).extracting(ClusterSpec.PathSpec::name).containsExactly("heartbeat", "backup", "shared-disk");
        ClusterSpec.PathSpec backup = s.paths().get(1);
        assertThat(backup.transport()).isEqualTo("tcp");
        assertThat(backup.priority()).isEqualTo(2);
        assertThat(backup.interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(backup.misses()).isEqualTo(3);
        assertThat(s.paths().get(2).options()).containsEntry("device", "/dev/disk/by-id/example");
        assertThat(s.arbiters()).extracting(PluginSpec::id).containsExactly("lease", "peer-probe");
        assertThat(s.arbiters().get(1).path()).isEqualTo("arbiters[1]");
        assertThat(s.fencers()).singleElement().satisfies(f -> {
            assertThat(f.type()).isEqualTo("script");
            assertThat(f.path()).isEqualTo("fencing[0]");
            assertThat(f.params().get("command")).isEqualTo(List.of("/usr/local/bin/fence", "%peer"));
        });
        assertThat(s.quorum()).isEqualTo(QuorumSpec.defaults());
        assertThat(s.timing()).isEqualTo(TimingSpec.defaults());

        GroupSpec web = s.group("web").orElseThrow();
        assertThat(web.nodes()).containsExactly("node1", "node2");
        assertThat(web.switchback()).isEqualTo(SwitchbackPolicy.AUTOMATIC);
        assertThat(web.settle()).isEqualTo(Duration.ofSeconds(30));
        assertThat(web.maxRecoveries()).isEqualTo(2);
        assertThat(web.recoveryWindow()).isEqualTo(Duration.ofMinutes(5));
        // dependencies first, otherwise configuration order
        assertThat(web.resources()).extracting(ResourceSpec::id).containsExactly("vip", "data", "app");
        ResourceSpec app = web.resources().get(2);
        assertThat(app.path()).isEqualTo("groups[web].resources[app]");
        assertThat(app.dependsOn()).containsExactly("vip", "data");
        assertThat(app.startTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(app.stopTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(app.recoverTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(app.quickInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(app.quickTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(app.deepInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(app.deepTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(app.params().get("command")).isEqualTo(List.of("/usr/bin/python3", "-m", "http.server", "8080"));

        ResourceSpec pg = s.group("db").orElseThrow().resources().get(0);
        assertThat(pg.params()).containsEntry("port", 5432).containsEntry("ratio", 1.5).containsEntry("enabled", true)
                .containsEntry("tags", List.of("a", "b")).containsKey("nothing");
        assertThat(s.fingerprint()).matches("[0-9a-f]{16}");
    }

    @Test
    void minimalYamlGetsTheDefaults() throws Exception {
        ClusterSpec s = ConfigLoader.parse(resource("good/minimal.yaml"), true, TYPES);
        assertThat(s.key()).hasSize(16);
        ClusterSpec.PathSpec hb = s.paths().get(0);
        assertThat(hb.transport()).isEqualTo("udp");
        assertThat(hb.priority()).isEqualTo(1);
        assertThat(hb.interval()).isEqualTo(Duration.ofMillis(200));
        assertThat(hb.misses()).isEqualTo(3);
        assertThat(hb.options()).isEmpty();
        assertThat(s.arbiters()).isEmpty();
        assertThat(s.fencers()).isEmpty();
        assertThat(s.quorum()).isEqualTo(new QuorumSpec(true, Duration.ofSeconds(5), true));
        assertThat(s.timing()).isEqualTo(TimingSpec.defaults());
        GroupSpec g = s.groups().get(0);
        assertThat(g.switchback()).isEqualTo(SwitchbackPolicy.ADMINISTRATOR);
        assertThat(g.settle()).isEqualTo(Duration.ofSeconds(10));
        assertThat(g.maxRecoveries()).isEqualTo(3);
        assertThat(g.recoveryWindow()).isEqualTo(Duration.ofMinutes(10));
        ResourceSpec r = g.resources().get(0);
        assertThat(r.params()).isEmpty();
        assertThat(r.dependsOn()).isEmpty();
        assertThat(r.startTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(r.stopTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(r.recoverTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(r.quickInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(r.quickTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(r.deepInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(r.deepTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void yamlAndJsonOfTheSameConfigurationGiveTheSameSpecAndFingerprint() throws Exception {
        ClusterSpec y = ConfigLoader.parse(resource("good/full.yaml"), true, TYPES);
        ClusterSpec j = ConfigLoader.parse(resource("good/full.json"), false, TYPES);
        assertThat(j.fingerprint()).isEqualTo(y.fingerprint());
        assertThat(j.groups()).isEqualTo(y.groups());
        assertThat(j.paths()).isEqualTo(y.paths());
        assertThat(j.nodes()).isEqualTo(y.nodes());
    }

    @Test
    void fingerprintIgnoresLayoutButSeesEveryValue() throws Exception {
        String text = resource("good/minimal.yaml");
        String fp = ConfigLoader.parse(text, true, TYPES).fingerprint();
        String relaid = "# a comment\n" + text.replace("{id: r, type: process}", "{type: process, id: r}")
                .replace("  - name: hb\n", "  - name: hb\n    interval: 200ms\n");
        assertThat(ConfigLoader.parse(relaid, true, TYPES).fingerprint()).isEqualTo(fp);
        String changed = text.replace("  - name: hb\n", "  - name: hb\n    interval: 300ms\n");
        assertThat(ConfigLoader.parse(changed, true, TYPES).fingerprint()).isNotEqualTo(fp);
        String otherKey = text.replace("AAECAwQFBgcICQoLDA0ODw==", "AAECAwQFBgcICQoLDA0OEA==");
        assertThat(ConfigLoader.parse(otherKey, true, TYPES).fingerprint()).isNotEqualTo(fp);
    }

    @Test
    void resourcesAreSortedStablyDependenciesFirst() throws Exception {
        String text = resource("good/minimal.yaml").replace("      - {id: r, type: process}\n", """
                      - {id: e, type: process, dependsOn: [d]}
                      - {id: a, type: process}
                      - {id: d, type: process, dependsOn: [b, c]}
                      - {id: b, type: process}
                      - {id: c, type: process, dependsOn: [a]}
                      - {id: f, type: process}
                """);
        ClusterSpec s = ConfigLoader.parse(text, true, TYPES);
        assertThat(s.groups().get(0).resources()).extracting(ResourceSpec::id).containsExactly("a", "b", "c", "d", "e", "f");
    }

    @Test
    void nullKnownTypesAcceptsAnyType() throws Exception {
        String text = resource("good/minimal.yaml").replace("type: process", "type: something-new");
        assertThat(ConfigLoader.parse(text, true, null).groups().get(0).resources().get(0).type()).isEqualTo("something-new");
        assertThat(catchThrowableOfType(() -> ConfigLoader.parse(text, true, TYPES), InvalidConfigException.class)
                .problems()).singleElement().satisfies(p -> assertThat(p.fix()).contains("filesystem, ip, postgresql, process"));
    }

    @Test
    void loadPicksTheSyntaxFromTheExtension() throws Exception {
        assertThat(ConfigLoader.load(ConfigTesting.resourcePath("good/full.yaml"), TYPES).fingerprint())
                .isEqualTo(ConfigLoader.load(ConfigTesting.resourcePath("good/full.json"), TYPES).fingerprint());
    }

    @Test
    void loadRejectsAnUnknownExtension(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cluster.conf");
        Files.writeString(f, resource("good/minimal.yaml"));
        InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.load(f, TYPES), InvalidConfigException.class);
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo(f.toString());
            assertThat(p.fix()).contains(".yaml", ".yml", ".json");
        });
        ConfigTesting.assertOperatorReadable(e.getMessage());
    }

    @Test
    void loadReportsAMissingFileAsOneProblem(@TempDir Path dir) {
        Path f = dir.resolve("absent.yaml");
        InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.load(f, TYPES), InvalidConfigException.class);
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.message()).contains("the file does not exist");
            assertThat(p.fix()).isNotBlank();
        });
        ConfigTesting.assertOperatorReadable(e.getMessage());
    }

    @Test
    void loadReportsADirectoryAndNonUtf8(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectory(dir.resolve("conf.yaml"));
        assertThat(catchThrowableOfType(() -> ConfigLoader.load(sub, TYPES), InvalidConfigException.class).problems())
                .singleElement().satisfies(p -> assertThat(p.message()).contains("not a regular file"));
        Path bin = dir.resolve("bin.yaml");
        Files.write(bin, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertThat(catchThrowableOfType(() -> ConfigLoader.load(bin, TYPES), InvalidConfigException.class).problems())
                .singleElement().satisfies(p -> assertThat(p.message()).contains("UTF-8"));
    }

    @Test
    void keyFileIsReadRelativeToTheConfigurationFile(@TempDir Path dir) throws Exception {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) i;
        }
        Files.write(dir.resolve("cluster.key"), key);
        Path f = dir.resolve("cluster.yaml");
        Files.writeString(f, resource("good/minimal.yaml").replace("key: \"base64:AAECAwQFBgcICQoLDA0ODw==\"",
                "keyFile: cluster.key"), StandardCharsets.UTF_8);
        assertThat(ConfigLoader.load(f, TYPES).key()).isEqualTo(key);

        Files.write(dir.resolve("cluster.key"), new byte[5]);
        InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.load(f, TYPES), InvalidConfigException.class);
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo(f + ": keyFile");
            assertThat(p.message()).contains("holds 5 bytes");
        });
    }

    @Test
    void theKeyIsNeverPrinted() {
        String key = "hex:0011223344556677";
        String text = resource("good/minimal.yaml").replace("base64:AAECAwQFBgcICQoLDA0ODw==", key);
        InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.parse(text, true, TYPES), InvalidConfigException.class);
        assertThat(e.getMessage()).contains("8 bytes").doesNotContain("0011223344556677");
    }

    @Test
    void twoNodesWithoutArbiterNeedTheExplicitOptIn() throws Exception {
        String text = resource("good/minimal.yaml").replace("quorum: {twoNodeWithoutArbiter: true}\n", "");
        InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.parse(text, true, TYPES), InvalidConfigException.class);
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("arbiters");
            assertThat(p.fix()).isEqualTo("add an arbiter (disk-lease, scsi, witness, peer-probe), or set "
                    + "quorum.twoNodeWithoutArbiter: true and accept the split-brain risk");
        });
        String three = text.replace("  - {id: b, addresses: {hb: \"127.0.0.1:7402\"}}\n",
                "  - {id: b, addresses: {hb: \"127.0.0.1:7402\"}}\n  - {id: c, addresses: {hb: \"127.0.0.1:7403\"}}\n");
        assertThat(ConfigLoader.parse(three, true, TYPES).nodes()).hasSize(3);
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String text = resource("good/minimal.yaml").replace("  - name: hb\n", "  - {name: hb, interval: 0s, misses: 0}\n")
                .replace("type: process", "type: nope").replace("[a, b]", "[a, z]");
        InvalidConfigException e = catchThrowableOfType(() -> ConfigLoader.parse(text, true, TYPES), InvalidConfigException.class);
        assertThat(e.problems()).extracting(p -> p.field()).containsExactlyInAnyOrder("paths[hb].interval",
                "paths[hb].misses", "groups[g].resources[r].type", "groups[g].nodes[1]");
        assertThat(e.getMessage()).startsWith("invalid configuration, 4 problems:");
    }

    @Test
    void durationsAcceptOperatorAndIsoForms() throws Exception {
        String text = resource("good/minimal.yaml").replace("  - name: hb\n", "  - {name: hb, interval: PT0.25S}\n")
                .replace("{twoNodeWithoutArbiter: true}", "{twoNodeWithoutArbiter: true, lossGrace: 1m30s}");
        ClusterSpec s = ConfigLoader.parse(text, true, TYPES);
        assertThat(s.paths().get(0).interval()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.quorum().lossGrace()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void addressFormsAreChecked() {
        assertThat(ConfigReader.checkAddress("192.0.2.1:1")).isNull();
        assertThat(ConfigReader.checkAddress("host-a.example:65535")).isNull();
        assertThat(ConfigReader.checkAddress("[2001:db8::1]:7401")).isNull();
        assertThat(ConfigReader.checkAddress("192.0.2.1:0")).contains("invalid port");
        assertThat(ConfigReader.checkAddress("192.0.2.1:65536")).contains("invalid port");
        assertThat(ConfigReader.checkAddress(":7401")).contains("no host");
        assertThat(ConfigReader.checkAddress("2001:db8::1:7401")).contains("invalid host");
        assertThat(ConfigReader.checkAddress("[2001:db8::1]")).contains("[ipv6]:port");
        assertThat(ConfigReader.checkAddress("host")).contains("no port");
    }

    @Test
    void suggestionsAreCloseMatchesOnly() {
        assertThat(ConfigReader.closest("intervall", List.of("interval", "misses"))).isEqualTo("interval");
        assertThat(ConfigReader.closest("Interval", List.of("interval", "misses"))).isEqualTo("interval");
        assertThat(ConfigReader.closest("colour", List.of("interval", "misses"))).isNull();
        assertThat(ConfigReader.plain(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(Map.of("a", 1))))
                .isEqualTo(Map.of("a", 1));
    }
}
