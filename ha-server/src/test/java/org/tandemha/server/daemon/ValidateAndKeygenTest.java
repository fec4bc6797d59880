package org.tandemha.server.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.server.cli.Tandem;

class ValidateAndKeygenTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int tandem(String... args) {
        out.reset();
        err.reset();
        return new Tandem(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), false).run(args);
    }

    @Test
    void theShippedExampleIsValid() {
        Path example = Path.of("src/dist/conf/tandem.yaml");
        assertThat(tandem("validate", "--config", example.toString())).as(err.toString()).isZero();
        assertThat(out.toString()).isEqualTo(example + ": valid\n");
        assertThat(tandem("validate", "--config", example.toString(), "--node", "node2")).isZero();
        assertThat(tandem("validate", "--config", example.toString(), "--node", "node9")).isEqualTo(2);
        assertThat(err.toString()).contains("--node: node 'node9' is not in the configuration");
    }

    /** Core problems and the resource types' own parameter problems, in one run (the core alone stops at its own). */
    @Test
    void everyProblemAtOnce() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                cluster: "bad cluster!"
                key: "hex:00"
                nodes:
                  - {id: node1, addresses: {heartbeat: "127.0.0.1:7401"}}
                  - {id: node2, addresses: {heartbeat: "127.0.0.1:99999"}}
                paths:
                  - {name: heartbeat, transport: udp, interval: 200ms, misses: 5}
                quorum: {twoNodeWithoutArbiter: true}
                groups:
                  - id: web
                    nodes: [node1, node3]
                    resources:
                      - id: app
                        type: process
                        params: {stopGrace: forever, colour: blue}
                server: {listen: 127.0.0.1:7480}
                """);
        assertThat(tandem("validate", "--config", bad.toString())).isEqualTo(2);
        String e = err.toString();
        System.out.println(e);
        assertThat(e).startsWith(bad + ": 7 problems:\n")
                .contains("  cluster: invalid cluster 'bad cluster!'")
                .contains("  key: the key is 1 bytes long; at least 16 are required")
                .contains("  nodes[node2].addresses.heartbeat: '127.0.0.1:99999' has an invalid port")
                .contains("  groups[web].nodes[1]: node 'node3' is not configured")
                .contains("  groups[web].resources[app].params.command: required parameter 'command' is missing")
                .contains("  groups[web].resources[app].params.stopGrace: 'forever' is not a duration")
                .contains("  groups[web].resources[app].params.colour: unknown parameter 'colour' for type process")
                .contains("      fix: ");
    }

    /** Once the core part is valid, the node is built (not started) and its plugins' problems come out too. */
    @Test
    void aValidCoreWithABadResource() throws Exception {
        Path cfg = dir.resolve("c.yaml");
        Files.writeString(cfg, Files.readString(Path.of("src/dist/conf/tandem.yaml"))
                .replace("stopGrace: 5s", "stopGrace: 5s\n          checkTcp: nohost"));
        assertThat(tandem("validate", "--config", cfg.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith(cfg + ": 1 problem:\n")
                .contains("groups[web].resources[app].params.checkTcp: 'checkTcp' is 'nohost', not host:port");
        assertThat(tandem("validate", "--config", dir.resolve("missing.yaml").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("cannot read the configuration file");
        assertThat(tandem("validate")).isEqualTo(2);
        assertThat(err.toString()).contains("validate: --config FILE is required");
    }

    /**
     * A promotable group whose OCF agent has no promote/demote: validate sees what the node sees (the group's
     * replicated resource), whether or not the core part is valid, and names the problem and the fix.
     */
    @Test
    void aPromotableGroupWhoseAgentCannotPromote() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/lib/ocf/resource.d/heartbeat/Dummy")),
                "needs the OCF agent heartbeat:Dummy (package resource-agents)");
        String config = """
                cluster: pg
                key: "hex:8f1c2a7d4e5b6a7980a1b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8"
                nodes:
                  - {id: node1, addresses: {heartbeat: "127.0.0.1:7401"}}
                  - {id: node2, addresses: {heartbeat: "127.0.0.1:7402"}}
                paths:
                  - {name: heartbeat, transport: udp}
                quorum: {twoNodeWithoutArbiter: true}
                groups:
                  - id: db
                    nodes: [node1, node2]
                    promotable: true
                    resources:
                      - id: pg
                        type: ocf
                        params: {agent: "ocf:heartbeat:Dummy"}
                """;
        String problem = "groups[db].resources[pg].params.agent: OCF agent heartbeat:Dummy has no promote or demote"
                + " action, so it cannot be the replicated resource of promotable group (resource pg)";
        String fix = "fix: use an agent that supports promotable clones (its meta-data lists promote and demote), or"
                + " remove promotable: true from the group";
        Path valid = dir.resolve("promotable.yaml");
        Files.writeString(valid, config);
        assertThat(tandem("validate", "--config", valid.toString())).as(out.toString()).isEqualTo(2);
        assertThat(err.toString()).startsWith(valid + ": 1 problem:\n").contains(problem).contains(fix);
        Path bad = dir.resolve("promotable-bad-core.yaml");
        Files.writeString(bad, config.replace("cluster: pg", "cluster: \"bad cluster!\""));
        assertThat(tandem("validate", "--config", bad.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith(bad + ": 2 problems:\n").contains("cluster: invalid cluster")
                .contains(problem).contains(fix);
    }

    /** The ping section is checked with the rest: its problems come out with the core's, in one run. */
    @Test
    void pingProblemsComeWithTheOthers() throws Exception {
        Path cfg = dir.resolve("ping.yaml");
        Files.writeString(cfg, Files.readString(Path.of("src/dist/conf/tandem.yaml"))
                .replace("cluster: example", "cluster: \"bad name!\"")
                .replace("groups:\n", "ping: {hosts: [192.0.2.1], method: tcp, interval: 1s, timeout: 2s, nodes: {node3: [192.0.2.2]}}\n"
                        + "groups:\n"));
        assertThat(tandem("validate", "--config", cfg.toString())).isEqualTo(2);
        assertThat(err.toString()).startsWith(cfg + ": 4 problems:\n")
                .contains("  cluster: invalid cluster 'bad name!'")
                .contains("  ping.nodes.node3: no node 'node3' in the configuration\n      fix: use one of node1, node2")
                .contains("  ping.port: method tcp needs a port")
                .contains("  ping.timeout: timeout 2 s must be positive and at most the interval (1 s)");
    }

    @Test
    void keygen() throws Exception {
        assertThat(tandem("keygen")).isZero();
        assertThat(out.toString()).matches("hex:[0-9a-f]{64}\n");
        assertThat(tandem("keygen", "--token", "--name", "ops", "--role", "admin")).isZero();
        assertThat(out.toString()).matches("ops admin [A-Za-z0-9_-]{43}\n");
        assertThat(tandem("keygen", "--token", "--role", "root")).isEqualTo(2);
        assertThat(err.toString()).contains("--role is viewer, operator or admin, not 'root'");
        Path key = dir.resolve("cluster.key");
        assertThat(tandem("keygen", "--out", key.toString())).isZero();
        assertThat(Files.readString(key)).matches("hex:[0-9a-f]{64}\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(tandem("keygen", "--out", key.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("exists already");
        assertThat(tandem("version")).isZero();
        assertThat(out.toString()).startsWith("tandem ");
    }
}
