package org.tandemha.db;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tandemha.api.ActionContext;
import org.tandemha.core.exec.Posix;

/** Facts about local processes from /proc, and a few bounded waits. Linux only. */
final class Procs {
    static final int SIGINT = 2;
    static final int SIGQUIT = 3;

    private Procs() {
    }

    /** The one-letter state of a process (R, S, D, T, Z...), or empty if it does not exist. */
    static Optional<Character> state(long pid) {
        if (pid <= 1) {
            return Optional.empty();
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            int close = stat.lastIndexOf(')');
            if (close < 0 || close + 2 >= stat.length()) {
                return Optional.empty();
            }
            return Optional.of(stat.charAt(close + 2));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether a process exists and is not a zombie (a zombie is dead, only not yet reaped by its parent). */
    static boolean alive(long pid) {
        Optional<Character> s = state(pid);
        if (s.isEmpty()) {
            return false;
        }
        if (s.get() != 'Z' && s.get() != 'X') {
            return true;
        }
        // the leader of a multi-threaded process shows Z while its other threads still exit (and hold its sockets)
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.count() > 1;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether the process is stopped by a signal (SIGSTOP) or traced. */
    static boolean stopped(long pid) {
        Optional<Character> s = state(pid);
        return s.isPresent() && (s.get() == 'T' || s.get() == 't');
    }

    /** The arguments of a process, empty if unknown. */
    static List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> out = new ArrayList<>();
            int from = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    out.add(new String(raw, from, i - from, StandardCharsets.UTF_8));
                    from = i + 1;
                }
            }
            if (from < raw.length) {
                out.add(new String(raw, from, raw.length - from, StandardCharsets.UTF_8));
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The short program name (comm) of a process, empty if unknown. */
    static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm"), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** The working directory of a process, if readable. */
    static Optional<Path> cwd(long pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** The real path of a directory, or its absolute normal form when it cannot be resolved. */
    static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /**
     * Live processes here whose program name starts with {@code commPrefix} and whose working directory is
     * {@code dir} (a server's processes chdir to their data directory).
     */
    static List<Long> findByCwd(Path dir, String commPrefix) {
        Path want = real(dir);
        List<Long> out = new ArrayList<>();
        try (var entries = Files.newDirectoryStream(Path.of("/proc"), e -> e.getFileName().toString().matches("\\d+"))) {
            int seen = 0;
            for (Path e : entries) {
                if (++seen > 100_000) {
                    break;
                }
                long pid = Long.parseLong(e.getFileName().toString());
                if (comm(pid).startsWith(commPrefix) && alive(pid) && cwd(pid).map(want::equals).orElse(false)) {
                    out.add(pid);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort
        }
        return out;
    }

    /** Reads the first line of a pid file as a pid; -1 if absent or unreadable. */
    static long readPid(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return -1;
            }
            return Long.parseLong(lines.get(0).trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return -1;
        }
    }

    /**
     * Waits (polling, bounded by {@code maxWaitNanos} and the context's deadline) until the process is gone.
     *
     * @return whether it is gone
     */
    static boolean waitGone(long pid, long maxWaitNanos, ActionContext context) {
        long until = Math.min(System.nanoTime() + Math.max(0, maxWaitNanos), context.deadlineNanos());
        while (alive(pid)) {
            if (System.nanoTime() - until >= 0) {
                return !alive(pid);
            }
            sleepQuietly(20);
        }
        return true;
    }

    /** Kills a process and its whole process group with SIGKILL, then waits briefly (bounded) for it to go. */
    static boolean killHard(long pid, ActionContext context) {
        long pgid = Posix.processGroup(pid);
        Posix.kill(pid, Posix.SIGKILL);
        if (pgid == pid) {
            Posix.killGroup(pgid, Posix.SIGKILL);
        }
        // SIGKILL is not refused, but the kernel takes a moment to tear a large process down
        long now = System.nanoTime();
        long until = Math.min(now + 2_000_000_000L, Math.max(context.deadlineNanos(), now + 200_000_000L));
        while (alive(pid) && System.nanoTime() - until < 0) {
            sleepQuietly(10);
        }
        return !alive(pid);
    }

    /** Whether some process listens on a TCP port here (a bind to the wildcard address fails). */
    static boolean portInUse(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Whether the port stays in use for a short, bounded while (a server killed a moment ago may still be
     * releasing it).
     */
    static boolean portBusy(int port, ActionContext context) {
        long until = System.nanoTime() + Math.min(2_000_000_000L, context.remaining().toNanos() / 4);
        while (portInUse(port)) {
            if (System.nanoTime() - until >= 0) {
                return true;
            }
            sleepQuietly(50);
        }
        return false;
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
