package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Posix;

/** MariaDB 10.11 for real: a data directory in a temp folder, on a free port, run as the mysql user. */
class MariadbTest extends DbServerTest<MariadbResource> {
    private static TestSupport.Maria maria;

    @BeforeAll
    static void server() throws Exception {
        assumeTrue(Posix.isRoot(), "MariaDB tests run as root (the server drops to the mysql user)");
        assumeTrue(TestSupport.mariaInstalled(), "MariaDB (mariadbd, mariadb-install-db) is not installed");
        maria = TestSupport.mariadb();
    }

    @Override
    TestSupport.Server<MariadbResource> serverUnderTest() {
        return maria;
    }

    @Test
    void startChecksStopAreIdempotent() {
        ActionResult again = db.start(TestSupport.ctx(Duration.ofSeconds(10)));
        assertThat(again.reason()).contains("already running");
        CheckResult quick = db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
        assertThat(quick.health()).as(quick.reason()).isEqualTo(CheckResult.Health.OK);
        CheckResult deep = db.deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(deep.health()).as(deep.reason()).isEqualTo(CheckResult.Health.OK);
        assertThat(deep.reason()).contains("heartbeat row written");

        ActionResult stop = db.stop(TestSupport.ctx(Duration.ofSeconds(30)));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(stop.reason()).contains("SHUTDOWN");
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(2))).reason()).startsWith("not running");
        assertThat(db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2))).healthy()).isFalse();
    }

    @Test
    void kill9IsSeenByTheQuickCheckAndRestartInPlaceKeepsCommittedRows() throws Exception {
        long rows = insertRows(maria, 20);
        long pid = db.runningPid();
        assertThat(Posix.kill(pid, Posix.SIGKILL)).isTrue();
        Procs.waitGone(pid, 5_000_000_000L, TestSupport.ctx(Duration.ofSeconds(5)));

        CheckResult quick = db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
        assertThat(quick.healthy()).isFalse();
        assertThat(quick.reason()).contains("not running here");

        ActionResult rec = DbSupport.restartInPlace(db, db).recover(TestSupport.ctx(Duration.ofSeconds(60)), quick);
        assertThat(rec.isDone()).as("%s %s", rec, rec.output()).isTrue();
        assertThat(countRows(maria)).isEqualTo(rows);
    }

    @Test
    void stuckServerFailsTheDeepCheckOnItsTimeoutAndRecoveryEscalatesToKill() throws Exception {
        long rows = insertRows(maria, 5);
        MariadbResource quickStop = maria.resource(n1, Map.of("stopGrace", "1s", "termGrace", "1s"));
        long pid = quickStop.runningPid();
        try {
            assertThat(Posix.kill(pid, Posix.SIGSTOP)).isTrue();
            CheckResult deep = quickStop.deepCheck(TestSupport.ctx(Duration.ofSeconds(2)));
            assertThat(deep.health()).as(deep.reason()).isEqualTo(CheckResult.Health.TIMEOUT);
            assertThat(deep.duration()).isLessThan(Duration.ofSeconds(4));

            ActionResult rec = DbSupport.restartInPlace(quickStop, quickStop).recover(TestSupport.ctx(Duration.ofSeconds(60)), deep);
            assertThat(rec.isDone()).as("%s %s", rec, rec.output()).isTrue();
            assertThat(rec.reason()).contains("SIGKILL");
            assertThat(n1.notes).anyMatch(n -> n.contains("LAST RESORT"));
            assertThat(countRows(maria)).isEqualTo(rows);
        } finally {
            Posix.kill(pid, Posix.SIGCONT);
            TestSupport.killPid(pid);
        }
    }

    @Test
    void dataDirectoryMovesToASecondInstanceAfterACrash() throws Exception {
        long rows = insertRows(maria, 10);
        long pid = db.runningPid();
        assertThat(Procs.killHard(pid, TestSupport.ctx(Duration.ofSeconds(5)))).isTrue();

        TestSupport.Node n2 = new TestSupport.Node("n2");
        MariadbResource other = maria.resource(n2, Map.of());
        assertThat(other.stop(TestSupport.ctx("n2", Duration.ofSeconds(5))).isDone()).isTrue();
        ActionResult started = other.start(TestSupport.ctx("n2", Duration.ofSeconds(60)));
        assertThat(started.isDone()).as("%s %s", started, started.output()).isTrue();
        assertThat(other.deepCheck(TestSupport.ctx("n2", Duration.ofSeconds(5))).healthy()).isTrue();
        assertThat(countRows(maria)).isEqualTo(rows);

        assertThat(other.stop(TestSupport.ctx("n2", Duration.ofSeconds(30))).isDone()).isTrue();
        assertThat(db.start(TestSupport.ctx(Duration.ofSeconds(60))).isDone()).isTrue();
        assertThat(countRows(maria)).isEqualTo(rows);
    }

    @Test
    void aStalePidFileNamingAnotherLiveProgramIsNeitherKilledNorTrusted() throws Exception {
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(30))).isDone()).isTrue();
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(maria.dataDir.resolve("mariadbd.pid"), other.pid() + "\n");
            ActionResult stop = db.stop(TestSupport.ctx(Duration.ofSeconds(5)));
            assertThat(stop.reason()).startsWith("not running");
            assertThat(other.isAlive()).isTrue();
            assertThat(db.quickCheck(TestSupport.ctx(Duration.ofSeconds(2))).healthy()).isFalse();
            ActionResult started = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
            assertThat(started.isDone()).as("%s %s", started, started.output()).isTrue();
            assertThat(db.runningPid()).isNotEqualTo(other.pid());
            assertThat(db.deepCheck(TestSupport.ctx(Duration.ofSeconds(5))).healthy()).isTrue();
            assertThat(other.isAlive()).isTrue();
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void aStartThatMissesItsDeadlineReportsATimeoutAndLeavesNothingRunning() throws Exception {
        long rows = insertRows(maria, 1);
        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(30))).isDone()).isTrue();
        ActionResult late = db.start(TestSupport.ctx(Duration.ofMillis(1)));
        assertThat(late.outcome()).as(late.toString()).isEqualTo(ActionResult.Outcome.TIMEOUT);
        assertThat(late.reason()).contains("did not accept connections").contains("killed");
        for (int i = 0; i < 100 && db.runningPid() > 0; i++) {
            Procs.sleepQuietly(50);
        }
        assertThat(db.runningPid()).isEqualTo(-1);
        ActionResult r = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(r.isDone()).as("%s %s", r, r.output()).isTrue();
        assertThat(countRows(maria)).isEqualTo(rows);
    }

    @Test
    void clearErrors() throws Exception {
        ActionResult noBinary = maria.resource(n1, Map.of("binary", "/nonexistent/mariadbd")).start(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(noBinary.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(noBinary.reason()).contains("/nonexistent/mariadbd");

        Path empty = Files.createDirectories(TestSupport.base().resolve("not-a-mariadb"));
        ActionResult wrongDir = maria.resource(n1, Map.of("dataDirectory", empty.toString())).start(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(wrongDir.severity()).isEqualTo(Severity.HARD);
        assertThat(wrongDir.reason()).contains("not a MariaDB data directory").contains("mariadb-install-db");

        MariadbResource missing = maria.resource(n1, Map.of("dataDirectory", "/nonexistent/mariadb"));
        assertThat(missing.start(TestSupport.ctx(Duration.ofSeconds(5))).reason()).contains("does not exist");
        ActionResult stopNoDir = missing.stop(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(stopNoDir.isDone()).isTrue();
        assertThat(stopNoDir.duration()).isLessThan(Duration.ofSeconds(1));

        Path badPw = TestSupport.base().resolve("maria-wrong.pass");
        Files.writeString(badPw, "wrong-password-xyz\n");
        CheckResult badCreds = maria.resource(n1, Map.of("passwordFile", badPw.toString())).deepCheck(TestSupport.ctx(Duration.ofSeconds(5)));
        assertThat(badCreds.severity()).isEqualTo(Severity.HARD);
        assertThat(badCreds.reason()).contains("bad credentials").doesNotContain("wrong-password-xyz");

        assertThat(db.stop(TestSupport.ctx(Duration.ofSeconds(30))).isDone()).isTrue();
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress("127.0.0.1", maria.port));
            ActionResult busy = db.start(TestSupport.ctx(Duration.ofSeconds(10)));
            assertThat(busy.severity()).isEqualTo(Severity.HARD);
            assertThat(busy.reason()).contains("port " + maria.port).contains("in use");
        }
    }
}
