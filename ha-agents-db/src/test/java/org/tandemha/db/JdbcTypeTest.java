package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Posix;

/** The generic {@code jdbc} type against the real PostgreSQL and MariaDB servers. */
class JdbcTypeTest {
    private final TestSupport.Node n1 = new TestSupport.Node("n1");

    private static void needRoot() {
        assumeTrue(Posix.isRoot(), "JDBC tests against real servers run as root");
    }

    private ResourceParts jdbc(Map<String, Object> params) throws Exception {
        return new JdbcType().create(PluginConfig.of("db", "jdbc", params), n1);
    }

    private TestSupport.Pg runningPostgres() throws Exception {
        assumeTrue(TestSupport.pgInstalled(), "PostgreSQL 15 is not installed");
        TestSupport.Pg pg = TestSupport.postgres();
        ActionResult r = pg.resource(n1, Map.of()).start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(r.isDone()).as(r.toString()).isTrue();
        return pg;
    }

    @Test
    void checksPostgresWithIsValidAndAQuery() throws Exception {
        needRoot();
        TestSupport.Pg pg = runningPostgres();
        ResourceParts parts = jdbc(Map.of("url", "jdbc:postgresql://127.0.0.1:" + pg.port + "/postgres", "user", "postgres",
                "passwordFile", pg.passwordFile.toString(), "checkQuery", "SELECT count(*) FROM pg_catalog.pg_class"));
        CheckResult quick = parts.checker().quickCheck(TestSupport.ctx(Duration.ofSeconds(3)));
        assertThat(quick.health()).as(quick.reason()).isEqualTo(CheckResult.Health.OK);
        CheckResult deep = parts.checker().deepCheck(TestSupport.ctx(Duration.ofSeconds(3)));
        assertThat(deep.health()).as(deep.reason()).isEqualTo(CheckResult.Health.OK);
        assertThat(deep.reason()).contains("query returned");
        // monitor only: start checks the connection, stop has nothing to do
        assertThat(parts.resource().start(TestSupport.ctx(Duration.ofSeconds(5))).isDone()).isTrue();
        assertThat(parts.resource().stop(TestSupport.ctx(Duration.ofSeconds(5))).reason()).contains("monitor only");
    }

    @Test
    void checksMariadbWithIsValidAndAQuery() throws Exception {
        needRoot();
        assumeTrue(TestSupport.mariaInstalled(), "MariaDB is not installed");
        TestSupport.Maria m = TestSupport.mariadb();
        assertThat(m.resource(n1, Map.of()).start(TestSupport.ctx(Duration.ofSeconds(60))).isDone()).isTrue();
        ResourceParts parts = jdbc(Map.of("url", "jdbc:mariadb://127.0.0.1:" + m.port + "/tandemtest", "user", "tandem",
                "passwordFile", m.passwordFile.toString(), "checkQuery", "SELECT NOW()", "driverClass", "org.mariadb.jdbc.Driver"));
        assertThat(parts.checker().quickCheck(TestSupport.ctx(Duration.ofSeconds(3))).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(parts.checker().deepCheck(TestSupport.ctx(Duration.ofSeconds(3))).health()).isEqualTo(CheckResult.Health.OK);

        CheckResult bad = jdbc(Map.of("url", "jdbc:mariadb://127.0.0.1:" + m.port + "/tandemtest", "user", "tandem",
                "passwordEnv", "TANDEM_TEST_UNSET_VARIABLE")).checker().quickCheck(TestSupport.ctx(Duration.ofSeconds(3)));
        assertThat(bad.severity()).isEqualTo(Severity.HARD);
        assertThat(bad.reason()).contains("TANDEM_TEST_UNSET_VARIABLE");
    }

    @Test
    void startStopAndStatusCommandsManageTheServer() throws Exception {
        needRoot();
        TestSupport.Pg pg = runningPostgres();
        String pgCtl = TestSupport.PG_BIN + "/pg_ctl";
        String log = pg.dataDir.resolve("jdbc-type.log").toString();
        Map<String, Object> p = new HashMap<>();
        p.put("url", "jdbc:postgresql://127.0.0.1:" + pg.port + "/postgres");
        p.put("user", "postgres");
        p.put("passwordFile", pg.passwordFile.toString());
        p.put("osUser", "postgres");
        p.put("workingDirectory", "/");
        p.put("start", List.of(pgCtl, "start", "-D", pg.dataDir.toString(), "-l", log, "-w", "-s",
                "-o", "-p " + pg.port + " -c unix_socket_directories=" + pg.socketDir));
        p.put("stop", List.of(pgCtl, "stop", "-D", pg.dataDir.toString(), "-m", "fast", "-w", "-s"));
        p.put("status", List.of("/bin/sh", "-c", "\"$0\" status -D \"$1\" >/dev/null 2>&1 && exit 0 || exit 7", pgCtl, pg.dataDir.toString()));
        ResourceParts parts = jdbc(p);

        ActionResult stop = parts.resource().stop(TestSupport.ctx(Duration.ofSeconds(30)));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(parts.resource().stop(TestSupport.ctx(Duration.ofSeconds(10))).reason()).isEqualTo("not running");
        assertThat(parts.checker().quickCheck(TestSupport.ctx(Duration.ofSeconds(5))).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);

        ActionResult start = parts.resource().start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(start.isDone()).as("%s %s", start, start.output()).isTrue();
        assertThat(start.reason()).contains("connection valid");
        assertThat(parts.checker().deepCheck(TestSupport.ctx(Duration.ofSeconds(5))).healthy()).isTrue();

        ActionResult rec = parts.recoverer().recover(TestSupport.ctx(Duration.ofSeconds(60)), CheckResult.failed("test"));
        assertThat(rec.isDone()).as(rec.toString()).isTrue();
    }

    @Test
    void aStuckServerTimesOutOnTheCheckDeadlineAndLeavesABoundedNumberOfBlockedCalls() throws Exception {
        needRoot();
        TestSupport.Pg pg = runningPostgres();
        ResourceParts parts = jdbc(Map.of("url", "jdbc:postgresql://127.0.0.1:" + pg.port + "/postgres", "user", "postgres",
                "passwordFile", pg.passwordFile.toString(), "jdbcProperties", Map.of("socketTimeout", "30", "connectTimeout", "30")));
        long pid = pg.pid();
        try {
            Posix.kill(pid, Posix.SIGSTOP);
            for (int i = 0; i < JdbcProbe.MAX_BLOCKED; i++) {
                CheckResult r = parts.checker().quickCheck(TestSupport.ctx(Duration.ofMillis(500)));
                assertThat(r.health()).as(r.reason()).isEqualTo(CheckResult.Health.TIMEOUT);
                assertThat(r.duration()).isLessThan(Duration.ofSeconds(3));
            }
            CheckResult more = parts.checker().quickCheck(TestSupport.ctx(Duration.ofMillis(500)));
            assertThat(more.healthy()).isFalse();
            assertThat(more.reason()).contains("still blocked in the driver");
            assertThat(more.duration()).isLessThan(Duration.ofMillis(500));
        } finally {
            Posix.kill(pid, Posix.SIGCONT);
        }
        PostgresqlResource db = pg.resource(n1, Map.of());
        assertThat(db.quickCheck(TestSupport.ctx(Duration.ofSeconds(5))).healthy()).isTrue();
    }
}
