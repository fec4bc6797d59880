package org.tandemha.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Durations;
import org.tandemha.api.NodeContext;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * A MariaDB (or MySQL) server on a data directory, run as {@code mariadbd --datadir=...} with its own socket and
 * pid file; stopped through the admin protocol (SHUTDOWN), then SIGTERM, then SIGKILL as a last resort.
 */
final class MariadbResource implements Resource, Checker {
    private static final Logger LOG = LoggerFactory.getLogger(MariadbResource.class);
    static final List<Path> BINARIES = List.of(Path.of("/usr/sbin/mariadbd"), Path.of("/usr/sbin/mysqld"),
            Path.of("/usr/bin/mariadbd"), Path.of("/usr/bin/mysqld"), Path.of("/usr/libexec/mysqld"));

    /** The settings, as read and checked by {@link MariadbType}. */
    record Settings(String id, Path dataDirectory, Path binary, int port, String host, String bindAddress, Path socket,
                    Path pidFile, String osUser, Path defaultsFile, List<String> serverArgs, String database,
                    Credentials credentials, String checkQuery, String heartbeatTable, Duration stopGrace,
                    Duration termGrace, Path logFile, Path mountPoint, Map<String, String> jdbcProperties, String driverClass) {
    }

    private final Settings s;
    private final NodeContext node;
    private final JdbcProbe probe;
    private final String what;
    private volatile Process child;

    MariadbResource(Settings settings, NodeContext node) {
        this.s = settings;
        this.node = node;
        this.what = "MariaDB " + settings.id() + " (port " + settings.port() + ")";
        String host = settings.host().contains(":") && !settings.host().startsWith("[") ? "[" + settings.host() + "]" : settings.host();
        String url = "jdbc:mariadb://" + host + ":" + settings.port() + "/" + (settings.database() == null ? "" : settings.database());
        this.probe = new JdbcProbe(what, url, settings.driverClass(), settings.credentials(), settings.jdbcProperties(),
                MariadbResource::timeouts);
    }

    private static void timeouts(Properties p, Duration left) {
        long ms = Math.max(1, left.toMillis()) + 1000; // the caller's own bound answers first
        p.putIfAbsent("connectTimeout", Long.toString(ms));
        p.putIfAbsent("socketTimeout", Long.toString(ms + 1000));
    }

    JdbcProbe probe() {
        return probe;
    }

    Path binary() {
        if (s.binary() != null) {
            return s.binary();
        }
        for (Path p : BINARIES) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return BINARIES.get(0);
    }

    Path logFile() {
        return s.logFile();
    }

    /** The pid of this data directory's server running here, or -1. */
    long runningPid() {
        long pid = Procs.readPid(s.pidFile());
        if (pid > 0 && isServerOfDataDirectory(pid)) {
            return pid;
        }
        Process c = child;
        if (c != null && c.isAlive() && isServerOfDataDirectory(c.pid())) {
            return c.pid();
        }
        // a server whose pid file was lost: find it by its working directory (the server chdirs to its data directory)
        for (String name : List.of("mariadbd", "mysqld")) {
            List<Long> found = Procs.findByCwd(s.dataDirectory(), name);
            if (!found.isEmpty()) {
                return found.get(0);
            }
        }
        return -1;
    }

    private boolean isServerOfDataDirectory(long pid) {
        if (!Procs.alive(pid)) {
            return false;
        }
        String comm = Procs.comm(pid);
        if (!comm.startsWith("mariadbd") && !comm.startsWith("mysqld")) {
            return false;
        }
        return Procs.cwd(pid).map(c -> c.equals(Procs.real(s.dataDirectory()))).orElse(true);
    }

    private boolean root() {
        return Posix.isRoot();
    }

    @Override
    public ActionResult start(ActionContext context) {
        long t0 = System.nanoTime();
        Path bin = binary();
        if (!Files.isExecutable(bin)) {
            return ActionResult.notInstalled(what + ": " + (s.binary() == null ? "no mariadbd or mysqld in " + BINARIES : bin + " not found or not executable")
                    + " on node " + context.node() + "; install mariadb-server or set binary");
        }
        if (root() && !DbSupport.userExists(s.osUser())) {
            return DbSupport.osUserMissing(what, s.osUser(), context);
        }
        Path dir = s.dataDirectory();
        ActionResult noStorage = DbSupport.storageMissing(what, s.mountPoint(), dir, context);
        if (noStorage != null) {
            return noStorage;
        }
        if (!Files.isDirectory(dir.resolve("mysql"))) {
            return ActionResult.failed(Severity.HARD, what + ": " + dir + " is not a MariaDB data directory (no mysql/ system schema);"
                    + " fix dataDirectory, or create it with mariadb-install-db --datadir=" + dir);
        }
        long pid = runningPid();
        if (pid > 0) {
            return awaitReady(pid, null, context, t0, "already running", 0);
        }
        String stale = clearStalePidFile(context);
        ActionResult portTaken = DbSupport.portTaken(what, s.port(), context);
        if (portTaken != null) {
            return portTaken;
        }
        Path log = logFile();
        long logOffset = DbSupport.sizeOf(log);
        List<String> argv = new ArrayList<>();
        argv.add(bin.toString());
        argv.add(s.defaultsFile() != null ? "--defaults-file=" + s.defaultsFile() : "--no-defaults");
        argv.add("--datadir=" + dir);
        argv.add("--port=" + s.port());
        argv.add("--socket=" + s.socket());
        argv.add("--pid-file=" + s.pidFile());
        if (s.bindAddress() != null) {
            argv.add("--bind-address=" + s.bindAddress());
        }
        if (root()) {
            argv.add("--user=" + s.osUser());
        }
        argv.addAll(s.serverArgs());
        Process p;
        try {
            p = CommandRunner.start(new Command(argv, Map.of(), Path.of("/"), null, log));
        } catch (IOException e) {
            return ActionResult.notInstalled(what + ": cannot run " + bin + ": " + e.getMessage());
        }
        child = p;
        ActionResult r = awaitReady(p.pid(), p, context, t0, "started", logOffset);
        return r.isDone() && stale != null ? r.withReason(r.reason() + "; " + stale) : r;
    }

    /**
     * A pid file left by a crash (here, or on the node that held the volume before) names a process that is not
     * this data directory's server (checked just before). The server would overwrite it, unless it cannot (owned
     * by another user); it is removed, and said so.
     */
    private String clearStalePidFile(ActionContext context) {
        long pid = Procs.readPid(s.pidFile());
        if (!Files.exists(s.pidFile())) {
            return null;
        }
        try {
            Files.delete(s.pidFile());
        } catch (IOException e) {
            LOG.warn("{}: cannot remove stale pid file {}: {}", what, s.pidFile(), e.toString());
            return null;
        }
        String msg = "removed stale pid file " + s.pidFile().getFileName() + " (pid " + pid + " is not this data directory's server here)";
        LOG.warn("{}: {}", what, msg);
        node.note(context.group(), context.resource(), msg);
        return msg;
    }

    private ActionResult awaitReady(long pid, Process p, ActionContext context, long t0, String how, long logOffset) {
        CheckResult last = null;
        while (true) {
            if (p != null && !p.isAlive()) {
                List<String> out = DbSupport.tailSince(logFile(), logOffset, CommandRunner.TAIL_LINES);
                String text = String.join("\n", out);
                return ActionResult.failed(severity(text), what + ": start failed (mariadbd exit " + p.exitValue() + "): " + explain(text))
                        .withDuration(Duration.ofNanos(System.nanoTime() - t0)).withOutput(out);
            }
            if (p == null && !Procs.alive(pid)) {
                return ActionResult.failed(what + ": the running server (pid " + pid + ") exited while starting");
            }
            ActionContext probe = ActionContext.of(context.node(), context.group(), context.resource(),
                    context.remaining().compareTo(Duration.ofSeconds(1)) < 0 ? context.remaining() : Duration.ofSeconds(1));
            last = WireProbe.mysql(s.host(), s.port(), probe, what);
            if (last.healthy()) {
                long real = runningPid();
                String msg = how + " (pid " + (real > 0 ? real : pid) + ")";
                LOG.info("{}: {} in {}", what, msg, Durations.format(Duration.ofNanos(System.nanoTime() - t0)));
                return ActionResult.done(msg).withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            if (context.remaining().toMillis() < 150) {
                break;
            }
            Procs.sleepQuietly(100);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        List<String> out = DbSupport.tailSince(logFile(), logOffset, CommandRunner.TAIL_LINES);
        if (p != null) {
            // a start that missed its deadline leaves nothing behind
            CommandRunner.killTree(p.pid());
            return new ActionResult(ActionResult.Outcome.TIMEOUT, Severity.SOFT, what + ": did not accept connections within "
                    + Durations.format(took) + " (crash recovery may need longer: raise the start timeout); the server was killed. Last probe: "
                    + last.reason(), took, out);
        }
        return new ActionResult(ActionResult.Outcome.TIMEOUT, Severity.SOFT, what + ": the running server (pid " + pid
                + ") does not accept connections: " + (last == null ? "" : last.reason()), took, out);
    }

    private static Severity severity(String text) {
        return text.contains("No space left") || text.contains("Out of memory") ? Severity.SOFT : Severity.HARD;
    }

    private String explain(String text) {
        if (text.contains("Bind on TCP/IP port") || text.contains("Address already in use")) {
            return "port " + s.port() + " is in use; stop the other server or change port";
        }
        if (text.contains("Bind on unix socket") || text.contains("Another process with pid")) {
            return "the socket " + s.socket() + " is in use by another server; change socket";
        }
        if (text.contains("Unable to lock") || text.contains("lock aria control file")) {
            return "another server holds the data directory " + s.dataDirectory() + " (InnoDB/Aria lock); is it running elsewhere?";
        }
        if (text.contains("privilege tables") || text.contains("mysql.user") || text.contains("mysql.plugin")
                || text.contains("mysql.global_priv")) {
            return "the system tables in " + s.dataDirectory() + " are missing or damaged; is dataDirectory right?";
        }
        if (text.contains("Please consult the Knowledge Base") && text.contains("root")) {
            return "mariadbd refuses to run as root; set osUser";
        }
        if (text.contains("Permission denied") || text.contains("Errcode: 13")) {
            String line = text.lines().filter(l -> l.contains("Permission denied") || l.contains("Errcode: 13")).findFirst().orElse("");
            return "permission denied: the data directory and the files in it must be owned by " + s.osUser() + " (" + line.strip() + ")";
        }
        if (text.contains("unknown variable") || text.contains("unknown option")) {
            return "an unknown server option (see output); fix serverArgs or the defaults file";
        }
        String[] lines = text.strip().split("\n");
        return lines.length == 0 || lines[lines.length - 1].isBlank() ? "see the server log " + logFile() : lines[lines.length - 1];
    }

    @Override
    public ActionResult stop(ActionContext context) {
        long t0 = System.nanoTime();
        if (!Files.isDirectory(s.dataDirectory()) && child == null) {
            return ActionResult.done("not running (data directory not present on this node)");
        }
        long pid = runningPid();
        if (pid <= 0) {
            return ActionResult.done("not running");
        }
        boolean wasStopped = Procs.stopped(pid);
        String how = shutdownByAdmin(context, wasStopped);
        long grace = Math.min(s.stopGrace().toNanos(), context.remaining().toNanos() / 2);
        if (how != null && Procs.waitGone(pid, grace, context)) {
            return ActionResult.done("stopped (" + how + ")").withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        LOG.warn("{}: {}; sending SIGTERM to pid {}{}", what, how == null ? "the admin SHUTDOWN was not accepted" : "the admin SHUTDOWN did not finish",
                pid, wasStopped ? " (the server is SIGSTOPped)" : "");
        Posix.kill(pid, Posix.SIGTERM);
        long term = Math.min(s.termGrace().toNanos(), Math.max(0, context.remaining().toNanos() - 500_000_000L));
        if (Procs.waitGone(pid, term, context)) {
            return ActionResult.done("stopped by SIGTERM after the admin SHUTDOWN " + (how == null ? "was refused" : "did not finish"))
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        String loud = "LAST RESORT: killing mariadbd (pid " + pid + ") with SIGKILL: neither SHUTDOWN nor SIGTERM stopped it"
                + (wasStopped ? " (it was stopped by SIGSTOP)" : "") + "; committed InnoDB data is safe in the redo log, crash recovery runs at next start";
        LOG.error("{}: {}", what, loud);
        node.note(context.group(), context.resource(), loud);
        if (Procs.killHard(pid, context)) {
            return ActionResult.done("stopped by SIGKILL (last resort, after SHUTDOWN and SIGTERM failed)")
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        return ActionResult.failed(Severity.HARD, what + ": mariadbd (pid " + pid + ") survived SIGKILL (state "
                + Procs.state(pid).map(String::valueOf).orElse("?") + ", uninterruptible I/O?); the node must be fenced before"
                + " another node starts the database").withDuration(Duration.ofNanos(System.nanoTime() - t0));
    }

    /** Asks for a clean shutdown through the admin protocol; returns how, or null if nothing accepted it. */
    private String shutdownByAdmin(ActionContext context, boolean stuck) {
        if (stuck) {
            return null; // a stopped process answers nothing; do not spend the grace time on it
        }
        Duration budget = context.remaining().dividedBy(4);
        if (budget.compareTo(Duration.ofSeconds(5)) > 0) {
            budget = Duration.ofSeconds(5);
        }
        ActionContext admin = ActionContext.of(context.node(), context.group(), context.resource(), budget);
        CheckResult r = probe.run(admin, "SHUTDOWN", (c, secs) -> {
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(secs);
                st.execute("SHUTDOWN");
                return "accepted";
            } catch (java.sql.SQLException e) {
                // the server may drop the connection while it goes down; only a refusal counts as a failure
                if (e.getErrorCode() == 1227 || (e.getSQLState() != null && e.getSQLState().startsWith("42"))) {
                    throw e;
                }
                return "connection dropped while shutting down";
            }
        });
        if (r.healthy()) {
            return "SHUTDOWN over JDBC";
        }
        if (root() && Files.exists(s.socket())) {
            // the local root account usually authenticates over the socket without a password (unix_socket)
            Path admin2 = adminBinary();
            if (admin2 != null) {
                Execution ex = CommandRunner.run(Command.of(admin2.toString(), "--no-defaults", "--socket=" + s.socket(), "--user=root",
                        "--connect-timeout=" + Math.max(1, budget.toSeconds()), "shutdown"), budget);
                if (ex.ok()) {
                    return "mariadb-admin shutdown";
                }
                LOG.warn("{}: SHUTDOWN over JDBC failed ({}), mariadb-admin shutdown failed ({})", what, r.reason(), ex.describe());
                return null;
            }
        }
        LOG.warn("{}: SHUTDOWN over JDBC failed: {}", what, r.reason());
        return null;
    }

    private static Path adminBinary() {
        for (String p : List.of("/usr/bin/mariadb-admin", "/usr/bin/mysqladmin")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        long pid = runningPid();
        if (pid <= 0) {
            return notRunning();
        }
        if (Procs.stopped(pid)) {
            return CheckResult.failed(what + ": mariadbd (pid " + pid + ") is stopped (SIGSTOP or traced) and cannot serve");
        }
        // a login, not only the handshake: MariaDB logs every connection closed before authentication as a warning
        return probe.run(context, "connection check", JdbcProbe.IS_VALID);
    }

    @Override
    public CheckResult deepCheck(ActionContext context) {
        if (runningPid() <= 0) {
            return notRunning();
        }
        return probe.run(context, "deep check", DbSupport.deepWork(s.checkQuery(), s.heartbeatTable(), context.node(), context.generation()));
    }

    private CheckResult notRunning() {
        long inFile = Procs.readPid(s.pidFile());
        if (inFile > 0) {
            return CheckResult.failed(what + ": " + s.pidFile().getFileName() + " names pid " + inFile
                    + ", which is not running here: the server died");
        }
        return CheckResult.notRunning(what + ": not running");
    }
}
