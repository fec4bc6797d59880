package org.tandemha.examples.replicated;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The replicated cluster's client, in the client namespace: it reaches the database through the floating address
 * only (for its writes) and each node's own address (for the primaries watch). Commands on standard input, one per
 * line; answers are lines that start with a keyword and the monotonic clock in ns:
 *
 * <ul>
 *   <li>{@code init HOST}: creates the tables ({@code acked}, {@code probe}) on the primary behind HOST; {@code INIT ok|fail};</li>
 *   <li>{@code writes HOST} / {@code writes stop}: one insert at a time, each committed (autocommit) and recorded once
 *       PostgreSQL acknowledged it; a failed one is retried on a new connection; stop prints
 *       {@code WRITES acked=N failed=M};</li>
 *   <li>{@code arm}: prints {@code ARMED <ns>}; the next write acknowledged after it prints {@code UP <ns>};</li>
 *   <li>{@code verify HOST}: reads the ids back from the primary behind HOST and prints
 *       {@code VERIFY acked=N present=P lost=L firstLostAckedAt=<ns>} (-1: none lost);</li>
 *   <li>{@code watch HOST1 HOST2 [HOST3]} / {@code watch stop}: every 250 ms asks each node's own server whether it is
 *       a primary and, if so, whether it acknowledges a write within 1 s; prints {@code PRIMARIES <ns> <list>} when the
 *       list of primaries accepting writes changes, and {@code SPLIT <ns> ...} for a round where two or more did;</li>
 *   <li>{@code role HOST}: {@code ROLE <ns> HOST primary|standby streaming|standby not-streaming|down};</li>
 *   <li>{@code lsn HOST}: {@code LSN <ns> HOST <bytes>}: a primary's current WAL position, a standby's received (or
 *       replayed, the higher); -1 when it does not answer;</li>
 *   <li>{@code primary HOST NODE TIMEOUT_MS}: asks HOST every 20 ms (connect bound 1 s) until node NODE's server
 *       answers there as a primary ({@code cluster_name} is the node's id): {@code PRIMARY <ns> ok NODE}, or after the
 *       timeout {@code PRIMARY <ns> fail <last answer>}.</li>
 * </ul>
 */
public final class ReplicaClient {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final Set<Long> ACKED = ConcurrentHashMap.newKeySet();
    /** When each acknowledged write was acknowledged (monotonic ns): the age of a lost one is checked against the
     *  seconds at risk the promotion reported. */
    private static final java.util.Map<Long, Long> ACKED_AT = new ConcurrentHashMap<>();
    private static final AtomicLong FAILED = new AtomicLong();
    private static final AtomicLong NEXT = new AtomicLong(1);
    private static volatile boolean writing;
    private static volatile boolean watching;
    private static volatile long armedAt = Long.MAX_VALUE;
    private static volatile boolean upReported = true;
    private static Thread writer;
    private static Thread watcher;

    private ReplicaClient() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println("usage: ReplicaClient   (commands on standard input; started by the replicated cluster)\n"
                    + "The replicated cluster's client: writes through the floating address, records what PostgreSQL acknowledged.");
            return;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OUT.println("CLIENT-READY " + System.nanoTime());
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            switch (w[0]) {
                case "init" -> OUT.println("INIT " + System.nanoTime() + " " + init(w[1]));
                case "writes" -> {
                    if (w[1].equals("stop")) {
                        writing = false;
                        if (writer != null) {
                            writer.join(15_000);
                        }
                        OUT.println("WRITES " + System.nanoTime() + " acked=" + ACKED.size() + " failed=" + FAILED.get());
                    } else {
                        ACKED.clear();
                        ACKED_AT.clear();
                        FAILED.set(0);
                        writing = true;
                        writer = thread("writes", () -> writes(w[1]));
                    }
                }
                case "arm" -> {
                    long now = System.nanoTime();
                    upReported = false;
                    armedAt = now;
                    OUT.println("ARMED " + now);
                }
                case "verify" -> OUT.println("VERIFY " + System.nanoTime() + " " + verify(w[1]));
                case "lostspan" -> OUT.println("LOSTSPAN " + System.nanoTime() + " " + lostSpan(w[1]));
                case "watch" -> {
                    if (w[1].equals("stop")) {
                        watching = false;
                        if (watcher != null) {
                            watcher.join(5_000);
                        }
                        OUT.println("WATCH-STOPPED " + System.nanoTime());
                    } else {
                        watching = true;
                        List<String> hosts = List.of(w).subList(1, w.length);
                        watcher = thread("watch", () -> watch(hosts));
                    }
                }
                case "primary" -> {
                    String host = w[1];
                    String node = w[2];
                    long timeout = Long.parseLong(w[3]);
                    thread("primary", () -> awaitPrimary(host, node, timeout));
                }
                case "role" -> OUT.println("ROLE " + System.nanoTime() + " " + w[1] + " " + role(w[1]));
                case "lsn" -> OUT.println("LSN " + System.nanoTime() + " " + w[1] + " " + lsn(w[1]));
                case "" -> { }
                default -> OUT.println("UNKNOWN " + line);
            }
        }
        System.exit(0);
    }

    private static Thread thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    static Connection connect(String host, int socketTimeoutSeconds) throws SQLException {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "1");
        p.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        p.setProperty("loginTimeout", "2");
        p.setProperty("tcpKeepAlive", "true");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":5432/postgres", p);
    }

    private static String init(String host) {
        for (int i = 0; i < 60; i++) {
            try (Connection c = connect(host, 10); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS acked (id bigint PRIMARY KEY, at timestamptz DEFAULT now(),"
                        + " node text DEFAULT current_setting('cluster_name'))");
                st.execute("CREATE TABLE IF NOT EXISTS probe (at timestamptz DEFAULT now(), node text DEFAULT current_setting('cluster_name'))");
                return "ok";
            } catch (SQLException e) {
                sleep(500);
                if (i == 59) {
                    return "fail " + e.getMessage().replace('\n', ' ');
                }
            }
        }
        return "fail";
    }

    /** One insert at a time: an id is recorded only after PostgreSQL acknowledged its commit. */
    private static void writes(String host) {
        Connection c = null;
        while (writing) {
            long id = NEXT.getAndIncrement();
            try {
                if (c == null) {
                    c = connect(host, 5);
                }
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO acked (id) VALUES (" + id + ")");
                }
                long now = System.nanoTime();
                ACKED_AT.put(id, now);
                ACKED.add(id);
                if (!upReported && now > armedAt) {
                    upReported = true;
                    OUT.println("UP " + now);
                }
                sleep(5);
            } catch (SQLException e) {
                FAILED.incrementAndGet();
                close(c);
                c = null;
                sleep(20);
            }
        }
        close(c);
    }

    /**
     * The acknowledged ids missing at HOST and when they were acknowledged: {@code lost=N oldest=NANOS newest=NANOS}
     * (-1 when none is lost): the DR scenario compares them with the data at risk promote-dr showed.
     */
    private static String lostSpan(String host) {
        for (int i = 0; i < 40; i++) {
            Set<Long> present = new HashSet<>();
            try (Connection c = connect(host, 20); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id FROM acked")) {
                while (rs.next()) {
                    present.add(rs.getLong(1));
                }
                long oldest = Long.MAX_VALUE;
                long newest = Long.MIN_VALUE;
                long lost = 0;
                for (Long id : ACKED) {
                    if (!present.contains(id)) {
                        lost++;
                        long at = ACKED_AT.getOrDefault(id, -1L);
                        oldest = Math.min(oldest, at);
                        newest = Math.max(newest, at);
                    }
                }
                return "lost=" + lost + " oldest=" + (lost == 0 ? -1 : oldest) + " newest=" + (lost == 0 ? -1 : newest);
            } catch (SQLException e) {
                sleep(500);
            }
        }
        return "lost=-1 oldest=-1 newest=-1 (cannot read)";
    }

    private static String verify(String host) {
        for (int i = 0; i < 40; i++) {
            Set<Long> present = new HashSet<>();
            try (Connection c = connect(host, 20); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id FROM acked")) {
                while (rs.next()) {
                    present.add(rs.getLong(1));
                }
                long lost = ACKED.stream().filter(x -> !present.contains(x)).count();
                long have = ACKED.stream().filter(present::contains).count();
                long firstLost = ACKED.stream().filter(x -> !present.contains(x)).mapToLong(x -> ACKED_AT.getOrDefault(x, -1L))
                        .filter(x -> x >= 0).min().orElse(-1);
                return "acked=" + ACKED.size() + " present=" + have + " lost=" + lost + " firstLostAckedAt=" + firstLost;
            } catch (SQLException e) {
                sleep(500);
            }
        }
        return "acked=" + ACKED.size() + " present=-1 lost=-1 (cannot read)";
    }

    private static void watch(List<String> hosts) {
        String last = "";
        while (watching) {
            long t = System.nanoTime();
            List<String> primaries = hosts.stream().filter(ReplicaClient::acceptsWrites).toList();
            String now = primaries.isEmpty() ? "none" : String.join(",", primaries);
            if (primaries.size() > 1) {
                OUT.println("SPLIT " + t + " " + String.join(" and ", primaries) + " acknowledged a write as primaries");
            }
            if (!now.equals(last)) {
                OUT.println("PRIMARIES " + t + " " + now);
                last = now;
            }
            long left = 250 - (System.nanoTime() - t) / 1_000_000;
            if (left > 0) {
                sleep(left);
            }
        }
    }

    /** Whether the server at HOST is a primary and acknowledges a commit within 1 s. */
    private static boolean acceptsWrites(String host) {
        try (Connection c = connect(host, 1); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return false;
                }
            }
            st.executeUpdate("INSERT INTO probe DEFAULT VALUES");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void awaitPrimary(String host, String node, long timeoutMs) {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        String last = "no answer";
        while (System.nanoTime() < end) {
            try (Connection c = connect(host, 1); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), current_setting('cluster_name')")) {
                rs.next();
                last = rs.getString(2) + (rs.getBoolean(1) ? " standby" : " primary");
                if (!rs.getBoolean(1) && node.equals(rs.getString(2))) {
                    OUT.println("PRIMARY " + System.nanoTime() + " ok " + node);
                    return;
                }
            } catch (SQLException e) {
                last = e.getMessage().replace('\n', ' ');
            }
            sleep(20);
        }
        OUT.println("PRIMARY " + System.nanoTime() + " fail " + last);
    }

    private static String role(String host) {
        try (Connection c = connect(host, 3); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return "primary";
            }
            return "standby " + ("streaming".equals(rs.getString(2)) ? "streaming" : "not-streaming");
        } catch (SQLException e) {
            return "down";
        }
    }

    /** How far the server at HOST goes, in bytes of WAL: a primary's current LSN, a standby's received (or replayed); -1: down. */
    private static long lsn(String host) {
        try (Connection c = connect(host, 3); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT CASE WHEN pg_is_in_recovery() THEN greatest(pg_last_wal_receive_lsn(),"
                     + " pg_last_wal_replay_lsn()) ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn")) {
            rs.next();
            return rs.getBigDecimal(1) == null ? -1 : rs.getBigDecimal(1).longValue();
        } catch (SQLException e) {
            return -1;
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
