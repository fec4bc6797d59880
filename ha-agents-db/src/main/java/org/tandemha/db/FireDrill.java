package org.tandemha.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.tandemha.api.Durations;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * The disaster-recovery fire drill: proves that a DR node's PostgreSQL standby can be promoted, on a copy, without
 * touching production. It reads the standby's replication state (what a promotion now would lose: the bytes received
 * but not replayed and the seconds since the last replayed transaction), copies the standby with
 * {@code pg_basebackup} (from the standby itself: the primary is not involved), starts the copy on a private port with
 * no network listener and no primary to follow, promotes it, writes and reads a row, reports the timings, and removes
 * the copy, also when a step fails. The standby goes on streaming all along.
 */
public final class FireDrill {
    /**
     * What the drill needs.
     *
     * @param host        where the DR standby's server answers (its replication address)
     * @param port        its port
     * @param user        a user that may connect for replication and read its state
     * @param password    its password, or null (trust, or a .pgpass of the OS user)
     * @param database    the database to read the replication state in
     * @param osUser      the OS user that runs the copy (when run as root; PostgreSQL refuses root), or null
     * @param binDirectory PostgreSQL's programs
     * @param workRoot    where the copy is made (needs room for a full copy)
     * @param copyPort    the private port of the copy (it listens on a Unix socket in its own directory only)
     * @param timeout     the bound of each step
     */
    public record Options(String host, int port, String user, String password, String database, String osUser,
                          Path binDirectory, Path workRoot, int copyPort, Duration timeout) {
    }

    /**
     * The outcome.
     *
     * @param passed  whether the copy was promoted and took a write
     * @param summary one paragraph for the operator
     * @param steps   what was done, one line each, with its duration
     * @param figures numbers for scripts: copyMs, startMs, promoteMs, queryMs, totalMs, receivedLsn, replayedLsn,
     *                notReplayedBytes, secondsSinceLastReplayed, streaming, copyBytes
     */
    public record Report(boolean passed, String summary, List<String> steps, Map<String, String> figures) {
    }

    private final Options o;
    private final List<String> steps = new ArrayList<>();
    private final Map<String, String> figures = new LinkedHashMap<>();

    private FireDrill(Options o) {
        this.o = o;
    }

    /** Runs the drill; never throws for a failed step (the report says which failed, and why). */
    public static Report run(Options o) {
        return new FireDrill(o).drill();
    }

    /**
     * The options for the DR standby of a replicated {@code postgresql} resource on {@code node}, from its configured
     * parameters (after {@code ${node}} is expanded): its replication address, user and password, OS user, programs.
     *
     * @throws InvalidConfigException when the parameters are not those of a replicated postgresql
     */
    public static Options forResource(PluginConfig config, String node, List<String> peers, Path workRoot, int copyPort,
                                      Duration timeout) throws InvalidConfigException {
        ReplicatedPostgresql r = PostgresqlType.buildReplicated(config, new OfflineContext(node, peers));
        PostgresqlResource.Settings s = r.drillSettings();
        ReplicatedPostgresql.Replication repl = r.drillReplication();
        int colon = repl.address().lastIndexOf(':');
        String password;
        try {
            password = repl.credentials().password();
        } catch (Credentials.CredentialException e) {
            password = null;
        }
        return new Options(repl.address().substring(0, colon), Integer.parseInt(repl.address().substring(colon + 1)),
                repl.user(), password, s.database() == null ? "postgres" : s.database(), Posix.isRoot() ? s.osUser() : null,
                s.binDirectory() != null ? s.binDirectory() : Path.of("/usr/lib/postgresql/15/bin"), workRoot, copyPort, timeout);
    }

    private Report drill() {
        long t0 = System.nanoTime();
        Path work = null;
        Path sock = null;
        Path data = null;
        boolean started = false;
        try {
            String problem = sourceState();
            if (problem != null) {
                return fail(problem, t0);
            }
            work = Files.createTempDirectory(Files.createDirectories(o.workRoot()), "tandem-fire-drill-");
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
            data = work.resolve("data");
            Path pass = work.resolve("pgpass");
            Files.writeString(pass, o.password() == null ? "" : esc(o.host()) + ":" + o.port() + ":*:" + esc(o.user()) + ":"
                    + esc(o.password()) + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            // a socket path has at most 107 bytes: the socket goes in a short private directory of its own
            sock = Files.createTempDirectory(Path.of("/tmp"), "tfd-");
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rwx------"));
            own(work, pass, sock);

            long t = System.nanoTime();
            Execution copy = exec(List.of(bin("pg_basebackup"), "-D", data.toString(), "-d", "host=" + o.host() + " port="
                    + o.port() + " user=" + o.user() + " application_name=tandem_fire_drill passfile=" + pass, "-X", "stream",
                    "-c", "fast", "--no-sync"));
            if (!copy.ok()) {
                return fail("pg_basebackup from the DR standby " + o.host() + ":" + o.port() + " failed: " + copy.describe()
                        + " (does its pg_hba.conf let " + o.user() + " connect for replication from this machine?)", t0);
            }
            step("copied the DR standby with pg_basebackup", "copyMs", t);
            figures.put("copyBytes", String.valueOf(size(data)));

            isolate(data, sock);
            t = System.nanoTime();
            Execution start = exec(List.of(bin("pg_ctl"), "-D", data.toString(), "-l", work.resolve("copy.log").toString(),
                    "-w", "-t", String.valueOf(Math.max(1, o.timeout().toSeconds())), "start"));
            started = true;
            if (!start.ok()) {
                return fail("the copy did not start: " + start.describe() + "; its log: " + tailOf(work.resolve("copy.log")), t0);
            }
            step("started the copy on a private socket (port " + o.copyPort() + ", no listener, no primary)", "startMs", t);

            t = System.nanoTime();
            Execution promote = exec(List.of(bin("pg_ctl"), "-D", data.toString(), "-w", "-t",
                    String.valueOf(Math.max(1, o.timeout().toSeconds())), "promote"));
            if (!promote.ok()) {
                return fail("pg_ctl promote of the copy failed: " + promote.describe() + "; its log: "
                        + tailOf(work.resolve("copy.log")), t0);
            }
            step("promoted the copy (pg_ctl promote)", "promoteMs", t);

            t = System.nanoTime();
            Execution q = exec(List.of(bin("psql"), "-h", sock.toString(), "-p", String.valueOf(o.copyPort()), "-U", o.user(),
                    "-d", "postgres", "-Atq", "-v", "ON_ERROR_STOP=1", "-c",
                    "CREATE TABLE tandem_fire_drill (at timestamptz); INSERT INTO tandem_fire_drill VALUES (now());"
                    + " SELECT pg_is_in_recovery()::text || ' ' || (SELECT count(*) FROM tandem_fire_drill)"));
            String answer = q.tail().isEmpty() ? "" : q.tail().get(q.tail().size() - 1).strip();
            if (!q.ok() || !answer.equals("false 1")) {
                return fail("the promoted copy did not take a write: " + q.describe() + " (answer '" + answer + "')", t0);
            }
            step("wrote and read a row on the promoted copy (no longer in recovery)", "queryMs", t);
            figures.put("totalMs", String.valueOf(ms(t0)));
            String summary = "fire drill passed: the DR standby at " + o.host() + ":" + o.port() + " can be promoted. On a copy: "
                    + "copied in " + figures.get("copyMs") + " ms, started in " + figures.get("startMs") + " ms, promoted in "
                    + figures.get("promoteMs") + " ms, took a write in " + figures.get("queryMs") + " ms. A promotion now would"
                    + " lose what the primary wrote after the last transaction the standby replayed, "
                    + figures.get("secondsSinceLastReplayed") + " s ago (not yet replayed: "
                    + figures.get("notReplayedBytes") + " bytes, applied at promotion; it is " + figures.get("streaming") + ")."
                    + " Production was not touched.";
            return new Report(true, summary, java.util.Collections.unmodifiableList(steps), java.util.Collections.unmodifiableMap(figures));
        } catch (IOException | RuntimeException e) {
            return fail("the drill failed: " + e, t0);
        } finally {
            if (started && data != null) {
                Execution stop = exec(List.of(bin("pg_ctl"), "-D", data.toString(), "-m", "immediate", "-w", "-t", "30", "stop"));
                steps.add((stop.ok() ? "stopped the copy" : "could not stop the copy: " + stop.describe()));
            }
            if (sock != null) {
                deleteTree(sock);
            }
            if (work != null) {
                deleteTree(work);
                steps.add(Files.exists(work) ? "could NOT remove the copy " + work + ": remove it by hand" : "removed the copy");
            }
        }
    }

    /** The standby's replication state; a problem (not a standby, not reachable) or null. */
    private String sourceState() {
        Properties p = new Properties();
        p.setProperty("user", o.user());
        if (o.password() != null) {
            p.setProperty("password", o.password());
        }
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", String.valueOf(Math.max(5, o.timeout().toSeconds())));
        p.setProperty("ApplicationName", "tandem_fire_drill");
        long t = System.nanoTime();
        String url = "jdbc:postgresql://" + (o.host().contains(":") ? "[" + o.host() + "]" : o.host()) + ":" + o.port() + "/" + o.database();
        try (Connection c = DriverManager.getConnection(url, p); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn() - '0/0',"
                     + " pg_last_wal_replay_lsn() - '0/0', extract(epoch FROM now() - pg_last_xact_replay_timestamp()),"
                     + " (SELECT status FROM pg_stat_wal_receiver)")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return o.host() + ":" + o.port() + " is not a standby (pg_is_in_recovery() is false): the fire drill copies"
                        + " a DR standby; run it on the DR node, against its own server";
            }
            long received = rs.getLong(2);
            long replayed = rs.getLong(3);
            figures.put("receivedLsn", String.valueOf(received));
            figures.put("replayedLsn", String.valueOf(replayed));
            figures.put("notReplayedBytes", String.valueOf(Math.max(0, received - replayed)));
            double secs = rs.getDouble(4);
            figures.put("secondsSinceLastReplayed", rs.wasNull() ? "unknown (nothing replayed yet)"
                    : String.format(Locale.ROOT, "%.3f", secs));
            String status = rs.getString(5);
            figures.put("streaming", status == null ? "not streaming (no WAL receiver)" : "streaming".equals(status)
                    ? "streaming" : "not streaming (" + status + ")");
            step("read the DR standby's replication state", "stateMs", t);
            return null;
        } catch (SQLException e) {
            return "cannot read the DR standby's state at " + url + " as " + o.user() + ": " + e.getMessage();
        }
    }

    /** The copy follows no primary, archives nothing, listens on no network, and takes local connections only. */
    private void isolate(Path data, Path sock) throws IOException {
        Files.deleteIfExists(data.resolve("recovery.signal"));
        Files.deleteIfExists(data.resolve("postmaster.pid"));
        Path signal = data.resolve("standby.signal");
        Files.writeString(signal, "", StandardCharsets.UTF_8);
        Path conf = data.resolve("postgresql.conf");
        if (!Files.exists(conf)) {
            Files.writeString(conf, "", StandardCharsets.UTF_8); // (Debian keeps it in /etc: the copy needs its own)
        }
        Path auto = data.resolve("postgresql.auto.conf");
        List<String> lines = Files.exists(auto) ? new ArrayList<>(Files.readAllLines(auto, StandardCharsets.UTF_8)) : new ArrayList<>();
        lines.add("# tandem fire drill: a private copy");
        lines.addAll(List.of("primary_conninfo = ''", "primary_slot_name = ''", "restore_command = ''", "archive_mode = 'off'",
                "synchronous_standby_names = ''", "listen_addresses = ''", "port = '" + o.copyPort() + "'",
                "unix_socket_directories = '" + sock + "'", "cluster_name = 'tandem-fire-drill'", "hot_standby = 'on'",
                "shared_buffers = '32MB'", "logging_collector = 'off'", "log_directory = 'log'"));
        Files.write(auto, lines, StandardCharsets.UTF_8);
        Path hba = data.resolve("pg_hba.conf");
        Files.writeString(hba, "# tandem fire drill: only the socket in the copy's own 0700 directory\nlocal all all trust\n",
                StandardCharsets.UTF_8);
        Path ident = data.resolve("pg_ident.conf");
        if (!Files.exists(ident)) {
            Files.writeString(ident, "", StandardCharsets.UTF_8);
        }
        own(signal, conf, auto, hba, ident);
    }

    private Report fail(String why, long t0) {
        figures.put("totalMs", String.valueOf(ms(t0)));
        return new Report(false, "fire drill FAILED: " + why + ". The DR standby may not be promotable: fix this before"
                + " you need it. Production was not touched.", java.util.Collections.unmodifiableList(steps), java.util.Collections.unmodifiableMap(figures));
    }

    private void step(String what, String figure, long t) {
        long ms = ms(t);
        figures.put(figure, String.valueOf(ms));
        steps.add(what + " (" + Durations.format(Duration.ofMillis(ms)) + ")");
    }

    private Execution exec(List<String> argv) {
        return CommandRunner.run(Command.of(argv).withUser(o.osUser()).withDirectory(Path.of("/")), o.timeout());
    }

    private String bin(String program) {
        return o.binDirectory().resolve(program).toString();
    }

    private void own(Path... files) throws IOException {
        if (o.osUser() != null) {
            ReplicatedPostgresql.FileOwner.chown(List.of(files), o.osUser());
        }
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static String tailOf(Path log) {
        List<String> t = CommandRunner.tail(log, 5);
        return t.isEmpty() ? "(empty)" : String.join(" | ", t);
    }

    private static long size(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // reported by the caller: the directory is still there
        }
    }

    /** What building the resource may ask, with no running node: nothing is published, nobody is dead. */
    private record OfflineContext(String nodeId, List<String> peers) implements NodeContext {
        @Override
        public String clusterName() {
            return "fire-drill";
        }

        @Override
        public Path stateDirectory() {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }

        @Override
        public <T> java.util.Optional<T> service(Class<T> type) {
            return java.util.Optional.empty();
        }

        @Override
        public boolean peerDeadOrFenced(String node) {
            return false;
        }

        @Override
        public Map<String, String> peerFacts(String node) {
            return Map.of();
        }

        @Override
        public void publishFact(String key, String value) {
        }

        @Override
        public void reportFenced(String reason) {
        }

        @Override
        public void note(String group, String resource, String message) {
        }
    }
}
