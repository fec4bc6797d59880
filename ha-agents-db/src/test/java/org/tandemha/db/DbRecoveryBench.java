package org.tandemha.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Recoverer;
import org.tandemha.api.Resource;
import org.tandemha.core.exec.Posix;

/**
 * Benchmark (examples/bench/db.sh): kill -9 the server, then time until the deep check passes again: detection by
 * the quick check (polled every {@value #INTERVAL_MS} ms), one restart in place, deep check. Prints the figures;
 * asserts nothing about time. Checks that no committed row was lost.
 */
public final class DbRecoveryBench {
    static final int INTERVAL_MS = 100;

    private DbRecoveryBench() {
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        if (!Posix.isRoot()) {
            System.err.println("db bench: must run as root (the servers run as the postgres and mysql users)");
            System.exit(2);
        }
        TestSupport.Node node = new TestSupport.Node("bench");
        StringBuilder line = new StringBuilder("db recovery ms:");
        StringBuilder detail = new StringBuilder();
        if (TestSupport.pgInstalled()) {
            TestSupport.Pg pg = TestSupport.postgres();
            PostgresqlResource db = pg.resource(node, Map.of("heartbeatWrite", true));
            String url = "jdbc:postgresql://127.0.0.1:" + pg.port + "/postgres";
            List<Long> ms = trials("postgresql", db, db, () -> pg.pid(), url, "postgres", trials, detail);
            line.append(" postgresql ").append(stats(ms));
        } else {
            line.append(" postgresql (not installed)");
        }
        if (TestSupport.mariaInstalled()) {
            TestSupport.Maria m = TestSupport.mariadb();
            MariadbResource db = m.resource(node, Map.of("heartbeatWrite", true));
            String url = "jdbc:mariadb://127.0.0.1:" + m.port + "/tandemtest";
            List<Long> ms = trials("mariadb", db, db, db::runningPid, url, "tandem", trials, detail);
            line.append(" mariadb ").append(stats(ms));
        } else {
            line.append(" mariadb (not installed)");
        }
        System.out.print(detail);
        System.out.println(line + " (" + trials + " trials each; kill -9 to deep check passing, quick check every " + INTERVAL_MS + " ms)");
        System.exit(0);
    }

    private static List<Long> trials(String name, Resource resource, Checker checker, LongSupplier pid, String url, String user,
                                     int trials, StringBuilder detail) throws Exception {
        Recoverer recoverer = DbSupport.restartInPlace(resource, checker);
        ActionResult up = resource.start(TestSupport.ctx(Duration.ofSeconds(60)));
        if (!up.isDone()) {
            throw new IllegalStateException(name + ": " + up);
        }
        try (Connection c = DriverManager.getConnection(url, user, TestSupport.PASSWORD); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS bench_rows (id INT PRIMARY KEY, v VARCHAR(20))");
            st.execute("DELETE FROM bench_rows");
        }
        List<Long> out = new ArrayList<>();
        long lost = 0;
        for (int i = 0; i < trials; i++) {
            try (Connection c = DriverManager.getConnection(url, user, TestSupport.PASSWORD); Statement st = c.createStatement()) {
                st.execute("INSERT INTO bench_rows VALUES (" + i + ", 'trial " + i + "')");
            }
            long victim = pid.getAsLong();
            long t0 = System.nanoTime();
            Posix.kill(victim, Posix.SIGKILL);
            CheckResult failed = null;
            for (int polls = 0; polls < 600; polls++) {
                CheckResult r = checker.quickCheck(TestSupport.ctx(Duration.ofSeconds(2)));
                if (!r.healthy()) {
                    failed = r;
                    break;
                }
                Procs.sleepQuietly(INTERVAL_MS);
            }
            long detected = System.nanoTime();
            ActionResult rec = recoverer.recover(TestSupport.ctx(Duration.ofSeconds(60)), failed);
            boolean ok = rec.isDone();
            for (int polls = 0; !ok && polls < 600; polls++) {
                Procs.sleepQuietly(INTERVAL_MS);
                ok = checker.deepCheck(TestSupport.ctx(Duration.ofSeconds(2))).healthy();
            }
            long t1 = System.nanoTime();
            try (Connection c = DriverManager.getConnection(url, user, TestSupport.PASSWORD); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM bench_rows")) {
                rs.next();
                lost += (i + 1) - rs.getLong(1);
            }
            long ms = (t1 - t0) / 1_000_000;
            out.add(ms);
            detail.append(String.format(Locale.ROOT, "%s trial %d: %d ms (detect %d ms, recover: %s)%n", name, i + 1, ms,
                    (detected - t0) / 1_000_000, rec.reason()));
        }
        detail.append(String.format(Locale.ROOT, "%s committed rows lost: %d%n", name, lost));
        resource.stop(TestSupport.ctx(Duration.ofSeconds(30)));
        return out;
    }

    private static String stats(List<Long> ms) {
        List<Long> s = new ArrayList<>(ms);
        Collections.sort(s);
        return "p50=" + s.get((s.size() - 1) / 2) + " p90=" + s.get((int) Math.ceil(s.size() * 0.9) - 1) + " max=" + s.get(s.size() - 1);
    }
}
