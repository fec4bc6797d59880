package org.tandemha.db;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Durations;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;

/**
 * Any database with a JDBC driver: checked with {@link java.sql.Connection#isValid} and a configured statement,
 * started and stopped by optional commands.
 */
final class JdbcResource implements Resource, Checker {

    /** The settings, as read and checked by {@link JdbcType}. */
    record Settings(String id, String url, String driverClass, Credentials credentials, Map<String, String> properties,
                    String checkQuery, List<String> start, List<String> stop, List<String> status, String osUser,
                    Map<String, String> environment, Path directory, boolean waitForConnection) {
    }

    private final Settings s;
    private final JdbcProbe probe;
    private final String what;

    JdbcResource(Settings settings) {
        this.s = settings;
        this.what = "database " + settings.id();
        this.probe = new JdbcProbe(what, settings.url(), settings.driverClass(), settings.credentials(), settings.properties(), (p, d) -> {
        });
    }

    boolean canRestart() {
        return s.start() != null;
    }

    private Execution run(List<String> argv, ActionContext context) {
        Command c = new Command(argv, s.environment(), s.directory(), s.osUser(), null);
        return CommandRunner.run(c, context.remaining());
    }

    @Override
    public ActionResult start(ActionContext context) {
        long t0 = System.nanoTime();
        boolean running = false;
        if (s.status() != null) {
            Execution st = run(s.status(), context);
            if (st.notFound()) {
                return st.toActionResult(what + ": status command");
            }
            running = st.ok();
        }
        if (!running && s.start() != null) {
            Execution ex = run(s.start(), context);
            if (!ex.ok()) {
                return ex.toActionResult(what + ": start command");
            }
        }
        if (!s.waitForConnection()) {
            return ActionResult.done(s.start() == null ? "monitor only: nothing to start" : running ? "already running" : "started")
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        }
        CheckResult last;
        while (true) {
            Duration slice = context.remaining().compareTo(Duration.ofSeconds(2)) < 0 ? context.remaining() : Duration.ofSeconds(2);
            last = isValid(ActionContext.of(context.node(), context.group(), context.resource(), slice));
            if (last.healthy()) {
                return ActionResult.done((running ? "already running" : s.start() == null ? "reachable" : "started") + "; connection valid")
                        .withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
            if (last.severity() != Severity.SOFT || context.remaining().toMillis() < 200) {
                break;
            }
            org.tandemha.db.Procs.sleepQuietly(200);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (last.severity() != Severity.SOFT) {
            return ActionResult.failed(last.severity(), what + ": " + last.reason()).withDuration(took);
        }
        return new ActionResult(ActionResult.Outcome.TIMEOUT, Severity.SOFT, what + ": no valid connection within "
                + Durations.format(took) + ": " + last.reason(), took, List.of());
    }

    @Override
    public ActionResult stop(ActionContext context) {
        if (s.stop() == null) {
            return ActionResult.done("monitor only: no stop command, nothing was started here");
        }
        if (s.status() != null) {
            Execution st = run(s.status(), context);
            if (st.exitCode() == 7 && !st.timedOut()) {
                return ActionResult.done("not running");
            }
        }
        Execution ex = run(s.stop(), context);
        ActionResult r = ex.toActionResult(what + ": stop command");
        if (!r.isDone() || s.status() == null) {
            return r;
        }
        Execution after = run(s.status(), context);
        if (after.ok()) {
            return ActionResult.failed(Severity.HARD, what + ": the stop command succeeded but the status command still says running");
        }
        return r;
    }

    /** Connection.isValid with the check's timeout. */
    CheckResult isValid(ActionContext context) {
        return probe.run(context, "connection check", JdbcProbe.IS_VALID);
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        if (s.status() != null) {
            CheckResult st = run(s.status(), context).toCheckResult(what + ": status command");
            if (!st.healthy()) {
                return st;
            }
        }
        return isValid(context);
    }

    @Override
    public CheckResult deepCheck(ActionContext context) {
        if (s.checkQuery() == null) {
            return quickCheck(context);
        }
        return probe.run(context, "deep check", DbSupport.deepWork(s.checkQuery(), null, context.node(), context.generation()));
    }
}
