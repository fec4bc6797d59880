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

    /** Runs a command to its end or its deadline. Never throws; a missing program is reported as such. */
    public static Execution run(Command command, Duration timeout) {
        long t0 = System.nanoTime();
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
            } else {
                // The leader exited; children it left in its group go with it (principle 14).
                Posix.killGroup(p.pid(), Posix.SIGKILL);
            }
            int code = exited ? p.exitValue() : -1;
            List<String> tail = tail(out, startOffset, TAIL_LINES);
            // setsid or runuser exit 126/127 when the program cannot be run
            boolean notFound = exited && (code == 127 || code == 126) && looksLikeNotFound(tail);
            return new Execution(command, code, !exited, notFound, Duration.ofNanos(System.nanoTime() - t0), tail);
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

    /** Kills a process, its process group and every descendant still known, with SIGKILL. */
    public static void killTree(long pid) {
        List<ProcessHandle> descendants = ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of());
        Posix.killGroup(pid, Posix.SIGKILL);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        descendants.forEach(ProcessHandle::destroyForcibly);
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
