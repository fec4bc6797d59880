package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Posix;

/** PostgreSQL 15 for real: a cluster in a temp folder, on a free port, run as the postgres user. */
class PostgresqlTest extends DbServerTest<PostgresqlResource> {
    private static TestSupport.Pg pg;

    @BeforeAll
    static void cluster() throws Exception {
        assumeTrue(Posix.isRoot(), "PostgreSQL tests run as root (they start the server as the postgres user)");
        assumeTrue(TestSupport.pgInstalled(), "PostgreSQL 15 is not installed in " + TestSupport.PG_BIN);
        pg = TestSupport.postgres();
    }

    @Override
    TestSupport.Server<PostgresqlResource> serverUnderTest() {
        return pg;
    }

    @Test
    void startChecksStopAreIdempotent() throws Exception {
        ActionResult again = db.start(TestSupport.ctx(Duration.ofSeconds(10)));
        assertThat(again.isDone()).isTrue();
        assertThat(again.reason()).contains("already running");

        CheckResult quick = db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
        assertThat(quick.health()).as(quick.reason()).isEqualTo(CheckResult.Health.OK);
        CheckResult deep = db.deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(deep.health()).as(deep.reason()).isEqualTo(CheckResult.Health.OK);
        assertThat(deep.reason()).contains("heartbeat row written");
        try (Connection c = connect(pg); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT generation FROM tandem_heartbeat WHERE node_id = 'n1'")) {
            assertThat(rs.next()).isTrue();
        }
        CheckResult jdbcQuick = pg.resource(n1, Map.of("quickCheck", "jdbc")).quickCheck(TestSupport.ctx(Duration.ofSeconds(3)));
        assertThat(jdbcQuick.health()).as(jdbcQuick.reason()).isEqualTo(CheckResult.Health.OK);

        ActionResult stop = db.stop(TestSupport.ctx(Duration.ofSeconds(20)));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(stop.reason()).contains("fast shutdown");
        assertThat(Files.exists(pg.dataDir.resolve("postmaster.pid"))).isFalse();
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(2))).reason()).startsWith("not running");
        assertThat(db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2))).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(db.deepCheck(TestSupport.ctx(Duration.ofSeconds(2))).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
    }

    @Test
    void kill9IsSeenByTheQuickCheckAndRestartInPlaceKeepsCommittedRows() throws Exception {
        long rows = insertRows(pg, 20);
        long pid = pg.pid();
        assertThat(Posix.kill(pid, Posix.SIGKILL)).isTrue();
        Procs.waitGone(pid, 5_000_000_000L, TestSupport.ctx(Duration.ofSeconds(5)));

        CheckResult quick = db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
        assertThat(quick.healthy()).isFalse();
        assertThat(quick.reason()).contains("not running here");

        var recoverer = DbSupport.restartInPlace(db, db);
        ActionResult rec = recoverer.recover(TestSupport.ctx(Duration.ofSeconds(60)), quick);
        assertThat(rec.isDone()).as("%s %s", rec, rec.output()).isTrue();
        assertThat(rec.reason()).contains("deep check ok");
        assertThat(countRows(pg)).isEqualTo(rows);
    }

    @Test
    void stuckServerFailsTheDeepCheckOnItsTimeoutAndRecoveryEscalatesToKill() throws Exception {
        long rows = insertRows(pg, 5);
        PostgresqlResource quickStop = pg.resource(n1, Map.of("stopGrace", "1s", "immediateGrace", "1s"));
        long pid = pg.pid();
        try {
            assertThat(Posix.kill(pid, Posix.SIGSTOP)).isTrue();
            CheckResult deep = quickStop.deepCheck(TestSupport.ctx(Duration.ofSeconds(2)));
            assertThat(deep.health()).as(deep.reason()).isEqualTo(CheckResult.Health.TIMEOUT);
            assertThat(deep.duration()).isLessThan(Duration.ofSeconds(4));
            CheckResult quick = quickStop.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
            assertThat(quick.healthy()).isFalse();
            assertThat(quick.reason()).contains("SIGSTOP");

            ActionResult rec = DbSupport.restartInPlace(quickStop, quickStop).recover(TestSupport.ctx(Duration.ofSeconds(60)), deep);
            assertThat(rec.isDone()).as("%s %s", rec, rec.output()).isTrue();
            assertThat(rec.reason()).contains("SIGKILL");
            assertThat(n1.notes).anyMatch(n -> n.contains("LAST RESORT"));
            assertThat(pg.pid()).isNotEqualTo(pid);
            assertThat(countRows(pg)).isEqualTo(rows);
        } finally {
            Posix.kill(pid, Posix.SIGCONT);
            TestSupport.killPid(pid);
        }
    }

    @Test
    void dataDirectoryMovesToASecondInstanceAfterACrash() throws Exception {
        long rows = insertRows(pg, 10);
        // node n1 dies: every server process goes at once, postmaster.pid stays behind
        long pid = pg.pid();
        assertThat(Procs.killHard(pid, TestSupport.ctx(Duration.ofSeconds(5)))).isTrue();
        assertThat(Files.exists(pg.dataDir.resolve("postmaster.pid"))).isTrue();

        TestSupport.Node n2 = new TestSupport.Node("n2");
        PostgresqlResource other = pg.resource(n2, Map.of());
        // the engine's clean-up stop at node start-up, then the takeover
        assertThat(other.stop(TestSupport.ctx("n2", Duration.ofSeconds(5))).isDone()).isTrue();
        ActionResult started = other.start(TestSupport.ctx("n2", Duration.ofSeconds(60)));
        assertThat(started.isDone()).as("%s %s", started, started.output()).isTrue();
        assertThat(other.deepCheck(TestSupport.ctx("n2", Duration.ofSeconds(5))).healthy()).isTrue();
        assertThat(countRows(pg)).isEqualTo(rows);

        // and back, cleanly this time
        assertThat(other.stop(TestSupport.ctx("n2", Duration.ofSeconds(20))).isDone()).isTrue();
        assertThat(db.start(TestSupport.ctx(Duration.ofSeconds(60))).isDone()).isTrue();
        assertThat(countRows(pg)).isEqualTo(rows);
    }

    @Test
    void stalePostmasterPidNamingAnotherLiveProgramIsMovedAsideLoudly() throws Exception {
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(20))).isDone()).isTrue();
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Path pidFile = pg.dataDir.resolve("postmaster.pid");
            Files.writeString(pidFile, other.pid() + "\n" + pg.dataDir + "\n1700000000\n" + pg.port + "\n\n\n  5432001    65536\nready\n");
            TestSupport.chown(pidFile, "postgres");
            // the engine's clean-up stop must not take the other program for the postmaster
            ActionResult stop = db.stop(TestSupport.ctx(Duration.ofSeconds(5)));
            assertThat(stop.reason()).startsWith("not running");
            assertThat(other.isAlive()).isTrue();
            assertThat(db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2))).healthy()).isFalse();
            ActionResult started = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
            assertThat(started.isDone()).as("%s %s", started, started.output()).isTrue();
            assertThat(started.reason()).contains("stale postmaster.pid").contains(Long.toString(other.pid()));
            assertThat(n1.notes).anyMatch(n -> n.contains("moved it to postmaster.pid.stale-"));
            assertThat(other.isAlive()).isTrue();
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aStartThatMissesItsDeadlineReportsATimeoutAndLeavesNothingRunning() throws Exception {
        long rows = insertRows(pg, 1);
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(20))).isDone()).isTrue();
        ActionResult late = db.start(TestSupport.ctx(Duration.ofMillis(1)));
        assertThat(late.outcome()).as(late.toString()).isEqualTo(ActionResult.Outcome.TIMEOUT);
        assertThat(late.reason()).contains("did not accept connections");
        for (int i = 0; i < 100 && !Procs.findByCwd(pg.dataDir, "postgres").isEmpty(); i++) {
            Procs.sleepQuietly(50);
        }
        assertThat(Procs.findByCwd(pg.dataDir, "postgres")).isEmpty();
        assertThat(db.runningPid()).isEqualTo(-1);
        ActionResult r = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(r.isDone()).as("%s %s", r, r.output()).isTrue();
        assertThat(countRows(pg)).isEqualTo(rows);
    }

    @Test
    void clearErrors() throws Exception {
        ActionResult noBinary = pg.resource(n1, Map.of("binDirectory", "/nonexistent/bin")).start(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(noBinary.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(noBinary.reason()).contains("/nonexistent/bin/pg_ctl").contains("binDirectory");

        PostgresqlResource missing = pg.resource(n1, Map.of("dataDirectory", "/nonexistent/pgdata"));
        ActionResult noDir = missing.start(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(noDir.severity()).isEqualTo(Severity.HARD);
        assertThat(noDir.reason()).contains("does not exist").contains("mounted");
        ActionResult stopNoDir = missing.stop(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(stopNoDir.isDone()).isTrue();
        assertThat(stopNoDir.duration()).isLessThan(Duration.ofSeconds(1));

        Path empty = Files.createDirectories(TestSupport.base().resolve("not-a-cluster"));
        ActionResult wrongDir = pg.resource(n1, Map.of("dataDirectory", empty.toString())).start(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(wrongDir.severity()).isEqualTo(Severity.HARD);
        assertThat(wrongDir.reason()).contains("not a PostgreSQL data directory");

        Path badPw = TestSupport.base().resolve("pg-wrong.pass");
        Files.writeString(badPw, "wrong-password-xyz\n");
        CheckResult badCreds = pg.resource(n1, Map.of("passwordFile", badPw.toString())).deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(badCreds.healthy()).isFalse();
        assertThat(badCreds.severity()).isEqualTo(Severity.HARD);
        assertThat(badCreds.reason()).contains("bad credentials").doesNotContain("wrong-password-xyz");

        CheckResult noEnv = pg.resource(n1, Map.of("passwordFile", "", "passwordEnv", "TANDEM_TEST_UNSET_VARIABLE"))
                .deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(noEnv.reason()).contains("TANDEM_TEST_UNSET_VARIABLE").contains("not set");

        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(20))).isDone()).isTrue();
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", pg.port));
            ActionResult busy = db.start(TestSupport.ctx(Duration.ofSeconds(10)));
            assertThat(busy.severity()).isEqualTo(Severity.HARD);
            assertThat(busy.reason()).contains("port " + pg.port).contains("in use");
        }
    }

    /** Issue 22 item 6: a standby (in recovery) is not a healthy primary: refused at start, failed (hard) by every check. */
    @Test
    void aServerInRecoveryIsNotAHealthyPrimary() throws Exception {
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(20))).isDone()).isTrue();
        java.nio.file.Path signal = pg.dataDir.resolve("standby.signal");
        Files.writeString(signal, "");
        TestSupport.chown(signal, "postgres");
        try {
            ActionResult refused = db.start(TestSupport.ctx(Duration.ofSeconds(30)));
            assertThat(refused.isDone()).isFalse();
            assertThat(refused.severity()).isEqualTo(org.tandemha.api.Severity.HARD);
            assertThat(refused.reason()).contains("standby.signal").contains("not as a primary");
            assertThat(pg.pid()).isLessThanOrEqualTo(0);

            // the same data directory started by hand as a standby (as an operator or a replica set-up would)
            var started = TestSupport.run(Duration.ofSeconds(60), "postgres", TestSupport.PG_BIN + "/pg_ctl", "start", "-D",
                    pg.dataDir.toString(), "-l", pg.dataDir.resolve("standby.log").toString(), "-w", "-t", "50", "-s",
                    "-o", db.serverOptions());
            assertThat(started.ok()).as("pg_ctl start as a standby: %s %s", started.describe(), started.tail()).isTrue();
            try (Connection c = connect(pg); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean(1)).as("the server really is in recovery").isTrue();
            }
            CheckResult quick = db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
            assertThat(quick.health()).as("%s; postmaster.pid: %s", quick.reason(),
                    Files.readAllLines(pg.dataDir.resolve("postmaster.pid"))).isEqualTo(CheckResult.Health.FAILED);
            assertThat(quick.severity()).isEqualTo(org.tandemha.api.Severity.HARD);
            assertThat(quick.reason()).contains("in recovery").contains("not a primary");
            CheckResult deep = db.deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
            assertThat(deep.health()).as(deep.reason()).isEqualTo(CheckResult.Health.FAILED);
            assertThat(deep.severity()).isEqualTo(org.tandemha.api.Severity.HARD);
            ActionResult again = db.start(TestSupport.ctx(Duration.ofSeconds(10)));
            assertThat(again.isDone()).as(again.toString()).isFalse();
            assertThat(again.reason()).contains("standby");
            ActionResult stop = db.stop(TestSupport.ctx(Duration.ofSeconds(20)));
            assertThat(stop.isDone()).as(stop.toString()).isTrue();
        } finally {
            Files.deleteIfExists(signal);
        }
        ActionResult back = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(back.isDone()).as("%s %s", back, back.output()).isTrue();
        assertThat(db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2))).health()).isEqualTo(CheckResult.Health.OK);
    }

    /** Issue 22 item 6: a server shutting down (a smart shutdown waiting for a session) is not healthy. */
    @Test
    void aServerShuttingDownIsNotHealthy() throws Exception {
        long pid = pg.pid();
        try (Connection session = connect(pg)) {                 // a smart shutdown waits for this session
            var stop = TestSupport.run(Duration.ofSeconds(10), "postgres", TestSupport.PG_BIN + "/pg_ctl", "stop", "-D",
                    pg.dataDir.toString(), "-m", "smart", "-W", "-s");
            assertThat(stop.ok()).as("pg_ctl stop -m smart -W: %s %s", stop.describe(), stop.tail()).isTrue();
            CheckResult quick = null;
            for (int i = 0; i < 50; i++) {                       // the postmaster notes 'stopping' at once; 5 s at most
                quick = db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
                if (!quick.healthy()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(quick.health()).as(quick.reason()).isEqualTo(CheckResult.Health.FAILED);
            assertThat(quick.reason()).contains("shutting down");
            assertThat(Procs.alive(pid)).as("the postmaster still waits for the session").isTrue();
            CheckResult deep = db.deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
            assertThat(deep.healthy()).as(deep.reason()).isFalse();
        }
        Procs.waitGone(pid, 10_000_000_000L, TestSupport.ctx(Duration.ofSeconds(10)));
        ActionResult back = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(back.isDone()).as("%s %s", back, back.output()).isTrue();
    }
}
