package org.tandemha.core.agents;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Durations;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Posix;
import org.tandemha.core.exec.ProcessTree;

/**
 * A program started and watched by pid. It runs as the leader of a session of its own, so its tree is found (and
 * killed) even when children change their process group. Its pid, start time and boot id go to a pid file, so a
 * stop after a restart of this node (the engine's clean-up at start-up) finds what a previous run left, and a
 * reused pid is never taken for ours.
 */
final class ProcessResource implements Resource, Checker {
    /** Pause between readiness probes during start. */
    private static final long READY_POLL_NANOS = 200_000_000L;

    private final String id;
    private final Command command;
    private final Path pidFile;
    private final Duration stopGrace;
    private final List<Probe> probes;
    private final boolean waitReady;

    /** The process of this run, or one adopted from the pid file; null when stopped. Guarded by this. */
    private Tracked tracked;

    /** A process we own: its pid, start time (clock ticks since boot), and our handle if we started it. */
    record Tracked(long pid, long startTicks, Process process) {
        boolean alive() {
            if (process != null) {
                return process.isAlive() && ProcessTree.alive(pid);
            }
            return ProcessTree.alive(pid) && ProcessTree.startTicks(pid) == startTicks;
        }
    }

    ProcessResource(String id, Command command, Path pidFile, Duration stopGrace, List<Probe> probes, boolean waitReady) {
        this.id = id;
        this.command = command;
        this.pidFile = pidFile;
        this.stopGrace = stopGrace;
        this.probes = List.copyOf(probes);
        this.waitReady = waitReady;
    }

    /** The pid we track, or -1 (tests). */
    synchronized long pid() {
        return tracked == null ? -1 : tracked.pid();
    }

    @Override
    public synchronized ActionResult start(ActionContext context) {
        long t0 = System.nanoTime();
        Tracked t = current();
        if (t != null && t.alive()) {
            return ActionResult.done(id + ": already running (pid " + t.pid() + ")");
        }
        if (t != null) {
            // it died: what it left in its session (a child holding the port) goes before we start again
            ProcessTree.terminate(t.pid(), 0, System.nanoTime() + Math.min(2_000_000_000L, context.remaining().toNanos()));
            forget();
        }
        ActionResult problem = precheck();
        if (problem != null) {
            return problem;
        }
        Process p;
        try {
            Files.createDirectories(command.logFile().toAbsolutePath().getParent());
            p = CommandRunner.start(command);
        } catch (IOException | RuntimeException e) {
            return ActionResult.failed(Severity.HARD, id + ": cannot start '" + command.argv().get(0) + "': " + e.getMessage())
                    .withDuration(since(t0));
        }
        long ticks = ProcessTree.startTicks(p.pid());
        tracked = new Tracked(p.pid(), ticks, p);
        writePidFile(p.pid(), ticks);
        if (probes.isEmpty() || !waitReady) {
            if (!p.isAlive()) {
                return exitedDuringStart(p, t0);
            }
            return ActionResult.done(id + ": started, pid " + p.pid()).withDuration(since(t0));
        }
        CheckResult last = null;
        while (true) {
            if (!p.isAlive()) {
                return exitedDuringStart(p, t0);
            }
            Duration left = context.remaining();
            if (left.isZero()) {
                break;
            }
            last = runProbes(context, left.compareTo(Duration.ofSeconds(2)) < 0 ? left : Duration.ofSeconds(2));
            if (last.healthy()) {
                return ActionResult.done(id + ": started, pid " + p.pid() + ", ready in " + Durations.format(since(t0)))
                        .withDuration(since(t0));
            }
            long pause = Math.min(READY_POLL_NANOS, context.remaining().toNanos());
            if (pause <= 0) {
                break;
            }
            LockSupport.parkNanos(pause);
        }
        // not ready in time: take it down again, whole tree, so a later start begins clean
        ProcessTree.terminate(p.pid(), 0, System.nanoTime() + 2_000_000_000L);
        forget();
        return ActionResult.timeout(context.timeout())
                .withReason(id + ": start: timeout after " + Durations.format(context.timeout()) + ", not ready ("
                        + (last == null ? "never checked" : last.reason()) + "); its process tree was killed")
                .withOutput(CommandRunner.tail(command.logFile(), CommandRunner.TAIL_LINES));
    }

    private ActionResult precheck() {
        if (CommandRunner.find(command.argv().get(0), command).isEmpty()) {
            return ActionResult.notInstalled(id + ": program '" + command.argv().get(0)
                    + "' not found or not executable on this node; install it or fix params.command");
        }
        if (command.user() != null && !Posix.isRoot()) {
            return ActionResult.failed(Severity.HARD, id + ": running as user '" + command.user()
                    + "' needs Tandem to run as root; remove params.user or run Tandem as root");
        }
        if (command.directory() != null && !Files.isDirectory(command.directory())) {
            return ActionResult.failed(Severity.HARD, id + ": directory " + command.directory()
                    + " does not exist on this node; create it or fix params.directory");
        }
        return null;
    }

    private ActionResult exitedDuringStart(Process p, long t0) {
        String how = exitText(p);
        forget();
        return ActionResult.failed(Severity.SOFT, id + ": " + command.argv().get(0) + " " + how + " right after start; see "
                        + command.logFile())
                .withDuration(since(t0)).withOutput(CommandRunner.tail(command.logFile(), CommandRunner.TAIL_LINES));
    }

    @Override
    public synchronized ActionResult stop(ActionContext context) {
        long t0 = System.nanoTime();
        Tracked t = tracked;
        PidFile leftover = readPidFile();
        if (t == null && leftover == null) {
            return ActionResult.done(id + ": not running");
        }
        long deadline = context.deadlineNanos();
        long remaining = Math.max(0, deadline - System.nanoTime());
        long killBudget = Math.min(2_000_000_000L, remaining / 4);
        long grace = Math.max(0, Math.min(stopGrace.toNanos(), remaining - killBudget));
        StringBuilder what = new StringBuilder();
        Set<Long> survivors = new java.util.LinkedHashSet<>();
        if (t != null) {
            survivors.addAll(ProcessTree.terminate(t.pid(), grace, deadline));
            what.append("pid ").append(t.pid());
        }
        if (leftover != null && (t == null || leftover.pid() != t.pid())) {
            // ours only if the same boot and, while the leader lives, the same start time; a dead leader's pid is
            // not reused while its session has members, so those members are ours
            boolean sameBoot = leftover.bootId().isEmpty() || leftover.bootId().equals(ProcessTree.bootId());
            boolean leaderOurs = ProcessTree.alive(leftover.pid()) && (leftover.startTicks() < 0
                    ? ProcessTree.session(leftover.pid()) == leftover.pid()
                        && ProcessTree.commandLine(leftover.pid()).startsWith(command.argv().get(0))
                    : ProcessTree.startTicks(leftover.pid()) == leftover.startTicks());
            boolean leaderGone = !ProcessTree.alive(leftover.pid());
            if (sameBoot && (leaderOurs || leaderGone)) {
                Set<Long> left = ProcessTree.terminate(leftover.pid(), grace, deadline);
                if (leaderOurs || !left.isEmpty()) {
                    what.append(what.length() == 0 ? "" : ", ").append("pid ").append(leftover.pid()).append(" left by a previous run");
                }
                survivors.addAll(left);
            }
        }
        if (!survivors.isEmpty()) {
            ActionResult r = new ActionResult(context.expired() ? ActionResult.Outcome.TIMEOUT : ActionResult.Outcome.ERROR,
                    Severity.HARD, id + ": stop: processes " + survivors + " still alive after SIGKILL"
                    + (context.expired() ? " (timeout after " + Durations.format(context.timeout()) + ")" : "")
                    + "; they may be in uninterruptible sleep (state D): check the device they wait for",
                    since(t0), CommandRunner.tail(command.logFile(), CommandRunner.TAIL_LINES));
            return r;
        }
        forget();
        return ActionResult.done(id + ": stopped" + (what.length() == 0 ? " (nothing was running)" : " (" + what + " and its children)"))
                .withDuration(since(t0));
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        Tracked t;
        synchronized (this) {
            t = current();
        }
        if (t == null) {
            return CheckResult.notRunning(id + ": not running");
        }
        if (!t.alive()) {
            String how = t.process() != null ? exitText(t.process()) : "is gone";
            return CheckResult.failed(id + ": process " + t.pid() + " " + how)
                    .withOutput(CommandRunner.tail(command.logFile(), CommandRunner.TAIL_LINES));
        }
        char state = ProcessTree.state(t.pid());
        if (state == 'T' || state == 't') {
            return CheckResult.degraded(id + ": process " + t.pid() + " is stopped (SIGSTOP or a debugger)");
        }
        return CheckResult.ok(id + ": pid " + t.pid() + " running");
    }

    @Override
    public CheckResult deepCheck(ActionContext context) {
        long t0 = System.nanoTime();
        CheckResult quick = quickCheck(context);
        if (!quick.healthy() || probes.isEmpty()) {
            return quick;
        }
        CheckResult r = runProbes(context, context.remaining());
        if (r.health() == CheckResult.Health.TIMEOUT) {
            // say which timeout: the check's, as configured
            String reason = r.reason().replaceFirst("timeout after [^,;]*$", "timeout after " + Durations.format(context.timeout()));
            return new CheckResult(r.health(), r.severity(), reason, context.timeout(), r.output());
        }
        return r.healthy() && quick.health() == CheckResult.Health.DEGRADED ? quick.withDuration(since(t0)) : r.withDuration(since(t0));
    }

    private CheckResult runProbes(ActionContext context, Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        Map<String, String> env = Params.actionEnv(context, "check");
        CheckResult last = CheckResult.ok("no probe");
        for (Probe probe : probes) {
            Duration left = Duration.ofNanos(Math.max(0, end - System.nanoTime()));
            if (left.isZero()) {
                return Probe.timeout(id + ": " + probe.describe(), budget);
            }
            last = probe.check(left, env);
            if (!last.healthy()) {
                return new CheckResult(last.health(), last.severity(), id + ": " + last.reason(), last.duration(), last.output());
            }
        }
        return probes.size() == 1 ? CheckResult.ok(id + ": " + last.reason()) : CheckResult.ok(id + ": " + probes.size() + " probes ok");
    }

    /** The process of this run, or one a previous run left (per the pid file) that is still alive. */
    private Tracked current() {
        if (tracked != null) {
            return tracked;
        }
        PidFile pf = readPidFile();
        if (pf != null && pf.startTicks() >= 0 && pf.bootId().equals(ProcessTree.bootId())
                && ProcessTree.alive(pf.pid()) && ProcessTree.startTicks(pf.pid()) == pf.startTicks()) {
            tracked = new Tracked(pf.pid(), pf.startTicks(), null);
        }
        return tracked;
    }

    private void forget() {
        tracked = null;
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // stale pid file: recognised as stale by its start time next time
        }
    }

    private static String exitText(Process p) {
        // /proc already shows it dead (a zombie); the JVM may not have reaped it yet: wait briefly for its status
        try {
            p.waitFor(500, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (p.isAlive()) {
            return "is gone (its exit status is not known yet)";
        }
        int code = p.exitValue();
        // the JDK reports death by signal N as 128 + N
        return code > 128 && code < 160 ? "was killed by signal " + (code - 128) : "exited with code " + code;
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    // ---- pid file: "pid\nstartTicks\nbootId\n" (a bare pid, as daemons write, is accepted) -------------------------

    record PidFile(long pid, long startTicks, String bootId) {
    }

    private void writePidFile(long pid, long ticks) {
        try {
            Files.createDirectories(pidFile.toAbsolutePath().getParent());
            Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
            Files.writeString(tmp, pid + "\n" + ticks + "\n" + ProcessTree.bootId() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, pidFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // without a pid file a restart of this node cannot find the process; the engine's events will show it
        }
    }

    private PidFile readPidFile() {
        try {
            if (!Files.isRegularFile(pidFile)) {
                return null;
            }
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return null;
            }
            long pid = Long.parseLong(lines.get(0).trim());
            long ticks = lines.size() > 1 ? Long.parseLong(lines.get(1).trim()) : -1;
            String boot = lines.size() > 2 ? lines.get(2).trim() : "";
            return pid > 1 ? new PidFile(pid, ticks, boot) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
