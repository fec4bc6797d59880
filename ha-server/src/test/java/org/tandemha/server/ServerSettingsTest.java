package org.tandemha.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;

class ServerSettingsTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Path STATE = Path.of("/var/lib/tandem/web/node1");
    static final Path CONF = Path.of("/etc/tandem");

    static JsonNode server(String yaml) throws Exception {
        return YAML.readTree(yaml).get("server");
    }

    @Test
    void defaultsAndAFullSection() throws Exception {
        ServerSettings d = ServerSettings.fromConfig(null, STATE, CONF);
        assertThat(d).isEqualTo(ServerSettings.defaults(STATE));
        assertThat(d.listen()).isEqualTo("127.0.0.1:7480");
        assertThat(d.auditLog()).isEqualTo(STATE.resolve("audit.log"));
        assertThat(d.metrics()).isTrue();
        assertThat(d.jmx()).isTrue();
        assertThat(d.metricsPublic()).isFalse();
        assertThat(d.tokensFile()).isNull();

        ServerSettings s = ServerSettings.fromConfig(server("""
                server:
                  listen: 0.0.0.0:8443
                  tokensFile: tokens
                  tls: {certificate: /etc/pki/node.crt, key: node.key}
                  auditLog: /var/log/tandem/audit.log
                  metrics: true
                  metricsPublic: true
                  jmx: false
                """), STATE, CONF);
        assertThat(s).isEqualTo(new ServerSettings("0.0.0.0:8443", CONF.resolve("tokens"), Path.of("/etc/pki/node.crt"),
                CONF.resolve("node.key"), Path.of("/var/log/tandem/audit.log"), STATE, true, false, true));
    }

    @Test
    void everyProblemAtOnce() throws Exception {
        InvalidConfigException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidConfigException.class,
                () -> ServerSettings.fromConfig(server("""
                        server:
                          listen: "10.0.0.1"
                          tls: {certificate: a.crt, cert: b}
                          metrics: yes please
                          port: 80
                        """), STATE, CONF));
        assertThat(e.problems()).extracting(p -> p.field() + ": " + p.message()).containsExactlyInAnyOrder(
                "server.port: unknown setting",
                "server.listen: '10.0.0.1' is not host:port",
                "server.tls.cert: unknown setting",
                "server.tls: has a certificate but no key",
                "server.metrics: must be true or false, not \"yes please\"");
        assertThatThrownBy(() -> ServerSettings.fromConfig(server("server:\n  listen: 192.0.2.10:7480\n"), STATE, CONF))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(x -> assertThat(((InvalidConfigException) x).problems().get(0).field()).isEqualTo("server.tokensFile"));
        assertThatThrownBy(() -> ServerSettings.fromConfig(server("server:\n  listen: '[::1]:99999'\n"), STATE, CONF))
                .satisfies(x -> assertThat(((InvalidConfigException) x).problems().get(0).message())
                        .isEqualTo("'[::1]:99999': the port is outside 0..65535 (0 picks a free one)"));
        assertThat(ServerSettings.fromConfig(server("server:\n  listen: '[::1]:7480'\n"), STATE, CONF).listen()).isEqualTo("[::1]:7480");
        assertThatThrownBy(() -> ServerSettings.fromConfig(server("server: [1]\n"), STATE, CONF))
                .isInstanceOf(InvalidConfigException.class);
    }
}
