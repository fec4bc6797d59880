package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ReplicationRole;
import org.tandemha.api.ReplicationState;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * Replicated PostgreSQL 15 for real, at the resource level: two servers on this machine, each with its own data
 * directory and port, playing nodes n1 and n2 (their node contexts see each other's published facts). The engine's
 * side (who is promoted when) is tested in the simulation; here: the clone, streaming, promotion, the rewind of an old
 * primary that diverged, the re-clone when the rewind fails, and sync mode keeping an acknowledged commit.
 */
class ReplicatedPostgresqlTest {
    private final Map<String, Long> pids = new HashMap<>();
    private final java.util.List<ReplicatedPostgresql> started = new java.util.ArrayList<>();

    @BeforeAll
    static void needsPostgres() {
        assumeTrue(Posix.isRoot(), "replicated PostgreSQL tests run as root (they start the servers as the postgres user)");
        assumeTrue(TestSupport.pgInstalled(), "PostgreSQL 15 is not installed in " + TestSupport.PG_BIN);
    }

    /** Two nodes' worth of servers and contexts. */
    private final class Pair {
        final Path dir;
        final TestSupport.Node n1 = new TestSupport.Node("n1");
        final TestSupport.Node n2 = new TestSupport.Node("n2");
        final int p1 = TestSupport.freePort();
        final int p2 = TestSupport.freePort();
        final ReplicatedPostgresql r1;
        final ReplicatedPostgresql r2;

        Pair(String name, String mode) throws Exception {
            dir = Files.createDirectories(TestSupport.base().resolve(name));
            TestSupport.chown(dir, "postgres");
            Path pw = dir.resolve("pw");
            Files.writeString(pw, TestSupport.PASSWORD + "\n", StandardCharsets.UTF_8);
            TestSupport.chown(pw, "postgres");
            Execution init = TestSupport.run(Duration.ofSeconds(60), "postgres", TestSupport.PG_BIN + "/initdb", "-D",
                    dir.resolve("data1").toString(), "-U", "postgres", "--pwfile=" + pw, "--auth-local=trust",
                    "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C");
            assertThat(init.ok()).as("initdb: %s %s", init.describe(), init.tail()).isTrue();
            n1.peers.addAll(List.of("n1", "n2"));
            n2.peers.addAll(List.of("n1", "n2"));
            n1.peerFacts.put("n2", n2.published); // each hears the other's facts as they are published
            n2.peerFacts.put("n1", n1.published);
            r1 = resource(n1, dir.resolve("data1"), p1, mode, pw);
            r2 = resource(n2, dir.resolve("data2"), p2, mode, pw);
        }

        private ReplicatedPostgresql resource(TestSupport.Node node, Path data, int port, String mode, Path pw) throws Exception {
            Path sock = Files.createDirectories(dir.resolve("sock-" + node.id));
            TestSupport.chown(sock, "postgres");
            Map<String, Object> p = new HashMap<>();
            p.put("dataDirectory", data.toString());
            p.put("binDirectory", TestSupport.PG_BIN);
            p.put("port", port);
            p.put("socketDirectory", sock.toString());
            p.put("passwordFile", TestSupport.base().resolve("pg.pass").toString());
            p.put("logFile", dir.resolve(node.id + ".log").toString());
            p.put("stopGrace", "5s");
            p.put("immediateGrace", "2s");
            p.put("settings", List.of("fsync=off", "shared_buffers=16MB", "max_connections=20"));
            p.put("replication", Map.of("mode", mode, "address", "127.0.0.1:" + port));
            Files.writeString(TestSupport.base().resolve("pg.pass"), TestSupport.PASSWORD + "\n", StandardCharsets.UTF_8);
            ReplicatedPostgresql r = PostgresqlType.buildReplicated(PluginConfig.of("pg", "postgresql", p), node);
            started.add(r);
            return r;
        }
    }

    @AfterEach
    void stopServers() {
        for (ReplicatedPostgresql r : started) {
            r.stop(ctx("n1", 0, 20));
        }
    }

    private static ActionContext ctx(String node, long generation, int seconds) {
        Duration t = Duration.ofSeconds(seconds);
        return new ActionContext(node, "g", "pg", generation, t, System.nanoTime() + t.toNanos());
    }

    private static Connection connect(int port) throws SQLException {
        // bounded: a commit waiting for a synchronous standby must not hang the test
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?socketTimeout=30&connectTimeout=10",
                "postgres", TestSupport.PASSWORD);
    }

    private static void exec(int port, String sql) throws SQLException {
        try (Connection c = connect(port); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static long count(int port, String sql) throws SQLException {
        try (Connection c = connect(port); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean within(Duration max, BooleanSupplier done) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            Procs.sleepQuietly(100);
        }
        return done.getAsBoolean();
    }

    private static void kill9(ReplicatedPostgresql r) {
        long pid = r.server().runningPid();
        assertThat(pid).isPositive();
        Posix.kill(pid, Posix.SIGKILL);
        Procs.waitGone(pid, 5_000_000_000L, ctx("n1", 0, 5));
    }

    @Test
    void cloneStreamPromoteRewindAndReclone() throws Exception {
        Pair p = new Pair("async", "async");
        // n1: the first primary, on the initdb'ed copy
        ActionResult first = p.r1.promote(ctx("n1", 1, 30));
        assertThat(first.isDone()).as("%s %s", first, first.output()).isTrue();
        assertThat(p.n1.published).containsEntry(ReplicatedPostgresql.PRIMARY_FACT + "g", "1 127.0.0.1:" + p.p1);
        assertThat(p.r1.replicationState(ctx("n1", 1, 5)).role()).isEqualTo(ReplicationRole.PRIMARY);
        exec(p.p1, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        exec(p.p1, "INSERT INTO t SELECT g, 'before' FROM generate_series(1, 100) g");

        // n2: no copy yet: cloned with pg_basebackup, streaming from n1
        ActionResult standby = p.r2.start(ctx("n2", 1, 60));
        assertThat(standby.isDone()).as("%s %s", standby, standby.output()).isTrue();
        assertThat(standby.reason()).contains("pg_basebackup").contains("standby of n1");
        assertThat(p.r2.start(ctx("n2", 1, 10)).reason()).as("idempotent").contains("already a standby of n1");
        assertThat(p.r2.quickCheck(ctx("n2", 1, 5)).healthy()).as("a standby's quick check: alive, not 'not a primary'")
                .isTrue();
        assertThat(p.r1.quickCheck(ctx("n1", 1, 5)).healthy()).as("the primary's quick check").isTrue();
        exec(p.p1, "INSERT INTO t SELECT g, 'streamed' FROM generate_series(101, 200) g");
        assertThat(within(Duration.ofSeconds(20), () -> {
            ReplicationState s1 = p.r1.replicationState(ctx("n1", 1, 5));
            ReplicationState s2 = p.r2.replicationState(ctx("n2", 1, 5));
            return s2.role() == ReplicationRole.STANDBY && s2.detail().contains("streaming from 127.0.0.1:" + p.p1)
                    && s2.position().compareTo(s1.position()) >= 0;
        })).as("n2 streams and catches up").isTrue();
        assertThat(count(p.p2, "SELECT count(*) FROM t")).isEqualTo(200);

        // the primary's machine dies: n2 is promoted at generation 2, a new timeline
        long tlBefore = p.r2.replicationState(ctx("n2", 1, 5)).position().timeline();
        kill9(p.r1);
        ActionResult promoted = p.r2.promote(ctx("n2", 2, 30));
        assertThat(promoted.isDone()).as("%s %s", promoted, promoted.output()).isTrue();
        assertThat(promoted.reason()).contains("pg_ctl promote");
        ReplicationState newPrimary = p.r2.replicationState(ctx("n2", 2, 5));
        assertThat(newPrimary.role()).isEqualTo(ReplicationRole.PRIMARY);
        assertThat(newPrimary.position().timeline()).isGreaterThan(tlBefore);
        assertThat(p.n2.published).containsEntry(ReplicatedPostgresql.PRIMARY_FACT + "g", "2 127.0.0.1:" + p.p2);
        exec(p.p2, "INSERT INTO t VALUES (1000, 'on n2')");

        // the old primary had diverged: it ran on as a primary (no Tandem to stop it) and took a write of its own
        ActionResult rogue = p.r1.server().start(ctx("n1", 1, 30));
        assertThat(rogue.isDone()).as(rogue.toString()).isTrue();
        exec(p.p1, "INSERT INTO t VALUES (999, 'lost on the old primary')");
        kill9(p.r1);
        // it rejoins: demoted to a standby, rewound onto n2's timeline, never primary again
        ActionResult rejoin = p.r1.start(ctx("n1", 2, 60));
        assertThat(rejoin.isDone()).as("%s %s", rejoin, rejoin.output()).isTrue();
        assertThat(rejoin.reason()).contains("pg_rewind").contains("standby of n2");
        assertThat(within(Duration.ofSeconds(20), () -> {
            ReplicationState s = p.r1.replicationState(ctx("n1", 2, 5));
            return s.role() == ReplicationRole.STANDBY && s.detail().contains("streaming from 127.0.0.1:" + p.p2);
        })).as("the old primary streams from n2").isTrue();
        assertThat(within(Duration.ofSeconds(20), () -> {
            try {
                return count(p.p1, "SELECT count(*) FROM t WHERE id = 1000") == 1;
            } catch (SQLException e) {
                return false;
            }
        })).isTrue();
        assertThat(count(p.p1, "SELECT count(*) FROM t WHERE id = 999")).as("the diverged write is gone").isZero();

        // a rewind that fails: the copy is cloned again, the old one kept aside
        assertThat(p.r1.stop(ctx("n1", 2, 20)).isDone()).isTrue();
        Files.delete(p.dir.resolve("data1").resolve("global").resolve("pg_control"));
        ActionResult recloned = p.r1.start(ctx("n1", 2, 60));
        assertThat(recloned.isDone()).as("%s %s", recloned, recloned.output()).isTrue();
        assertThat(recloned.reason()).contains("pg_rewind").contains("failed").contains("moved to").contains("pg_basebackup");
        assertThat(p.n1.notes).anySatisfy(n -> assertThat(n).contains("cloning the copy again"));
        assertThat(count(p.p1, "SELECT count(*) FROM t")).isEqualTo(201);

        // and when nothing works (the primary is gone), the start fails: an alarm for the engine, never "running"
        assertThat(p.r1.stop(ctx("n1", 2, 20)).isDone()).isTrue();
        Files.delete(p.dir.resolve("data1").resolve("global").resolve("pg_control"));
        kill9(p.r2);
        ActionResult noPrimary = p.r1.start(ctx("n1", 2, 30));
        assertThat(noPrimary.isDone()).as(noPrimary.toString()).isFalse();
        assertThat(noPrimary.reason()).contains("pg_basebackup").contains("failed");
        assertThat(p.r1.replicationState(ctx("n1", 2, 5)).role()).isEqualTo(ReplicationRole.STOPPED);
    }

    @Test
    void syncModeKeepsAnAcknowledgedCommit() throws Exception {
        Pair p = new Pair("sync", "sync");
        assertThat(p.r1.promote(ctx("n1", 1, 30)).isDone()).isTrue();
        // (in sync mode a commit waits for a standby: the table is created once n2 streams)
        ActionResult standby = p.r2.start(ctx("n2", 1, 60));
        assertThat(standby.isDone()).as("%s %s", standby, standby.output()).isTrue();
        assertThat(within(Duration.ofSeconds(20), () -> {
            try {
                return count(p.p1, "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'n2'"
                        + " AND sync_state IN ('sync', 'quorum') AND state = 'streaming'") == 1;
            } catch (SQLException e) {
                return false;
            }
        })).as("n2 is a synchronous standby of n1").isTrue();
        exec(p.p1, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        // a commit acknowledged to the client, then the primary dies at once
        exec(p.p1, "INSERT INTO t VALUES (1, 'acknowledged')");
        kill9(p.r1);
        ActionResult promoted = p.r2.promote(ctx("n2", 2, 30));
        assertThat(promoted.isDone()).as("%s %s", promoted, promoted.output()).isTrue();
        assertThat(count(p.p2, "SELECT count(*) FROM t WHERE id = 1")).as("the acknowledged commit").isEqualTo(1);
    }

    private static org.tandemha.api.ReplicationPosition published(TestSupport.Node n) {
        return org.tandemha.api.ReplicationPosition.parse(n.published.get(ReplicationState.POSITION_FACT + "g"));
    }

    private static long currentLsn(int port) throws SQLException {
        return count(port, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn");
    }

    /**
     * Both copies stopped (the primary and its standby lost together): each publishes the position read from its data
     * directory at its (clean-up) stop, and they compare as the data says: the primary that went on alone is ahead of
     * the standby killed before it; the standby promoted later is on a newer timeline, ahead of both.
     */
    @Test
    void stoppedCopiesPublishPositionsThatCompare() throws Exception {
        Pair p = new Pair("stopped", "async");
        assertThat(p.r1.promote(ctx("n1", 1, 30)).isDone()).isTrue();
        ActionResult standby = p.r2.start(ctx("n2", 1, 60));
        assertThat(standby.isDone()).as("%s %s", standby, standby.output()).isTrue();
        exec(p.p1, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        exec(p.p1, "INSERT INTO t SELECT g, 'both' FROM generate_series(1, 1000) g");
        long both = currentLsn(p.p1);
        assertThat(within(Duration.ofSeconds(20), () -> p.r2.replicationState(ctx("n2", 1, 5)).position().offset() >= both))
                .as("n2 caught up").isTrue();
        org.tandemha.api.ReplicationPosition standbyRunning = p.r2.replicationState(ctx("n2", 1, 5)).position();

        // the standby's machine dies, the primary goes on alone for a while, then dies too
        kill9(p.r2);
        exec(p.p1, "INSERT INTO t SELECT g, 'primary alone' FROM generate_series(1001, 20000) g");
        long alone = currentLsn(p.p1);
        kill9(p.r1);

        // both machines back: the clean-up stop of each publishes its stopped copy's position
        p.n1.published.remove(ReplicationState.POSITION_FACT + "g");
        p.n2.published.remove(ReplicationState.POSITION_FACT + "g");
        long t0 = System.nanoTime();
        ActionResult s1 = p.r1.stop(ctx("n1", 1, 20));
        ActionResult s2 = p.r2.stop(ctx("n2", 1, 20));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(s1.isDone()).as(s1.toString()).isTrue();
        assertThat(s1.reason()).contains("copy at").contains("end of WAL");
        org.tandemha.api.ReplicationPosition old = published(p.n1);
        org.tandemha.api.ReplicationPosition lagging = published(p.n2);
        System.out.printf("stopped positions: primary %s (its last pg_current_wal_lsn %d), standby %s (its last received"
                + " %s); both read in %d ms%n", old, alone, lagging, standbyRunning, ms);
        assertThat(old.timeline()).isEqualTo(lagging.timeline()).isEqualTo(standbyRunning.timeline());
        assertThat(old.offset()).as("the primary's copy has everything it wrote").isGreaterThanOrEqualTo(alone);
        assertThat(lagging.offset()).as("the standby's copy has what it received").isGreaterThanOrEqualTo(both)
                .isLessThan(alone);
        assertThat(old).as("the primary that went on alone is ahead").isGreaterThan(lagging);
        assertThat(p.r1.stop(ctx("n1", 1, 20)).reason()).as("idempotent").contains("copy at " + old);

        // the stale standby promoted anyway (the operator's clear): a new timeline, ahead of the old primary's copy
        ActionResult promoted = p.r2.promote(ctx("n2", 2, 30));
        assertThat(promoted.isDone()).as("%s %s", promoted, promoted.output()).isTrue();
        exec(p.p2, "INSERT INTO t VALUES (50000, 'on n2')");
        kill9(p.r2);
        assertThat(p.r2.stop(ctx("n2", 2, 20)).isDone()).isTrue();
        org.tandemha.api.ReplicationPosition promotedPos = published(p.n2);
        assertThat(promotedPos.timeline()).as("read on the newest timeline").isGreaterThan(old.timeline());
        assertThat(promotedPos).isGreaterThan(old);
        // its old primary rejoins (rewound onto timeline 2) and is stopped: a standby's stopped copy, on timeline 2
        ActionResult back = p.r2.promote(ctx("n2", 3, 30));
        assertThat(back.isDone()).as("%s %s", back, back.output()).isTrue();
        ActionResult rejoin = p.r1.start(ctx("n1", 3, 60));
        assertThat(rejoin.isDone()).as("%s %s", rejoin, rejoin.output()).isTrue();
        long last = currentLsn(p.p2);
        assertThat(within(Duration.ofSeconds(20), () -> p.r1.replicationState(ctx("n1", 3, 5)).position().offset() >= last))
                .isTrue();
        kill9(p.r1);
        assertThat(p.r1.stop(ctx("n1", 3, 20)).isDone()).isTrue();
        assertThat(published(p.n1).timeline()).isEqualTo(promotedPos.timeline());
        assertThat(published(p.n1).offset()).isGreaterThanOrEqualTo(last);
    }
}
