package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.tandemha.core.config.ConfigTesting.TYPES;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;

/** The {@code ping} section (the reachability monitor), and which resource timeouts the configuration set itself. */
class PingConfigTest {
    private static final String BASE = """
            cluster: c
            key: "hex:000102030405060708090a0b0c0d0e0f"
            nodes: [{id: node1}, {id: node2}]
            paths: [{name: memory, transport: memory, interval: 100ms, misses: 3}]
            quorum: {twoNodeWithoutArbiter: true}
            %s
            groups:
              - id: g
                nodes: [node1, node2]
                resources:
                  - {id: a, type: process, params: {command: [/bin/sleep, "100"]}, start: {timeout: 5s},
                     quickCheck: {interval: 1s}}
            """;

    private static ClusterSpec parse(String ping) throws InvalidConfigException {
        return ConfigLoader.parse(BASE.formatted(ping), true, TYPES);
    }

    @Test
    void defaultsAndAPerNodeList() throws Exception {
        ClusterSpec s = parse("ping: {hosts: [192.0.2.1, 192.0.2.2], nodes: {node2: [198.51.100.1]}}");
        PingSpec p = s.ping();
        assertThat(p.hosts()).containsExactly("192.0.2.1", "192.0.2.2");
        assertThat(p.hostsOf("node1")).containsExactly("192.0.2.1", "192.0.2.2");
        assertThat(p.hostsOf("node2")).containsExactly("198.51.100.1");
        assertThat(p.method()).isEqualTo("icmp");
        assertThat(p.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.dampen()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.fingerprint()).isNotEqualTo(parse("").fingerprint());
        assertThat(parse("").ping()).isNull();
        assertThat(parse("ping: {hosts: [192.0.2.1], method: tcp, port: 443, dampen: 1s}").ping().port()).isEqualTo(443);
    }

    @Test
    void badSectionsAreNamedWithTheirFix() {
        assertThat(problems("ping: {method: icmp}")).anyMatch(m -> m.contains("ping.hosts") && m.contains("missing required field"));
        assertThat(problems("ping: {hosts: [192.0.2.1], method: tcp}")).anyMatch(m -> m.contains("method tcp needs a port"));
        assertThat(problems("ping: {hosts: [192.0.2.1], method: udp}")).anyMatch(m -> m.contains("unknown method 'udp'"));
        assertThat(problems("ping: {hosts: [192.0.2.1], interval: 1s, timeout: 2s}"))
                .anyMatch(m -> m.contains("ping.timeout") && m.contains("at most the interval"));
        assertThat(problems("ping: {hosts: [192.0.2.1], nodes: {node9: [192.0.2.2]}}"))
                .anyMatch(m -> m.contains("no node 'node9'"));
        assertThat(problems("ping: {hosts: [192.0.2.1, 192.0.2.1]}")).anyMatch(m -> m.contains("listed twice"));
        assertThat(problems("ping: {hosts: [192.0.2.1], dampn: 1s}")).anyMatch(m -> m.contains("dampn"));
    }

    @Test
    void theReaderRecordsWhichTimeoutsTheConfigurationSets() throws Exception {
        ResourceSpec a = parse("").group("g").orElseThrow().resources().get(0);
        assertThat(a.explicitTimeouts()).containsExactly("start");
        assertThat(a.withAdvised(Map.of("start", Duration.ofSeconds(20), "stop", Duration.ofSeconds(9),
                "quickCheck", Duration.ofSeconds(3))))
                .satisfies(r -> {
                    assertThat(r.startTimeout()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(r.stopTimeout()).isEqualTo(Duration.ofSeconds(9));
                    assertThat(r.recoverTimeout()).isEqualTo(Duration.ofSeconds(14));
                    assertThat(r.quickTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(r.quickInterval()).isEqualTo(Duration.ofSeconds(1));
                    assertThat(r.deepTimeout()).isEqualTo(Duration.ofSeconds(30));
                });
        assertThat(a.withAdvised(Map.of())).isEqualTo(a);
    }

    private static List<String> problems(String ping) {
        InvalidConfigException e = catchThrowableOfType(() -> parse(ping), InvalidConfigException.class);
        assertThat(e).as("expected a configuration error for " + ping).isNotNull();
        return e.problems().stream().map(Object::toString).toList();
    }
}
