package org.tandemha.core.exec;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands with a deadline. Each command runs in a session and process group of its own ({@code setsid}),
 * so that a timeout kills the whole tree, children and grandchildren included, not only the first process.
 */
public final class CommandRunner {
    /** Lines of output kept for events. */
    public static final int TAIL_LINES = 20;
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Path RUNUSER = Path.of("/usr/sbin/runuser");

    private CommandRunner() {
    }

    /** Builds the argv that runs {@code command} in its own session, as its user. */
    static List<String> wrap(Command command) {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            argv.add(SETSID.toString());
        }
        if (command.user() != null && !command.user().isBlank()) {
            argv.add(RUNUSER.toString());
            argv.add("-u");
            argv.add(command.user());
            argv.add("--");
        }
        argv.addAll(command.argv());
        return argv;
    }

    /** Starts a command in its own process group, output appended to its log file (or discarded). */
    public static Process start(Command command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(wrap(command));
        pb.environment().putAll(command.environment());
        if (command.directory() != null) {
            pb.directory(command.directory().toFile());
        }
        pb.redirectErrorStream(true);
        if (command.logFile() != null) {
            Files.createDirectories(command.logFile().toAbsolutePath().getParent());
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(command.logFile().toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start();
    }

    /**
     * Runs a command to its end or its deadline. Never throws; a missing program is reported as such. Processes the
     * command left in its session after it exited are killed; see {@link #run(Command, Duration, boolean)}.
     */
    public static Execution run(Command command, Duration timeout) {
        return run(command, timeout, false);
    }

    /**
     * Runs a command to its end or its deadline. Never throws; a missing program is reported as such.
     *
     * @param keepChildren whether processes the command started and left behind survive its normal exit (a start
     *                     script that launches a daemon in the background); on timeout the whole tree is killed
     *                     either way. With {@code keepChildren}, give the command a log file: a temporary output
     *                     file would be deleted under the daemon.
     */
    public static Execution run(Command command, Duration timeout, boolean keepChildren) {
        long t0 = System.nanoTime();
        if (find(command.argv().get(0), command).isEmpty()) {
            return new Execution(command, 127, false, true, Duration.ZERO,
                    List.of(command.argv().get(0) + ": not found or not executable"));
        }
        Path out = command.logFile();
        boolean temp = out == null;
        long startOffset = 0;
        try {
            if (temp) {
                out = Files.createTempFile("tandem-cmd", ".log");
            } else if (Files.exists(out)) {
                startOffset = Files.size(out);
            }
            Command withLog = command.withLogFile(out);
            Process p;
            try {
                p = start(withLog);
            } catch (IOException e) {
                return new Execution(command, -1, false, true, Duration.ofNanos(System.nanoTime() - t0),
                        List.of(String.valueOf(e.getMessage())));
            }
            boolean exited = p.waitFor(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
            if (!exited) {
                killTree(p.pid());
                p.waitFor(5, TimeUnit.SECONDS);
            } else if (!keepChildren) {
                // The leader exited; children it left in its session go with it (principle 14).
                killTree(p.pid());
            }
            int code = exited ? p.exitValue() : -1;
            List<String> tail = tail(out, startOffset, TAIL_LINES);
            // setsid or runuser exit 126/127 when the program cannot be run
            boolean notFound = exited && (code == 127 || code == 126) && looksLikeNotFound(tail);
            // a timeout is reported as the time allowed ("timeout after 20 s"), not the few ms more the kill took
            Duration took = exited ? Duration.ofNanos(System.nanoTime() - t0) : timeout;
            return new Execution(command, code, !exited, notFound, took, tail);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Execution(command, -1, true, false, Duration.ofNanos(System.nanoTime() - t0), List.of("interrupted"));
        } catch (IOException e) {
            return new Execution(command, -1, false, true, Duration.ofNanos(System.nanoTime() - t0), List.of(String.valueOf(e.getMessage())));
        } finally {
            if (temp && out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    private static boolean looksLikeNotFound(List<String> tail) {
        return tail.stream().anyMatch(l -> l.contains("No such file") || l.contains("not found")
                || l.contains("Permission denied") || l.contains("cannot execute") || l.contains("failed to execute"));
    }

    /**
     * Kills a process, its process group, the members of its session (if it leads one) and every descendant still
     * known, with SIGKILL; waits up to 2 s for them to be gone.
     */
    public static void killTree(long pid) {
        List<ProcessHandle> descendants = ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of());
        Posix.killGroup(pid, Posix.SIGKILL);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        descendants.forEach(ProcessHandle::destroyForcibly);
        ProcessTree.terminate(pid, 0, System.nanoTime() + 2_000_000_000L);
    }

    /**
     * Finds the program a command runs: a path (relative to the command's directory) that is an executable file, or
     * a bare name searched in the command's {@code PATH} (or this JVM's).
     */
    public static java.util.Optional<Path> find(String program, Command command) {
        if (program == null || program.isEmpty()) {
            return java.util.Optional.empty();
        }
        if (program.contains("/")) {
            Path p = Path.of(program);
            if (!p.isAbsolute() && command != null && command.directory() != null) {
                p = command.directory().resolve(p);
            }
            return Files.isRegularFile(p) && Files.isExecutable(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        }
        String path = command != null && command.environment().containsKey("PATH") ? command.environment().get("PATH")
                : System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return java.util.Optional.of(p);
            }
        }
        return java.util.Optional.empty();
    }

    /** The last {@code lines} lines of a file (at most 64 KiB read); empty if it cannot be read. */
    public static List<String> tail(Path file, int lines) {
        return tail(file, 0, lines);
    }

    /** The last {@code lines} lines of a file from {@code offset}, at most 64 KiB read. */
    static List<String> tail(Path file, long offset, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(offset, len - 65536);
            byte[] buf = new byte[(int) (len - from)];
            raf.seek(from);
            raf.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8);
            Deque<String> q = new ArrayDeque<>();
            for (String l : text.split("\n", -1)) {
                if (!l.isEmpty()) {
                    q.addLast(l.length() > 500 ? l.substring(0, 500) + "..." : l);
                    if (q.size() > lines) {
                        q.removeFirst();
                    }
                }
            }
            return List.copyOf(q);
        } catch (IOException e) {
            return List.of();
        }
    }
}
