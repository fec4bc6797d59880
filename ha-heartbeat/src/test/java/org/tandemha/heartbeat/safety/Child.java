package org.tandemha.heartbeat.safety;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A child JVM, run inside a network namespace, and the lines it prints (bounded waits only). */
final class Child implements AutoCloseable {
    final String name;
    final Process process;
    private final List<String> lines = new ArrayList<>();

    Child(String name, String netns, Path log, Class<?> main, List<String> args) throws IOException {
        this.name = name;
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", netns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", System.getProperty("java.class.path"), main.getName()));
        argv.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(s);
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, "child-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    void command(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    int mark() {
        synchronized (lines) {
            return lines.size();
        }
    }

    List<String> all() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    List<String> since(int from) {
        List<String> a = all();
        return a.subList(Math.min(from, a.size()), a.size());
    }

    /** Waits (bounded) for a line matching {@code p} at index {@code from} or later. */
    String await(Predicate<String> p, int from, long timeoutMs, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (lines) {
            int i = from;
            while (true) {
                for (; i < lines.size(); i++) {
                    String l = lines.get(i);
                    if (l.startsWith("ERROR")) {
                        throw new AssertionError(name + " failed: " + l);
                    }
                    if (p.test(l)) {
                        return l;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(name + ": timed out after " + timeoutMs + " ms waiting for " + what
                            + "; it printed:\n  " + String.join("\n  ", lines)
                            + (process.isAlive() ? "" : "\n(exited " + process.exitValue() + ")"));
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** kill -9 of the JVM by its PID ({@code ip netns exec} execs java, so the process is the JVM). */
    void kill9() throws InterruptedException {
        ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroyForcibly);
        process.waitFor(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
