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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ReplicationRole;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * The DR fire drill against PostgreSQL 15 for real: a primary (n1) and a DR standby (n3) cloned from it and
 * streaming; the drill copies n3, promotes the copy on a private socket, writes to it and removes it, while n3 goes
 * on streaming and the primary sees no new standby.
 */
class FireDrillTest {
    private final List<ReplicatedPostgresql> started = new ArrayList<>();

    @BeforeAll
    static void needsPostgres() {
        assumeTrue(Posix.isRoot(), "the fire drill test runs as root (it starts the servers as the postgres user)");
        assumeTrue(TestSupport.pgInstalled(), "PostgreSQL 15 is not installed in " + TestSupport.PG_BIN);
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

    private Map<String, Object> params(Path dir, String node, int port) throws Exception {
        Path sock = Files.createDirectories(dir.resolve("sock-" + node));
        TestSupport.chown(sock, "postgres");
        Map<String, Object> p = new HashMap<>();
        p.put("dataDirectory", dir.resolve("data-" + node).toString());
        p.put("binDirectory", TestSupport.PG_BIN);
        p.put("port", port);
        p.put("socketDirectory", sock.toString());
        p.put("passwordFile", TestSupport.base().resolve("pg.pass").toString());
        p.put("logFile", dir.resolve(node + ".log").toString());
        p.put("stopGrace", "5s");
        p.put("immediateGrace", "2s");
        p.put("settings", List.of("fsync=off", "shared_buffers=16MB", "max_connections=20"));
        p.put("replication", Map.of("mode", "async", "address", "127.0.0.1:" + port));
        return p;
    }

    private static long count(int port, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?socketTimeout=30",
                "postgres", TestSupport.PASSWORD); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void exec(int port, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?socketTimeout=30",
                "postgres", TestSupport.PASSWORD); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Test
    void drillPromotesACopyOfTheDrStandbyAndLeavesProductionAlone() throws Exception {
        Path dir = Files.createDirectories(TestSupport.base().resolve("firedrill"));
        TestSupport.chown(dir, "postgres");
        Files.writeString(TestSupport.base().resolve("pg.pass"), TestSupport.PASSWORD + "\n", StandardCharsets.UTF_8);
        Path pw = dir.resolve("initpw");
        Files.writeString(pw, TestSupport.PASSWORD + "\n", StandardCharsets.UTF_8);
        TestSupport.chown(pw, "postgres");
        Execution init = TestSupport.run(Duration.ofSeconds(60), "postgres", TestSupport.PG_BIN + "/initdb", "-D",
                dir.resolve("data-n1").toString(), "-U", "postgres", "--pwfile=" + pw, "--auth-local=trust",
                "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C");
        assertThat(init.ok()).as("initdb: %s %s", init.describe(), init.tail()).isTrue();
        TestSupport.Node n1 = new TestSupport.Node("n1");
        TestSupport.Node n3 = new TestSupport.Node("n3");
        n1.peers.addAll(List.of("n1", "n3"));
        n3.peers.addAll(List.of("n1", "n3"));
        n1.peerFacts.put("n3", n3.published);
        n3.peerFacts.put("n1", n1.published);
        int p1 = TestSupport.freePort();
        int p3 = TestSupport.freePort();
        ReplicatedPostgresql r1 = PostgresqlType.buildReplicated(PluginConfig.of("pg", "postgresql", params(dir, "n1", p1)), n1);
        started.add(r1);
        ReplicatedPostgresql r3 = PostgresqlType.buildReplicated(PluginConfig.of("pg", "postgresql", params(dir, "n3", p3)), n3);
        started.add(r3);
        ActionResult primary = r1.promote(ctx("n1", 1, 30));
        assertThat(primary.isDone()).as("%s %s", primary, primary.output()).isTrue();
        exec(p1, "CREATE TABLE t (id int PRIMARY KEY)");
        exec(p1, "INSERT INTO t SELECT generate_series(1, 100)");
        ActionResult standby = r3.start(ctx("n3", 1, 60));
        assertThat(standby.isDone()).as("%s %s", standby, standby.output()).isTrue();
        exec(p1, "INSERT INTO t SELECT generate_series(101, 200)");
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end && count(p3, "SELECT count(*) FROM t") < 200) {
            Procs.sleepQuietly(100);
        }
        assertThat(count(p3, "SELECT count(*) FROM t")).isEqualTo(200);
        long sendersBefore = count(p1, "SELECT count(*) FROM pg_stat_replication");

        Path work = Files.createDirectories(dir.resolve("drills"));
        int copyPort = TestSupport.freePort();
        FireDrill.Options o = FireDrill.forResource(PluginConfig.of("pg", "postgresql", params(dir, "n3", p3)), "n3",
                List.of("n1"), work, copyPort, Duration.ofSeconds(60));
        assertThat(o.host()).isEqualTo("127.0.0.1");
        assertThat(o.port()).isEqualTo(p3);
        FireDrill.Report r = FireDrill.run(o);
        assertThat(r.passed()).as("%s %s", r.summary(), r.steps()).isTrue();
        assertThat(r.summary()).contains("fire drill passed").contains("promoted in").contains("s ago");
        assertThat(r.figures()).containsKeys("copyMs", "startMs", "promoteMs", "queryMs", "totalMs", "secondsSinceLastReplayed",
                "notReplayedBytes");
        assertThat(r.steps()).last().isEqualTo("removed the copy");
        try (var s = Files.list(work)) {
            assertThat(s.toList()).as("the copy is removed").isEmpty();
        }
        // production: the standby still streams and is a standby; the primary kept its one standby and took no write
        assertThat(r3.replicationState(ctx("n3", 1, 5)).role()).isEqualTo(ReplicationRole.STANDBY);
        exec(p1, "INSERT INTO t VALUES (201)");
        end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end && count(p3, "SELECT count(*) FROM t") < 201) {
            Procs.sleepQuietly(100);
        }
        assertThat(count(p3, "SELECT count(*) FROM t")).isEqualTo(201);
        assertThat(count(p1, "SELECT count(*) FROM pg_stat_replication")).isEqualTo(sendersBefore);
        assertThat(count(p1, "SELECT count(*) FROM pg_class WHERE relname = 'tandem_fire_drill'")).isZero();

        // the drill refuses a primary: nothing to drill there
        FireDrill.Report onPrimary = FireDrill.run(new FireDrill.Options("127.0.0.1", p1, "postgres", TestSupport.PASSWORD,
                "postgres", "postgres", Path.of(TestSupport.PG_BIN), work, copyPort, Duration.ofSeconds(30)));
        assertThat(onPrimary.passed()).isFalse();
        assertThat(onPrimary.summary()).contains("is not a standby");
    }
}
