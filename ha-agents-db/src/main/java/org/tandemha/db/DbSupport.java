package org.tandemha.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Recoverer;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;

/** Pieces shared by the database resources: parameter checks, the deep-check work, restart in place. */
final class DbSupport {
    static final Pattern TABLE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}");

    private DbSupport() {
    }

    /** Reads a required absolute directory path. */
    static Path absolutePath(PluginConfig.Reader r, String key, String example) {
        String s = r.string(key);
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        if (!p.isAbsolute()) {
            r.problem(key, "'" + key + "' is '" + s + "', not an absolute path", "write the full path, such as " + example);
            return null;
        }
        return p.normalize();
    }

    /** Reads an optional absolute path. */
    static Path optionalPath(PluginConfig.Reader r, String key, String example) {
        return r.has(key) ? absolutePath(r, key, example) : null;
    }

    /** Reads the heartbeat table name, when the deep check writes. */
    static String heartbeatTable(PluginConfig.Reader r) {
        boolean write = r.bool("heartbeatWrite", false);
        String table = r.string("heartbeatTable", "tandem_heartbeat");
        if (table != null && !TABLE.matcher(table).matches()) {
            r.problem("heartbeatTable", "'" + table + "' is not a plain table name", "use letters, digits and _ only, such as tandem_heartbeat");
            return null;
        }
        return write ? table : null;
    }

    /**
     * The deep check's work: the configured query must return a row; then, if a heartbeat table is set, this node's
     * row in it is written (the table is created when missing).
     */
    static JdbcProbe.Work deepWork(String query, String heartbeatTable, String node, long generation) {
        return (c, seconds) -> {
            String found;
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(seconds);
                try (ResultSet rs = st.executeQuery(query)) {
                    if (!rs.next()) {
                        throw new SQLException("the check query returned no row: " + query, "02000");
                    }
                    found = "query returned " + abbreviate(rs.getString(1));
                }
            }
            if (heartbeatTable != null) {
                writeHeartbeat(c, seconds, heartbeatTable, node, generation);
                found += ", heartbeat row written";
            }
            return found;
        };
    }

    private static void writeHeartbeat(Connection c, int seconds, String table, String node, long generation) throws SQLException {
        if (!c.getAutoCommit()) {
            c.setAutoCommit(true);
        }
        try (Statement st = c.createStatement()) {
            st.setQueryTimeout(seconds);
            st.execute("CREATE TABLE IF NOT EXISTS " + table
                    + " (node_id VARCHAR(255) PRIMARY KEY, generation BIGINT NOT NULL, beat_at TIMESTAMP NOT NULL)");
        }
        try (PreparedStatement up = c.prepareStatement("UPDATE " + table + " SET generation = ?, beat_at = CURRENT_TIMESTAMP WHERE node_id = ?")) {
            up.setQueryTimeout(seconds);
            up.setLong(1, generation);
            up.setString(2, node);
            if (up.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement in = c.prepareStatement("INSERT INTO " + table + " (node_id, generation, beat_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
            in.setQueryTimeout(seconds);
            in.setString(1, node);
            in.setLong(2, generation);
            in.executeUpdate();
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "NULL";
        }
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** The lines a file gained after {@code offset}, at most the last {@code max}. */
    static List<String> tailSince(Path file, long offset, int max) {
        if (file == null) {
            return List.of();
        }
        try {
            long size = Files.size(file);
            long from = size < offset ? 0 : Math.max(offset, size - 65536);
            byte[] buf;
            try (var ch = Files.newByteChannel(file)) {
                ch.position(from);
                buf = new byte[(int) (size - from)];
                var bb = java.nio.ByteBuffer.wrap(buf);
                while (bb.hasRemaining() && ch.read(bb) > 0) {
                    // read it all
                }
            }
            List<String> lines = new ArrayList<>();
            for (String l : new String(buf, StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank()) {
                    lines.add(l.length() > 400 ? l.substring(0, 400) + "..." : l);
                }
            }
            return lines.size() > max ? List.copyOf(lines.subList(lines.size() - max, lines.size())) : List.copyOf(lines);
        } catch (IOException e) {
            return List.of();
        }
    }

    static long sizeOf(Path file) {
        try {
            return file == null ? 0 : Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Whether an OS user exists here. */
    static boolean userExists(String user) {
        try {
            Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
            return true;
        } catch (UserPrincipalNotFoundException e) {
            return false;
        } catch (IOException e) {
            return true; // cannot tell; let the command say
        }
    }

    /** Creates a log file the server (running as {@code owner}) can append to. */
    static void prepareLogFile(Path file, String owner) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
        if (owner != null) {
            var lookup = file.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(file, lookup.lookupPrincipalByName(owner));
        }
    }

    /** Whether a path is on a mounted file system whose mount point is {@code mountPoint} (or below it). */
    static boolean mounted(Path mountPoint) {
        Path want = Procs.real(mountPoint);
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ");
                if (f.length > 4 && Path.of(f[4].replace("\\040", " ")).equals(want)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Reads {@code mountPoint} (optional), recording a problem unless the data directory lies under it. */
    static Path mountPoint(PluginConfig.Reader r, Path dataDirectory) {
        Path mountPoint = optionalPath(r, "mountPoint", "/srv/shared");
        if (mountPoint != null && dataDirectory != null && !dataDirectory.startsWith(mountPoint)) {
            r.problem("mountPoint", "dataDirectory " + dataDirectory + " is not under mountPoint " + mountPoint, "fix one of them");
        }
        return mountPoint;
    }

    /** Reads {@code jdbcProperties}, recording a problem if one of them is a password. */
    static Map<String, String> jdbcProperties(PluginConfig.Reader r) {
        Map<String, String> props = r.map("jdbcProperties");
        if (props.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("password"))) {
            r.problem("jdbcProperties", "a password must not be written in the configuration", "use passwordFile or passwordEnv");
        }
        return props;
    }

    /** Records a problem unless the JDBC driver for URLs starting with {@code urlPrefix} is on the classpath. */
    static void requireDriver(PluginConfig.Reader r, String driverClass, String urlPrefix) {
        try {
            JdbcProbe.driver(driverClass, urlPrefix);
        } catch (JdbcProbe.MissingDriverException e) {
            r.problem(null, e.getMessage(), "add the dependency, or use another resource type");
        }
    }

    /** The failure of a start whose OS user {@code user} does not exist on this node. */
    static ActionResult osUserMissing(String what, String user, ActionContext context) {
        return ActionResult.notInstalled(what + ": OS user '" + user + "' does not exist on node " + context.node()
                + "; create it or set osUser to the owner of the data directory");
    }

    /**
     * Why a database server cannot start on its storage here: the mount point (if any) is not mounted, or the data
     * directory does not exist. Null when both are in place.
     */
    static ActionResult storageMissing(String what, Path mountPoint, Path dataDirectory, ActionContext context) {
        if (mountPoint != null && !mounted(mountPoint)) {
            return ActionResult.failed(Severity.HARD, what + ": " + mountPoint + " is not mounted on node " + context.node()
                    + "; the volume resource must start (and hold the volume) before the database");
        }
        if (!Files.isDirectory(dataDirectory)) {
            return ActionResult.failed(Severity.HARD, what + ": data directory " + dataDirectory + " does not exist on node "
                    + context.node() + "; is the shared volume mounted here? fix dataDirectory or the group's order");
        }
        return null;
    }

    /** The failure of a start whose port another process holds on this node, or null when the port is free. */
    static ActionResult portTaken(String what, int port, ActionContext context) {
        if (Procs.portBusy(port, context)) {
            return ActionResult.failed(Severity.HARD, what + ": port " + port + " is already in use on node " + context.node()
                    + " by another process; stop it or change port");
        }
        return null;
    }

    /** The join of lines for matching. */
    static String joined(List<String> a, List<String> b) {
        return String.join("\n", a) + "\n" + String.join("\n", b);
    }

    /**
     * Restart in place: one stop (which escalates as it must), one start, then a deep check, all within the
     * context's deadline. It reports DONE only when the deep check passes afterwards.
     */
    static Recoverer restartInPlace(Resource resource, Checker checker) {
        return (context, failure) -> {
            long t0 = System.nanoTime();
            ActionResult stopped = resource.stop(context);
            if (!stopped.isDone()) {
                return stopped.withReason("restart in place: stop failed: " + stopped.reason())
                        .withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            ActionResult started = resource.start(context);
            if (!started.isDone()) {
                return started.withReason("restart in place: stopped (" + stopped.reason() + "), then start failed: " + started.reason())
                        .withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            CheckResult check = checker.deepCheck(context);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (check.healthy()) {
                return ActionResult.done("restarted in place: " + stopped.reason() + "; " + started.reason() + "; deep check ok")
                        .withDuration(took);
            }
            return new ActionResult(check.health() == CheckResult.Health.TIMEOUT ? ActionResult.Outcome.TIMEOUT : ActionResult.Outcome.ERROR,
                    check.severity() == Severity.SOFT ? Severity.SOFT : check.severity(),
                    "restarted in place, but the deep check still fails: " + check.reason(), took, check.output());
        };
    }
}
