package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.tandemha.api.ActionContext;
import org.tandemha.api.Checker;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/** Real servers for the tests: one PostgreSQL and one MariaDB per JVM, on free ports, in a temp folder. */
final class TestSupport {
    static final String PG_BIN = "/usr/lib/postgresql/15/bin";
    static final String PASSWORD = "tandem-s3cret-pw";
    private static Path base;
    private static Pg pg;
    private static Maria maria;
    private static final List<Runnable> CLEANUPS = Collections.synchronizedList(new ArrayList<>());

    private TestSupport() {
    }

    static ActionContext ctx(String node, Duration timeout) {
        return ActionContext.of(node, "g", "db", timeout);
    }

    static ActionContext ctx(Duration timeout) {
        return ctx("n1", timeout);
    }

    static boolean pgInstalled() {
        return Files.isExecutable(Path.of(PG_BIN, "pg_ctl"));
    }

    static boolean mariaInstalled() {
        return Files.isExecutable(Path.of("/usr/bin/mariadb-install-db"))
                && MariadbResource.BINARIES.stream().anyMatch(Files::isExecutable);
    }

    /** A fake node context with a state directory of its own (ha-core's test context). */
    static final class Node extends org.tandemha.core.testing.FakeNodeContext {
        final String id;
        final Path state;

        Node(String id) {
            this(id, stateDir(id));
        }

        private Node(String id, Path state) {
            super(id, state);
            this.id = id;
            this.state = state;
        }

        private static Path stateDir(String id) {
            try {
                return Files.createDirectories(base().resolve("state-" + id));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static synchronized Path base() {
        if (base == null) {
            try {
                base = Files.createTempDirectory("tandem-db-test");
                Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(TestSupport::cleanup, "tandem-db-test-cleanup"));
        }
        return base;
    }

    static void onExit(Runnable r) {
        CLEANUPS.add(r);
    }

    private static void cleanup() {
        List<Runnable> all = new ArrayList<>(CLEANUPS);
        Collections.reverse(all);
        for (Runnable r : all) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // best effort
            }
        }
        deleteTree(base);
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void chown(Path p, String user) throws IOException {
        var lookup = p.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(p, lookup.lookupPrincipalByName(user));
    }

    static Execution run(Duration timeout, String user, String... argv) {
        return CommandRunner.run(Command.of(argv).withUser(user).withDirectory(Path.of("/")), timeout);
    }

    /** Kills whatever server runs with this pid, its group too (used in cleanups). */
    static void killPid(long pid) {
        if (pid > 1 && Procs.alive(pid)) {
            Posix.kill(pid, Posix.SIGCONT);
            Procs.killHard(pid, ctx(Duration.ofSeconds(3)));
        }
    }

    /** {@code params} with {@code overrides} put over them; an override of null or "" removes the parameter. */
    private static Map<String, Object> overridden(Map<String, Object> params, Map<String, Object> overrides) {
        params.putAll(overrides);
        params.values().removeIf(v -> v == null || "".equals(v));
        return params;
    }

    /** A shared database server of the tests, the resource over it and a JDBC connection to it. */
    interface Server<R extends Resource & Checker> {
        R resource(Node node, Map<String, Object> overrides) throws Exception;

        Connection connect() throws SQLException;

        /** Creates table {@code committed_rows (id, v)} if missing, in this server's dialect. */
        String createRowsTable();
    }

    /** A shared PostgreSQL cluster (created once). */
    static final class Pg implements Server<PostgresqlResource> {
        final Path dataDir;
        final Path socketDir;
        final Path passwordFile;
        final int port;

        Pg(Path dataDir, Path socketDir, Path passwordFile, int port) {
            this.dataDir = dataDir;
            this.socketDir = socketDir;
            this.passwordFile = passwordFile;
            this.port = port;
        }

        Map<String, Object> params() {
            Map<String, Object> p = new HashMap<>();
            p.put("dataDirectory", dataDir.toString());
            p.put("binDirectory", PG_BIN);
            p.put("port", port);
            p.put("socketDirectory", socketDir.toString());
            p.put("passwordFile", passwordFile.toString());
            p.put("stopGrace", "5s");
            p.put("immediateGrace", "2s");
            p.put("settings", List.of("fsync=off", "shared_buffers=16MB", "max_connections=20"));
            return p;
        }

        @Override
        public PostgresqlResource resource(Node node, Map<String, Object> overrides) throws Exception {
            return PostgresqlType.build(PluginConfig.of("pg", "postgresql", overridden(params(), overrides)), node, PostgresqlType.DRIVER);
        }

        @Override
        public Connection connect() throws SQLException {
            return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", PASSWORD);
        }

        @Override
        public String createRowsTable() {
            return "CREATE TABLE IF NOT EXISTS committed_rows (id serial PRIMARY KEY, v text)";
        }

        long pid() {
            return Procs.readPid(dataDir.resolve("postmaster.pid"));
        }
    }

    static synchronized Pg postgres() throws Exception {
        if (pg != null) {
            return pg;
        }
        Path dir = Files.createDirectories(base().resolve("pg"));
        chown(dir, "postgres");
        Path data = dir.resolve("data");
        Path sock = Files.createDirectories(dir.resolve("sock"));
        chown(sock, "postgres");
        Path initPw = dir.resolve("initpw");
        Files.writeString(initPw, PASSWORD + "\n");
        chown(initPw, "postgres");
        Path pw = base().resolve("pg.pass");
        Files.writeString(pw, PASSWORD + "\n", StandardCharsets.UTF_8);
        Execution init = run(Duration.ofSeconds(60), "postgres", PG_BIN + "/initdb", "-D", data.toString(), "-U", "postgres",
                "--pwfile=" + initPw, "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C");
        assertThat(init.ok()).as("initdb: %s %s", init.describe(), init.tail()).isTrue();
        pg = new Pg(data, sock, pw, freePort());
        Pg p = pg;
        onExit(() -> killPid(p.pid()));
        return pg;
    }

    /** A shared MariaDB data directory (created once) with an account 'tandem' and a database 'tandemtest'. */
    static final class Maria implements Server<MariadbResource> {
        final Path dataDir;
        final Path passwordFile;
        final int port;

        Maria(Path dataDir, Path passwordFile, int port) {
            this.dataDir = dataDir;
            this.passwordFile = passwordFile;
            this.port = port;
        }

        Map<String, Object> params() {
            Map<String, Object> p = new HashMap<>();
            p.put("dataDirectory", dataDir.toString());
            p.put("port", port);
            p.put("user", "tandem");
            p.put("database", "tandemtest");
            p.put("passwordFile", passwordFile.toString());
            p.put("stopGrace", "5s");
            p.put("termGrace", "2s");
            p.put("serverArgs", List.of("--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--skip-log-bin",
                    "--innodb-log-file-size=8M", "--performance-schema=OFF"));
            return p;
        }

        @Override
        public MariadbResource resource(Node node, Map<String, Object> overrides) throws Exception {
            return MariadbType.build(PluginConfig.of("maria", "mariadb", overridden(params(), overrides)), node, MariadbType.DRIVER);
        }

        @Override
        public Connection connect() throws SQLException {
            return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/tandemtest", "tandem", PASSWORD);
        }

        @Override
        public String createRowsTable() {
            return "CREATE TABLE IF NOT EXISTS committed_rows (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB";
        }

        long pid() {
            return Procs.readPid(dataDir.resolve("mariadbd.pid"));
        }
    }

    static synchronized Maria mariadb() throws Exception {
        if (maria != null) {
            return maria;
        }
        Path dir = Files.createDirectories(base().resolve("maria"));
        Path data = dir.resolve("data");
        Execution init = run(Duration.ofSeconds(120), null, "/usr/bin/mariadb-install-db", "--no-defaults", "--datadir=" + data,
                "--user=mysql", "--auth-root-authentication-method=socket", "--skip-test-db", "--innodb-log-file-size=8M");
        assertThat(init.ok()).as("mariadb-install-db: %s %s", init.describe(), init.tail()).isTrue();
        Path pw = base().resolve("maria.pass");
        Files.writeString(pw, PASSWORD + "\n", StandardCharsets.UTF_8);
        Maria m = new Maria(data, pw, freePort());
        onExit(() -> killPid(m.pid()));
        MariadbResource r = m.resource(new Node("setup"), Map.of());
        var started = r.start(ctx(Duration.ofSeconds(60)));
        assertThat(started.isDone()).as("%s %s", started, started.output()).isTrue();
        Execution sql = run(Duration.ofSeconds(30), null, "/usr/bin/mariadb", "--no-defaults", "--socket=" + data.resolve("mariadbd.sock"),
                "-u", "root", "-e", "CREATE USER 'tandem'@'%' IDENTIFIED BY '" + PASSWORD + "'; GRANT ALL ON *.* TO 'tandem'@'%';"
                        + " CREATE DATABASE tandemtest;");
        assertThat(sql.ok()).as("create user: %s %s", sql.describe(), sql.tail()).isTrue();
        maria = m;
        return maria;
    }
}
