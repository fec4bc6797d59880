package org.tandemha.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A PostgreSQL server on a data directory (usually on the shared volume), started with {@code pg_ctl}, stopped
 * with fast, then immediate shutdown, then SIGKILL of the postmaster as a last resort.
 */
final class PostgresqlResource implements Resource, Checker {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresqlResource.class);

    /** The settings, as read and checked by {@link PostgresqlType}. */
    record Settings(String id, Path dataDirectory, Path binDirectory, int port, String host, String listenAddresses,
                    Path socketDirectory, String osUser, String database, Credentials credentials, String checkQuery,
                    String heartbeatTable, Duration fastStopGrace, Duration immediateStopGrace, Path logFile,
                    List<String> serverSettings, Path mountPoint, Map<String, String> jdbcProperties, String driverClass,
                    boolean quickCheckJdbc) {
    }

    private final Settings s;
    private final NodeContext node;
    private final JdbcProbe probe;
    private final String what;

    PostgresqlResource(Settings settings, NodeContext node) {
        this.s = settings;
        this.node = node;
        this.what = "PostgreSQL " + settings.id() + " (port " + settings.port() + ")";
        String url = "jdbc:postgresql://" + hostForUrl(settings.host()) + ":" + settings.port() + "/" + settings.database();
        this.probe = new JdbcProbe(what, url, settings.driverClass(), settings.credentials(), settings.jdbcProperties(),
                PostgresqlResource::timeouts);
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static void timeouts(Properties p, Duration left) {
        // a little longer than the caller's own bound, which answers first and calls it a timeout
        long secs = Math.max(1, (left.toMillis() + 999) / 1000) + 1;
        p.putIfAbsent("connectTimeout", Long.toString(secs));
        p.putIfAbsent("loginTimeout", Long.toString(secs));
        p.putIfAbsent("socketTimeout", Long.toString(secs + 1));
        p.putIfAbsent("ApplicationName", "tandem-check");
    }

    JdbcProbe probe() {
        return probe;
    }

    Path pidFile() {
        return s.dataDirectory().resolve("postmaster.pid");
    }

    Path logFile() {
        return s.logFile() != null ? s.logFile() : s.dataDirectory().resolve("tandem-postgresql.log");
    }

    private Path bin(String program) {
        if (s.binDirectory() != null) {
            return s.binDirectory().resolve(program);
        }
        // Debian/Ubuntu keep each major version apart; take the newest installed, else the PATH
        Path base = Path.of("/usr/lib/postgresql");
        try (var dirs = Files.list(base)) {
            Path best = dirs.filter(d -> d.getFileName().toString().matches("\\d+") && Files.isExecutable(d.resolve("bin").resolve(program)))
                    .max((a, b) -> Integer.compare(Integer.parseInt(a.getFileName().toString()), Integer.parseInt(b.getFileName().toString())))
                    .orElse(null);
            if (best != null) {
                return best.resolve("bin").resolve(program);
            }
        } catch (IOException e) {
            // not a Debian layout
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Path.of("/usr/lib/postgresql/<version>/bin", program);
    }

    /** The pid of this data directory's postmaster running here, or -1. */
    long runningPid() {
        long pid = Procs.readPid(pidFile());
        return pid > 0 && isPostmasterOfDataDirectory(pid) ? pid : -1;
    }

    private boolean isPostmasterOfDataDirectory(long pid) {
        if (!Procs.alive(pid)) {
            return false;
        }
        String comm = Procs.comm(pid);
        if (!comm.startsWith("postgres") && !comm.startsWith("postmaster")) {
            return false;
        }
        // the postmaster's working directory is its data directory; if we cannot read it, assume it is ours (safe)
        return Procs.cwd(pid).map(c -> c.equals(Procs.real(s.dataDirectory()))).orElse(true);
    }

    private String runAs() {
        return Posix.isRoot() ? s.osUser() : null;
    }

    @Override
    public ActionResult start(ActionContext context) {
        return startServer(context, true);
    }

    /**
     * Starts the server; {@code primary}: it must come up as a primary (refused with standby.signal, checked after the
     * start). The replicated mode starts a standby, or a copy about to be promoted, with {@code primary} false.
     */
    ActionResult startServer(ActionContext context, boolean primary) {
        long t0 = System.nanoTime();
        Path pgCtl = bin("pg_ctl");
        if (!Files.isExecutable(pgCtl)) {
            return ActionResult.notInstalled(what + ": " + pgCtl + " not found or not executable; install PostgreSQL on node "
                    + context.node() + " or set binDirectory");
        }
        if (runAs() != null && !DbSupport.userExists(runAs())) {
            return DbSupport.osUserMissing(what, runAs(), context);
        }
        Path dir = s.dataDirectory();
        ActionResult noStorage = DbSupport.storageMissing(what, s.mountPoint(), dir, context);
        if (noStorage != null) {
            return noStorage;
        }
        if (!Files.exists(dir.resolve("PG_VERSION"))) {
            return ActionResult.failed(Severity.HARD, what + ": " + dir + " is not a PostgreSQL data directory (no PG_VERSION);"
                    + " fix dataDirectory, or create the cluster with initdb");
        }
        ActionResult standby = primary ? standbySignal(dir) : null;
        if (standby != null) {
            return standby;
        }
        long pid = runningPid();
        if (pid > 0) {
            return awaitRunning(pid, context, t0, "already running", primary);
        }
        String orphans = killOrphans(context);
        String stale = clearStaleLock(context);
        String socketLock = clearStaleSocketLock(context);
        for (String more : new String[] {orphans, socketLock}) {
            if (more != null) {
                stale = stale == null ? more : stale + "; " + more;
            }
        }
        ActionResult portTaken = DbSupport.portTaken(what, s.port(), context);
        if (portTaken != null) {
            return portTaken;
        }
        Path log = logFile();
        try {
            if (runAs() != null && !log.startsWith(dir)) {
                DbSupport.prepareLogFile(log, runAs());
            }
        } catch (IOException e) {
            return ActionResult.failed(Severity.HARD, what + ": cannot create log file " + log + ": " + e.getMessage() + "; fix logFile");
        }
        long logOffset = DbSupport.sizeOf(log);
        Duration left = context.remaining();
        long waitSecs = Math.max(1, left.minusMillis(1500).toSeconds());
        List<String> argv = List.of(pgCtl.toString(), "start", "-D", dir.toString(), "-l", log.toString(), "-w", "-t",
                Long.toString(waitSecs), "-s", "-o", serverOptions());
        Execution ex = CommandRunner.run(Command.of(argv).withUser(runAs()).withDirectory(Path.of("/")), left);
        List<String> serverLog = DbSupport.tailSince(log, logOffset, CommandRunner.TAIL_LINES);
        long newPid = runningPid();
        CheckResult role = primary && ex.ok() && newPid > 0 ? roleCheck() : null;
        if (role != null) {
            return ActionResult.failed(Severity.HARD, role.reason() + "; it was started but is no primary")
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        if (ex.ok() && newPid > 0) {
            String msg = "started (pid " + newPid + ")" + (stale == null ? "" : "; " + stale);
            LOG.info("{}: {} in {}", what, msg, Durations.format(Duration.ofNanos(System.nanoTime() - t0)));
            return ActionResult.done(msg).withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        String text = DbSupport.joined(ex.tail(), serverLog);
        boolean timedOut = ex.timedOut() || text.contains("did not start in time") || context.expired();
        if (newPid > 0 || timedOut) {
            // Do not leave a half-started server behind a failed start: the engine will try elsewhere.
            ActionContext cleanup = ActionContext.of(context.node(), context.group(), context.resource(), Duration.ofSeconds(2));
            long p = newPid > 0 ? newPid : runningPid();
            if (p > 0) {
                Posix.kill(p, Procs.SIGQUIT);
                if (!Procs.waitGone(p, 1_000_000_000L, cleanup)) {
                    Procs.killHard(p, cleanup);
                }
            }
        }
        List<String> out = new ArrayList<>(ex.tail());
        out.addAll(serverLog);
        if (ex.notFound()) {
            return ActionResult.notInstalled(what + ": " + ex.describe()).withOutput(out);
        }
        if (timedOut) {
            return new ActionResult(ActionResult.Outcome.TIMEOUT, Severity.SOFT, what + ": did not accept connections within "
                    + Durations.format(Duration.ofNanos(System.nanoTime() - t0)) + " (crash recovery may need longer: raise the start timeout);"
                    + " the half-started server was stopped", Duration.ofNanos(System.nanoTime() - t0), out);
        }
        return ActionResult.failed(classifySeverity(text), what + ": start failed: " + explain(text))
                .withDuration(Duration.ofNanos(System.nanoTime() - t0)).withOutput(out);
    }

    private ActionResult awaitRunning(long pid, ActionContext context, long t0, String how, boolean primary) {
        while (true) {
            CheckResult r = WireProbe.postgres(s.host(), s.port(), context, what);
            CheckResult role = primary && r.healthy() ? roleCheck() : null;
            if (role != null && role.severity() == Severity.HARD) {
                return ActionResult.failed(Severity.HARD, role.reason()).withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            if (r.healthy() && role == null) {
                return ActionResult.done(how + " (pid " + pid + ")").withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            if (role != null) {
                r = role;
            }
            if (context.remaining().toMillis() < 150 || !Procs.alive(pid)) {
                return ActionResult.failed(what + ": a postmaster (pid " + pid + ") runs on this data directory but does not accept"
                        + " connections: " + r.reason()).withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            Procs.sleepQuietly(100);
        }
    }

    /**
     * A postmaster.pid left by a crash (here, or on the node that held the volume before). When the pid in it is not
     * alive here, PostgreSQL removes the file itself, and first checks through the shared memory key in it that no
     * old server process is still attached: that check is kept by leaving the file alone. When the pid is alive here
     * but is another program (pids are reused after a reboot or on another node), PostgreSQL would refuse to start;
     * as no process of this data directory runs here (checked just before), the file is moved aside, loudly.
     */
    private String clearStaleLock(ActionContext context) {
        Path pidFile = pidFile();
        long pid = Procs.readPid(pidFile);
        if (pid <= 0 || Procs.state(pid).isEmpty()) {
            return pid > 0 ? "stale postmaster.pid (pid " + pid + " not running here) left by a crash" : null;
        }
        Path aside = s.dataDirectory().resolve("postmaster.pid.stale-" + System.currentTimeMillis());
        try {
            Files.move(pidFile, aside);
        } catch (IOException e) {
            LOG.warn("{}: cannot move stale {} aside: {}", what, pidFile, e.toString());
            return null;
        }
        String which = Procs.alive(pid) ? "another program here (" + Procs.comm(pid) + ")" : "a dead process not yet reaped (zombie)";
        String msg = "stale postmaster.pid names pid " + pid + ", which is " + which
                + ", not this data directory's postmaster; moved it to " + aside.getFileName();
        LOG.warn("{}: {}", what, msg);
        node.note(context.group(), context.resource(), msg);
        return msg;
    }

    /**
     * The socket lock file ({@code .s.PGSQL.<port>.lock}) of a crashed postmaster blocks a new one just like
     * postmaster.pid when its pid is still found (a zombie not yet reaped, or a reused pid). It is removed when
     * that pid is not a live PostgreSQL process here.
     */
    private String clearStaleSocketLock(ActionContext context) {
        Path dir = s.socketDirectory() != null ? s.socketDirectory() : Path.of("/var/run/postgresql");
        Path lock = dir.resolve(".s.PGSQL." + s.port() + ".lock");
        long pid = Procs.readPid(lock);
        if (pid <= 0 || (Procs.alive(pid) && Procs.comm(pid).startsWith("postgres"))) {
            return null;
        }
        try {
            Files.deleteIfExists(lock);
            Files.deleteIfExists(dir.resolve(".s.PGSQL." + s.port()));
        } catch (IOException e) {
            LOG.warn("{}: cannot remove stale socket lock {}: {}", what, lock, e.toString());
            return null;
        }
        String msg = "removed stale socket lock " + lock + " of pid " + pid + " (not running here)";
        LOG.warn("{}: {}", what, msg);
        node.note(context.group(), context.resource(), msg);
        return msg;
    }

    /** Kills server processes of this data directory left without their postmaster (it crashed or was killed). */
    private String killOrphans(ActionContext context) {
        List<Long> orphans = Procs.findByCwd(s.dataDirectory(), "postgres");
        if (orphans.isEmpty()) {
            return null;
        }
        String msg = "killed " + orphans.size() + " leftover server process(es) " + orphans + " of a dead postmaster";
        LOG.warn("{}: {}", what, msg);
        node.note(context.group(), context.resource(), msg);
        for (long p : orphans) {
            Posix.kill(p, Posix.SIGKILL);
        }
        for (long p : orphans) {
            Procs.waitGone(p, 2_000_000_000L, context);
        }
        return msg;
    }

    String serverOptions() {
        List<String> o = new ArrayList<>();
        o.add("-p");
        o.add(Integer.toString(s.port()));
        if (s.listenAddresses() != null) {
            o.add("-c");
            o.add("listen_addresses=" + s.listenAddresses());
        }
        if (s.socketDirectory() != null) {
            o.add("-c");
            o.add("unix_socket_directories=" + s.socketDirectory());
        }
        for (String setting : s.serverSettings()) {
            o.add("-c");
            o.add(setting);
        }
        // pg_ctl hands -o to a shell: quote every word
        StringBuilder b = new StringBuilder();
        for (String w : o) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append('\'').append(w.replace("'", "'\\''")).append('\'');
        }
        return b.toString();
    }

    private static Severity classifySeverity(String text) {
        return text.contains("No space left") || text.contains("out of memory") ? Severity.SOFT : Severity.HARD;
    }

    private String explain(String text) {
        if (text.contains("Address already in use") || text.contains("could not create any TCP/IP sockets")
                || text.contains("could not bind")) {
            return "port " + s.port() + " (or the socket in " + s.socketDirectory() + ") is in use; stop the other server or change port";
        }
        if (text.contains("lock file") && text.contains("already exists")) {
            return "another postmaster holds the data directory lock; is the database running elsewhere on this node?";
        }
        if (text.contains("incompatible with server")) {
            return "the data directory was made by another PostgreSQL major version than " + bin("postgres").getParent()
                    + "; set binDirectory to the matching version";
        }
        if (text.contains("invalid permissions") || text.contains("wrong ownership")) {
            return "the data directory must be owned by " + s.osUser() + " with mode 0700 (chown/chmod it)";
        }
        if (text.contains("postgresql.conf")) {
            return "no postgresql.conf in " + s.dataDirectory() + "; is dataDirectory right?";
        }
        if (text.contains("Permission denied")) {
            return "permission denied (see output); check the ownership of the data directory and the log file";
        }
        String[] lines = text.strip().split("\n");
        return lines.length == 0 ? "see output" : lines[lines.length - 1];
    }

    @Override
    public ActionResult stop(ActionContext context) {
        long t0 = System.nanoTime();
        long pid = runningPid();
        if (pid <= 0) {
            if (!Files.isDirectory(s.dataDirectory())) {
                return ActionResult.done("not running (data directory not present on this node)");
            }
            String orphans = killOrphans(context);
            return ActionResult.done("not running" + (orphans == null ? "" : "; " + orphans));
        }
        boolean wasStopped = Procs.stopped(pid);
        long fast = Math.min(s.fastStopGrace().toNanos(), context.remaining().toNanos() / 2);
        Posix.kill(pid, Procs.SIGINT);
        if (Procs.waitGone(pid, fast, context)) {
            return ActionResult.done("stopped (fast shutdown)").withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        LOG.warn("{}: fast shutdown of pid {} did not finish in {}{}; trying immediate shutdown", what, pid,
                Durations.format(Duration.ofNanos(fast)), wasStopped ? " (the postmaster is SIGSTOPped)" : "");
        long immediate = Math.min(s.immediateStopGrace().toNanos(), Math.max(0, context.remaining().toNanos() - 500_000_000L));
        Posix.kill(pid, Procs.SIGQUIT);
        if (Procs.waitGone(pid, immediate, context)) {
            return ActionResult.done("stopped by immediate shutdown after fast shutdown did not finish; crash recovery runs at next start")
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        String loud = "LAST RESORT: killing the postmaster (pid " + pid + ") and its process group with SIGKILL: neither fast nor"
                + " immediate shutdown finished" + (wasStopped ? " (it was stopped by SIGSTOP)" : "")
                + "; committed data is safe in the WAL, crash recovery runs at next start";
        LOG.error("{}: {}", what, loud);
        node.note(context.group(), context.resource(), loud);
        if (Procs.killHard(pid, context)) {
            return ActionResult.done("stopped by SIGKILL of the postmaster (last resort, after fast and immediate shutdown failed)")
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        return ActionResult.failed(Severity.HARD, what + ": the postmaster (pid " + pid + ") survived SIGKILL (state "
                + Procs.state(pid).map(String::valueOf).orElse("?") + ", uninterruptible I/O?); the node must be fenced before"
                + " another node starts the database").withDuration(Duration.ofNanos(System.nanoTime() - t0));
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        CheckResult process = processCheck();
        if (process != null) {
            return process;
        }
        return s.quickCheckJdbc() ? probe.run(context, "connection check", JdbcProbe.IS_VALID)
                : WireProbe.postgres(s.host(), s.port(), context, what);
    }

    /**
     * The quick check without the primary's role: the postmaster alive and not stopped, and a connection answered. A
     * replicated standby's liveness (its role is checked by the promotable side, {@code replicationState}).
     */
    CheckResult liveCheck(ActionContext context) {
        long pid = runningPid();
        if (pid <= 0) {
            return processCheck();
        }
        if (Procs.stopped(pid)) {
            return CheckResult.failed(what + ": the postmaster (pid " + pid + ") is stopped (SIGSTOP or traced) and cannot serve");
        }
        return s.quickCheckJdbc() ? probe.run(context, "connection check", JdbcProbe.IS_VALID)
                : WireProbe.postgres(s.host(), s.port(), context, what);
    }

    private static final String IN_RECOVERY = "in recovery (pg_is_in_recovery)";

    @Override
    public CheckResult deepCheck(ActionContext context) {
        long pid = runningPid();
        if (pid <= 0) {
            return processCheck();
        }
        CheckResult role = roleCheck();
        if (role != null) {
            return role;
        }
        JdbcProbe.Work work = DbSupport.deepWork(s.checkQuery(), s.heartbeatTable(), context.node(), context.generation());
        CheckResult deep = probe.run(context, "deep check", (c, seconds) -> {
            try (java.sql.Statement st = c.createStatement()) {
                st.setQueryTimeout(seconds);
                try (java.sql.ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_is_in_recovery()")) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return IN_RECOVERY;
                    }
                }
            }
            return work.run(c, seconds);
        });
        if (deep.healthy() && deep.reason().contains(IN_RECOVERY)) {
            return CheckResult.failed(Severity.HARD, what + ": pg_is_in_recovery() is true: the server is a standby, not a"
                    + " primary; promote it or remove standby.signal").withDuration(deep.duration());
        }
        return deep;
    }

    /** Null when the postmaster is alive and running; else the failed result. */
    private CheckResult processCheck() {
        long pid = runningPid();
        if (pid <= 0) {
            long inFile = Procs.readPid(pidFile());
            if (inFile > 0) {
                return CheckResult.failed(what + ": postmaster.pid names pid " + inFile + ", which is not running here: the server died");
            }
            return CheckResult.notRunning(what + ": not running");
        }
        if (Procs.stopped(pid)) {
            return CheckResult.failed(what + ": the postmaster (pid " + pid + ") is stopped (SIGSTOP or traced) and cannot serve");
        }
        return roleCheck();
    }

    /**
     * Null when the server runs as a primary; else why it does not. Two sources, both cheap and without a login:
     * the postmaster's state on line 8 of postmaster.pid (PostgreSQL 10 and later; {@code pg_ctl} reads the same
     * line): {@code stopping} while it shuts down (it still answers the first packet of a connection, then refuses
     * the session), {@code starting} during startup or crash recovery, {@code standby} for a standby that accepts
     * no connections; and the recovery signal files: a server in recovery (a standby, or a targeted recovery) runs
     * with {@code standby.signal} or {@code recovery.signal} in its data directory until it is promoted, which
     * removes them. A hot standby reports {@code ready} like a primary, so the files decide. The deep check also asks
     * {@code pg_is_in_recovery()}.
     */
    CheckResult roleCheck() {
        String status = pmStatus();
        if (!"stopping".equals(status)) {
            for (String signal : new String[] {"standby.signal", "recovery.signal"}) {
                if (Files.exists(s.dataDirectory().resolve(signal))) {
                    return inRecovery(signal + " in " + s.dataDirectory());
                }
            }
        }
        if (status == null || status.equals("ready")) {
            return null;
        }
        return switch (status) {
            case "standby" -> inRecovery("postmaster.pid status 'standby'");
            case "stopping" -> CheckResult.failed(what + ": the server is shutting down (postmaster.pid status 'stopping')"
                    + " and accepts no new sessions");
            case "starting" -> CheckResult.failed(what + ": the server is still starting up or in crash recovery"
                    + " (postmaster.pid status 'starting') and accepts no sessions yet");
            default -> null;                 // a status this version does not know: the connection checks decide
        };
    }

    private CheckResult inRecovery(String evidence) {
        return CheckResult.failed(Severity.HARD, what + ": the server is in recovery (a standby, read-only), not a primary ("
                + evidence + "); promote it (pg_ctl promote) where it should be the primary, or remove standby.signal"
                + " before starting it as one");
    }

    /** Line 8 of postmaster.pid, trimmed (it is padded), or null when absent or unreadable. */
    private String pmStatus() {
        try {
            List<String> lines = Files.readAllLines(pidFile(), java.nio.charset.StandardCharsets.UTF_8);
            return lines.size() >= 8 ? lines.get(7).trim() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A data directory with standby.signal starts as a standby: refused for this resource, before it starts. */
    private ActionResult standbySignal(Path dir) {
        if (Files.exists(dir.resolve("standby.signal"))) {
            return ActionResult.failed(Severity.HARD, what + ": " + dir.resolve("standby.signal") + " exists: PostgreSQL would"
                    + " start as a standby (in recovery), not as a primary; remove the file to run this data directory as"
                    + " the primary, or use it as a standby outside this resource");
        }
        return null;
    }
}
