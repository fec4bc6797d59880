package org.tandemha.scsi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
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
import org.tandemha.core.exec.Posix;

/** The shared volume: reservation, fsck, mount; and back. See {@link VolumeType}. */
final class Volume implements Resource, Checker {
    private static final ExecutorService IO = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "volume-io");
        t.setDaemon(true);
        return t;
    });
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private final String id;
    private final String device;
    private final Path mountpoint;
    private final String fstype;
    private final String options;
    private final SharedLock lock;
    private final boolean fsck;
    private final Duration fsckTimeout;
    private final Duration stopGrace;

    Volume(String id, String device, Path mountpoint, String fstype, String options, SharedLock lock, boolean fsck,
           Duration fsckTimeout, Duration stopGrace) {
        this.id = id;
        this.device = device;
        this.mountpoint = mountpoint.toAbsolutePath().normalize();
        this.fstype = fstype;
        this.options = options;
        this.lock = lock;
        this.fsck = fsck;
        this.fsckTimeout = fsckTimeout;
        this.stopGrace = stopGrace;
    }

    @Override
    public ActionResult start(ActionContext ctx) {
        long t0 = System.nanoTime();
        if (lock != null) {
            try {
                lock.acquire();
            } catch (ScsiException e) {
                return scsiFailure("cannot take the reservation for volume " + id, e).withDuration(since(t0));
            }
        }
        String mountedDev;
        try {
            mountedDev = mountedDevice(mountpoint);
        } catch (IOException e) {
            return ActionResult.failed("volume " + id + ": cannot read " + MOUNTINFO + ": " + e.getMessage());
        }
        if (mountedDev != null) {
            if (sameDevice(mountedDev)) {
                return ActionResult.done("volume " + id + " already mounted on " + mountpoint).withDuration(since(t0));
            }
            return ActionResult.failed(Severity.HARD, "volume " + id + ": " + mountpoint + " already has " + mountedDev
                    + " mounted; unmount it or choose another mountpoint");
        }
        if (!Files.exists(Path.of(device))) {
            release();
            return ActionResult.notInstalled("volume " + id + ": device " + device + " does not exist on this node; check 'device'");
        }
        if (fsck) {
            Duration budget = min(fsckTimeout, ctx.remaining());
            Execution e = CommandRunner.run(Command.of("fsck", "-T", "-p", "-t", fstype, device), budget);
            // fsck: 0 clean, 1 errors corrected, 2 corrected and reboot advised; 4 and above: left uncorrected or failed
            if (e.notFound() || e.timedOut() || e.exitCode() >= 4 || e.exitCode() < 0) {
                release();
                ActionResult r = e.toActionResult("fsck -p " + device);
                return e.exitCode() >= 4
                        ? ActionResult.failed(Severity.HARD, "volume " + id + ": fsck -p " + device + " left errors (exit " + e.exitCode()
                                + "); run fsck by hand before starting it again").withOutput(e.tail()).withDuration(since(t0))
                        : r.withReason("volume " + id + ": " + r.reason());
            }
        }
        try {
            Files.createDirectories(mountpoint);
        } catch (IOException e) {
            release();
            return ActionResult.failed("volume " + id + ": cannot create mountpoint " + mountpoint + ": " + e.getMessage());
        }
        List<String> argv = new ArrayList<>(List.of("mount", "-t", fstype));
        if (!options.isBlank()) {
            argv.add("-o");
            argv.add(options);
        }
        argv.add(device);
        argv.add(mountpoint.toString());
        Execution m = CommandRunner.run(Command.of(argv), ctx.remaining());
        if (!m.ok()) {
            release();
            return m.toActionResult("volume " + id + ": mount " + device + " on " + mountpoint).withDuration(since(t0));
        }
        return ActionResult.done("volume " + id + ": " + device + " mounted on " + mountpoint
                + (lock == null ? "" : ", reservation held on " + lock.target())).withDuration(since(t0));
    }

    @Override
    public ActionResult stop(ActionContext ctx) {
        long t0 = System.nanoTime();
        String mounted;
        try {
            mounted = mountedDevice(mountpoint);
        } catch (IOException e) {
            return ActionResult.failed(Severity.HARD, "volume " + id + ": cannot read " + MOUNTINFO + ": " + e.getMessage());
        }
        if (mounted != null) {
            ActionResult u = unmount(ctx);
            if (!u.isDone()) {
                return u.withDuration(since(t0));
            }
        }
        String rel = release();
        return ActionResult.done("volume " + id + (mounted == null ? " not mounted" : " unmounted from " + mountpoint)
                + (rel.isEmpty() ? "" : "; " + rel)).withDuration(since(t0));
    }

    /** Unmounts: retry while busy for the grace time, then kill the users (TERM, then KILL) and try again. */
    private ActionResult unmount(ActionContext ctx) {
        long graceEnd = System.nanoTime() + min(stopGrace, ctx.remaining()).toNanos();
        Execution last;
        while (true) {
            last = CommandRunner.run(Command.of("umount", mountpoint.toString()), min(Duration.ofSeconds(30), ctx.remaining()));
            if (last.ok() || !isMounted()) {
                return ActionResult.done("unmounted");
            }
            if (last.notFound() || ctx.expired() || System.nanoTime() >= graceEnd) {
                break;
            }
            sleep(200);
        }
        List<Long> users = usersOf(mountpoint);
        if (!users.isEmpty()) {
            for (int signal : new int[] {Posix.SIGTERM, Posix.SIGKILL}) {
                for (long pid : users) {
                    Posix.kill(pid, signal);
                }
                long until = System.nanoTime() + Math.min(2_000_000_000L, ctx.remaining().toNanos() / 2);
                while (System.nanoTime() < until && users.stream().anyMatch(p -> ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false))) {
                    sleep(50);
                }
                last = CommandRunner.run(Command.of("umount", mountpoint.toString()), min(Duration.ofSeconds(30), ctx.remaining()));
                if (last.ok() || !isMounted()) {
                    return ActionResult.done("unmounted after stopping processes " + users);
                }
                users = usersOf(mountpoint);
            }
        }
        return ActionResult.failed(Severity.HARD, "volume " + id + ": cannot unmount " + mountpoint + ": " + last.describe()
                + (users.isEmpty() ? "" : "; still used by processes " + users)
                + "; the reservation is kept: stop what uses it, then clear the group").withOutput(last.tail());
    }

    private String release() {
        if (lock == null) {
            return "";
        }
        try {
            lock.release();
            return "";
        } catch (ScsiException e) {
            // Not mounted any more, so nothing writes: the peer can preempt a reservation we could not release.
            return "reservation not released (" + e.getMessage() + ")";
        }
    }

    @Override
    public CheckResult quickCheck(ActionContext ctx) {
        long t0 = System.nanoTime();
        if (lock != null && lock.fenced()) {
            return CheckResult.failed(Severity.HARD, "volume " + id + ": " + lock.fencedReason());
        }
        if (!isMounted()) {
            return CheckResult.notRunning("volume " + id + " is not mounted on " + mountpoint);
        }
        return bounded(ctx, () -> {
            try (Stream<Path> s = Files.list(mountpoint)) {
                s.findFirst();
            }
            return CheckResult.ok("volume " + id + " mounted and readable");
        }).withDuration(since(t0));
    }

    @Override
    public CheckResult deepCheck(ActionContext ctx) {
        CheckResult quick = quickCheck(ctx);
        if (!quick.healthy()) {
            return quick;
        }
        long t0 = System.nanoTime();
        Path probe = mountpoint.resolve(".tandem-check");
        String stamp = ctx.node() + " " + System.currentTimeMillis() + " " + System.nanoTime();
        return bounded(ctx, () -> {
            Files.writeString(probe, stamp, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            String back = Files.readString(probe, StandardCharsets.UTF_8);
            if (!back.equals(stamp)) {
                return CheckResult.failed("volume " + id + ": wrote '" + stamp + "' to " + probe + " and read back '" + back + "'");
            }
            return CheckResult.ok("volume " + id + ": write and read of " + probe + " ok");
        }).withDuration(since(t0));
    }

    private CheckResult bounded(ActionContext ctx, Callable<CheckResult> work) {
        Future<CheckResult> f = IO.submit(work);
        try {
            return f.get(Math.max(1, ctx.remaining().toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return CheckResult.timeout(ctx.timeout()).withOutput(List.of("I/O on " + mountpoint + " did not return (hung storage?)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed("volume " + id + ": check interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            return CheckResult.failed("volume " + id + ": I/O on " + mountpoint + " failed: " + e.getCause());
        }
    }

    boolean isMounted() {
        try {
            return mountedDevice(mountpoint) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean sameDevice(String mountedDev) {
        try {
            return Path.of(mountedDev).toRealPath().equals(Path.of(device).toRealPath());
        } catch (IOException e) {
            return mountedDev.equals(device);
        }
    }

    /** The source device mounted on {@code mp} (the last mount wins), or {@code null}. */
    static String mountedDevice(Path mp) throws IOException {
        String found = null;
        String want = mp.toString();
        for (String line : Files.readAllLines(MOUNTINFO)) {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            String[] f = line.split(" ");
            int dash = line.indexOf(" - ");
            if (f.length < 5 || dash < 0) {
                continue;
            }
            if (unescape(f[4]).equals(want)) {
                String[] tail = line.substring(dash + 3).split(" ");
                found = tail.length > 1 ? unescape(tail[1]) : "?";
            }
        }
        return found;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    // not an escape
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    /** Processes (other than this JVM) whose cwd, root, executable, open files or mappings are under {@code mp}. */
    static List<Long> usersOf(Path mp) {
        List<Long> pids = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        String prefix = mp.toString().endsWith("/") ? mp.toString() : mp + "/";
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                if (pid == self) {
                    continue;
                }
                if (uses(p, mp.toString(), prefix)) {
                    pids.add(pid);
                }
            }
        } catch (IOException e) {
            // best effort
        }
        return pids;
    }

    private static boolean uses(Path proc, String mp, String prefix) {
        for (String link : new String[] {"cwd", "root", "exe"}) {
            if (under(readLink(proc.resolve(link)), mp, prefix)) {
                return true;
            }
        }
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                if (under(readLink(fd), mp, prefix)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read
        }
        try {
            for (String line : Files.readAllLines(proc.resolve("maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && under(line.substring(slash), mp, prefix)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return false;
    }

    private static boolean under(String path, String mp, String prefix) {
        return path != null && (path.equals(mp) || path.startsWith(prefix));
    }

    private static String readLink(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private ActionResult scsiFailure(String what, ScsiException e) {
        return switch (e.kind()) {
            case NOT_INSTALLED -> ActionResult.notInstalled(what + ": " + e.getMessage());
            case TIMEOUT -> ActionResult.timeout(Duration.ZERO).withReason(what + ": " + e.getMessage());
            case RESERVATION_CONFLICT -> ActionResult.failed(Severity.HARD, what + ": " + e.getMessage());
            default -> ActionResult.failed(what + ": " + e.getMessage());
        };
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "volume " + id + " (" + device + " on " + mountpoint + ", " + Durations.format(stopGrace) + " stop grace)";
    }
}
