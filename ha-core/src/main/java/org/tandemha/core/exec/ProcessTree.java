package org.tandemha.core.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * The processes a command left behind, read from {@code /proc}: the members of its session (a command started by
 * {@link CommandRunner} is a session leader, so its pid is its session id), and its descendants. Used to kill a whole
 * tree, including children that moved to a process group of their own, and to recognise a process after a restart of
 * this JVM (pid plus start time plus boot id, so a reused pid is never mistaken for ours).
 */
public final class ProcessTree {
    private static final Path PROC = Path.of("/proc");

    private ProcessTree() {
    }

    /** The fields of {@code /proc/<pid>/stat} we use. */
    record Stat(long pid, char state, long ppid, long pgrp, long session, long startTicks) {
        boolean live() {
            return state != 'Z' && state != 'X';
        }
    }

    static Optional<Stat> stat(long pid) {
        try {
            String s = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
            int close = s.lastIndexOf(')');
            if (close < 0) {
                return Optional.empty();
            }
            String[] f = s.substring(close + 2).trim().split(" +");
            // after "(comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
            // cutime cstime priority nice num_threads itrealvalue starttime
            return Optional.of(new Stat(pid, f[0].charAt(0), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    Long.parseLong(f[3]), Long.parseLong(f[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether the process exists and is not a zombie. */
    public static boolean alive(long pid) {
        return pid > 0 && stat(pid).map(Stat::live).orElse(false);
    }

    /** The process state letter from {@code /proc} (R, S, D, T, Z...), or '?' if it does not exist. */
    public static char state(long pid) {
        return stat(pid).map(Stat::state).orElse('?');
    }

    /** The start time of a process in clock ticks since boot, or -1 if it does not exist. */
    public static long startTicks(long pid) {
        return stat(pid).map(Stat::startTicks).orElse(-1L);
    }

    /** The session of a process, or -1. */
    public static long session(long pid) {
        return stat(pid).map(Stat::session).orElse(-1L);
    }

    /** This boot's id ({@code /proc/sys/kernel/random/boot_id}), or "" if unknown. */
    public static String bootId() {
        try {
            return Files.readString(PROC.resolve("sys/kernel/random/boot_id")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** The command line of a process, arguments separated by spaces; empty if it does not exist. */
    public static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Every live process whose session is {@code sid}. Empty for {@code sid <= 1}. */
    public static Set<Long> sessionMembers(long sid) {
        Set<Long> out = new LinkedHashSet<>();
        if (sid <= 1) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(name);
                } catch (NumberFormatException e) {
                    continue;
                }
                stat(pid).filter(s -> s.session() == sid && s.live()).ifPresent(s -> out.add(pid));
            }
        } catch (IOException e) {
            // /proc unreadable: nothing to report
        }
        return out;
    }

    /**
     * The live processes of the tree of {@code leader}: itself, its descendants, and the members of its session if it
     * leads one.
     */
    public static Set<Long> tree(long leader) {
        Set<Long> out = new LinkedHashSet<>();
        if (leader <= 1) {
            return out;
        }
        if (alive(leader)) {
            out.add(leader);
        }
        ProcessHandle.of(leader).ifPresent(h -> h.descendants().forEach(d -> out.add(d.pid())));
        if (session(leader) == leader || !alive(leader)) {
            out.addAll(sessionMembers(leader));
        }
        out.removeIf(pid -> !alive(pid));
        return out;
    }

    /** Sends a signal to the process group {@code group} (if above 1) and to each listed process. */
    public static void signal(long group, Collection<Long> pids, int signal) {
        if (group > 1) {
            Posix.killGroup(group, signal);
        }
        for (long pid : pids) {
            if (pid > 1 && pid != ProcessHandle.current().pid()) {
                Posix.kill(pid, signal);
            }
        }
    }

    /** The processes of {@code pids} still alive, plus any live member of session {@code sid}. */
    public static Set<Long> survivors(long sid, Collection<Long> pids) {
        Set<Long> out = new LinkedHashSet<>();
        for (long pid : pids) {
            if (alive(pid)) {
                out.add(pid);
            }
        }
        out.addAll(sessionMembers(sid));
        return out;
    }

    /**
     * Waits until every process of {@code pids} and of session {@code sid} is gone, at most until {@code deadlineNanos}
     * ({@link System#nanoTime()} scale). Returns the survivors (empty when all are gone).
     */
    public static Set<Long> awaitGone(long sid, Collection<Long> pids, long deadlineNanos) {
        long pause = 2_000_000L;
        while (true) {
            Set<Long> left = survivors(sid, pids);
            if (left.isEmpty() || deadlineNanos - System.nanoTime() <= 0) {
                return left;
            }
            LockSupport.parkNanos(Math.min(pause, Math.max(0, deadlineNanos - System.nanoTime())));
            pause = Math.min(pause * 2, 50_000_000L);
        }
    }

    /**
     * Kills a tree: SIGTERM to the group, session and descendants, up to {@code grace} to exit, then SIGKILL, then up
     * to {@code deadlineNanos} until all are gone. Returns the pids still alive (empty on success).
     */
    public static Set<Long> terminate(long leader, long grace, long deadlineNanos) {
        Set<Long> pids = new LinkedHashSet<>(tree(leader));
        long group = Posix.processGroup(leader) == leader || !alive(leader) ? leader : -1;
        long sid = session(leader) == leader || !alive(leader) ? leader : -1;
        if (pids.isEmpty() && survivors(sid, pids).isEmpty()) {
            return Set.of();
        }
        if (grace > 0) {
            signal(group, pids, Posix.SIGTERM);
            // a stopped process cannot act on SIGTERM until continued
            signal(group, pids, Posix.SIGCONT);
            long graceEnd = System.nanoTime() + grace;
            long until = deadlineNanos - graceEnd < 0 ? deadlineNanos : graceEnd;
            Set<Long> left = awaitGone(sid, pids, until);
            if (left.isEmpty()) {
                return left;
            }
            pids.addAll(left);
        }
        // descendants may have forked while we waited: collect again, then kill
        for (int round = 0; round < 5; round++) {
            Set<Long> more = new LinkedHashSet<>(pids);
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> more.add(d.pid())));
            }
            more.addAll(sessionMembers(sid));
            pids = more;
            signal(group, pids, Posix.SIGKILL);
            long until = System.nanoTime() + 200_000_000L;
            Set<Long> left = awaitGone(sid, pids, until - deadlineNanos > 0 ? deadlineNanos : until);
            if (left.isEmpty() || deadlineNanos - System.nanoTime() <= 0) {
                return left;
            }
        }
        return awaitGone(sid, pids, deadlineNanos);
    }
}
