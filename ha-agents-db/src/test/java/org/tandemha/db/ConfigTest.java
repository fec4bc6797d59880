package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Problem;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/** Configuration checks: every problem is reported at once, naming the field and the fix. No server needed. */
class ConfigTest {
    private final TestSupport.Node node = new TestSupport.Node("cfg");

    private static List<Problem> problems(ThrowingCreate c) {
        try {
            c.run();
        } catch (InvalidConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected an InvalidConfigException");
    }

    @FunctionalInterface
    interface ThrowingCreate {
        void run() throws InvalidConfigException;
    }

    @Test
    void theThreeTypesAreFoundThroughTheServiceLoader() {
        List<String> names = ServiceLoader.load(ResourceType.class).stream().map(p -> p.get().name()).toList();
        assertThat(names).contains("postgresql", "mariadb", "jdbc");
    }

    @Test
    void replicationSectionIsChecked() throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put("dataDirectory", "/srv/pg");
        p.put("replication", Map.of("mode", "semi", "address", "nowhere", "slot", "x"));
        String all = problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node)).toString();
        assertThat(all).contains("params.replication").contains("unknown replication mode 'semi'").contains("mode: sync")
                .contains("'nowhere' is not host:port").contains("unknown replication setting 'slot'");
        p.put("replication", Map.of("mode", "sync", "addresses", Map.of("n2", "192.0.2.2:5432")));
        assertThat(problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node)).toString())
                .contains("no address for node cfg");
        p.put("replication", Map.of("mode", "sync", "addresses", Map.of("cfg", "192.0.2.1:5432", "n2", "192.0.2.2:5432")));
        node.peers.addAll(List.of("cfg", "n2", "n3"));
        ResourceParts parts = new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node);
        assertThat(parts.resource()).isInstanceOf(org.tandemha.api.PromotableResource.class);
        assertThat(ReplicatedPostgresql.serverSettings(new ReplicatedPostgresql.Replication("sync", "h:1", "u", null),
                List.of("n2", "n3"), List.of())).contains("synchronous_standby_names=ANY 2 (\"n2\",\"n3\")", "wal_log_hints=on");
        p.remove("replication");
        assertThat(new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node).resource())
                .isNotInstanceOf(org.tandemha.api.PromotableResource.class);
    }

    @Test
    void postgresqlReportsEveryProblem() {
        Map<String, Object> p = new HashMap<>();
        p.put("dataDir", "/srv/pg");          // typo
        p.put("port", 70000);
        p.put("password", "secret");
        p.put("heartbeatTable", "x; DROP TABLE y");
        p.put("stopGrace", "10");
        p.put("binDirectory", "relative/bin");
        List<Problem> ps = problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node));
        String all = ps.toString();
        assertThat(all).contains("params.dataDirectory").contains("required parameter 'dataDirectory'");
        assertThat(all).contains("params.port").contains("70000");
        assertThat(all).contains("params.password").contains("passwordFile");
        assertThat(all).contains("params.heartbeatTable");
        assertThat(all).contains("params.stopGrace").contains("unit is required");
        assertThat(all).contains("params.binDirectory").contains("absolute");
        assertThat(all).contains("unknown parameter 'dataDir'");
        assertThat(all).doesNotContain("secret");
    }

    @Test
    void mariadbNeedsAnAccountAndAShortSocketPath() {
        List<Problem> ps = problems(() -> new MariadbType().create(PluginConfig.of("m", "mariadb",
                Map.of("dataDirectory", "/srv/" + "x".repeat(120), "heartbeatWrite", true, "serverArgs", List.of("--port=1", "-v"))), node));
        String all = ps.toString();
        assertThat(all).contains("params.user").contains("params.socket").contains("107 bytes");
        assertThat(all).contains("heartbeatWrite needs a database");
        assertThat(all).contains("'--port=1' is set by its own parameter").contains("'-v' is not a long server option");
    }

    @Test
    void jdbcNamesTheMissingDriversMavenCoordinates() {
        String oracle = problems(() -> new JdbcType().create(PluginConfig.of("o", "jdbc",
                Map.of("url", "jdbc:oracle:thin:@//db-vip:1521/ORCL", "user", "app")), node)).toString();
        assertThat(oracle).contains("com.oracle.database.jdbc:ojdbc11");
        String sqlserver = problems(() -> new JdbcType().create(PluginConfig.of("s", "jdbc",
                Map.of("url", "jdbc:sqlserver://db:1433", "driverClass", "com.microsoft.sqlserver.jdbc.SQLServerDriver")), node)).toString();
        assertThat(sqlserver).contains("params.driverClass").contains("com.microsoft.sqlserver:mssql-jdbc");
        assertThatThrownBy(() -> PostgresqlType.build(PluginConfig.of("pg", "postgresql", Map.of("dataDirectory", "/srv/pg")), node,
                "org.postgresql.NoSuchDriver")).hasMessageContaining("org.postgresql:postgresql");
        assertThatThrownBy(() -> MariadbType.build(PluginConfig.of("m", "mariadb", Map.of("dataDirectory", "/srv/m", "user", "u")), node,
                "org.mariadb.jdbc.NoSuchDriver")).hasMessageContaining("org.mariadb.jdbc:mariadb-java-client");
    }

    @Test
    void jdbcRejectsPasswordsInTheUrlAndHalfConfiguredCommands() {
        String all = problems(() -> new JdbcType().create(PluginConfig.of("d", "jdbc", Map.of(
                "url", "jdbc:postgresql://h/db?user=a&password=hunter22", "start", List.of("bin/start"),
                "passwordFile", "/a", "passwordEnv", "B")), node)).toString();
        assertThat(all).contains("the URL carries a password").contains("not an absolute path")
                .contains("a start command without a stop command").contains("both passwordFile and passwordEnv");
        assertThat(all).doesNotContain("hunter22");
    }

    @Test
    void aGoodConfigurationBuilds() throws Exception {
        assertThat(new PostgresqlType().create(PluginConfig.of("pg", "postgresql", Map.of("dataDirectory", "/srv/pg",
                "passwordEnv", "PGPASSWORD", "heartbeatWrite", true, "settings", List.of("shared_buffers=64MB"))), node)).isNotNull();
        assertThat(new MariadbType().create(PluginConfig.of("m", "mariadb", Map.of("dataDirectory", "/srv/m", "user", "tandem",
                "database", "app", "heartbeatWrite", true)), node)).isNotNull();
        assertThat(new JdbcType().create(PluginConfig.of("d", "jdbc", Map.of("url", "jdbc:postgresql://db/app")), node)).isNotNull();
    }

    @Test
    void durabilityModesGiveTheirSettingsAndLimits() throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put("dataDirectory", "/srv/pg");
        node.peers.clear();
        node.peers.addAll(List.of("cfg", "n2", "n3"));
        Map<String, Object> addresses = Map.of("cfg", "192.0.2.1:5432", "n2", "192.0.2.2:5432", "n3", "192.0.2.3:5432");
        // quorum: ANY k of the other nodes; a failover must compare n-k+1 copies
        ReplicatedPostgresql.Replication q = new ReplicatedPostgresql.Replication("quorum", "h:1", "u", null, 1, -1);
        assertThat(ReplicatedPostgresql.serverSettings(q, List.of("n2", "n3"), List.of()))
                .contains("synchronous_standby_names=ANY 1 (\"n2\",\"n3\")", "synchronous_commit=on");
        assertThat(ReplicatedPostgresql.limitFacts(q, "db", 2)).containsExactly(
                Map.entry(org.tandemha.api.ReplicationState.QUORUM_FACT + "db", "2"));
        ReplicatedPostgresql.Replication q2 = new ReplicatedPostgresql.Replication("quorum", "h:1", "u", null, 2, -1);
        assertThat(ReplicatedPostgresql.serverSettings(q2, List.of("n2", "n3"), List.of()))
                .contains("synchronous_standby_names=ANY 2 (\"n2\",\"n3\")");
        assertThat(ReplicatedPostgresql.limitFacts(q2, "db", 2)).containsValue("1");
        // async: nothing waits; maxLagOnFailover becomes the engine's limit
        ReplicatedPostgresql.Replication a = new ReplicatedPostgresql.Replication("async", "h:1", "u", null, 0, 16 << 20);
        assertThat(ReplicatedPostgresql.serverSettings(a, List.of("n2", "n3"), List.of()))
                .noneMatch(s -> s.startsWith("synchronous_standby_names"));
        assertThat(ReplicatedPostgresql.limitFacts(a, "db", 2)).containsExactly(
                Map.entry(org.tandemha.api.ReplicationState.MAX_LAG_FACT + "db", String.valueOf(16 << 20)));
        assertThat(ReplicatedPostgresql.limitFacts(new ReplicatedPostgresql.Replication("sync", "h:1", "u", null), "db", 2))
                .isEmpty();
        // read from the configuration
        p.put("replication", Map.of("mode", "quorum", "quorumCommit", "1", "addresses", addresses));
        assertThat(new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node).resource())
                .isInstanceOf(org.tandemha.api.PromotableResource.class);
        p.put("replication", Map.of("mode", "async", "maxLagOnFailover", "16MB", "addresses", addresses));
        assertThat(new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node).resource())
                .isInstanceOf(org.tandemha.api.PromotableResource.class);
        assertThat(PostgresqlType.bytes("16MB")).isEqualTo(16L << 20);
        assertThat(PostgresqlType.bytes("512kB")).isEqualTo(512L << 10);
        assertThat(PostgresqlType.bytes("0")).isZero();
        assertThat(PostgresqlType.bytes("lots")).isNegative();
        // and its mistakes
        p.put("replication", Map.of("mode", "quorum", "addresses", addresses));
        assertThat(problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node)).toString())
                .contains("mode quorum needs quorumCommit", "1 to 2");
        p.put("replication", Map.of("mode", "quorum", "quorumCommit", "3", "addresses", addresses));
        assertThat(problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node)).toString())
                .contains("quorumCommit '3' is not between 1 and the number of standbys (2)");
        p.put("replication", Map.of("mode", "sync", "quorumCommit", "1", "maxLagOnFailover", "1MB", "addresses", addresses));
        assertThat(problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node)).toString())
                .contains("quorumCommit is for mode quorum, not sync", "maxLagOnFailover is for mode async");
        p.put("replication", Map.of("mode", "async", "maxLagOnFailover", "lots", "addresses", addresses));
        assertThat(problems(() -> new PostgresqlType().create(PluginConfig.of("pg", "postgresql", p), node)).toString())
                .contains("maxLagOnFailover 'lots' is not a size");
    }
}
