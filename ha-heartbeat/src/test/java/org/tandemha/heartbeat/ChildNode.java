package org.tandemha.heartbeat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A {@link NodeMain} child JVM, optionally inside a network namespace, and the lines it prints. */
final class ChildNode implements AutoCloseable {
    record Line(String text, long atNanos) {
    }

    final Process process;
    private final Writer stdin;
    private final List<Line> lines = new ArrayList<>();

    ChildNode(String netns, Path log, String local, List<String> specs) throws IOException {
        List<String> argv = new ArrayList<>();
        if (netns != null) {
            argv.addAll(List.of("ip", "netns", "exec", netns));
        }
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), local));
        argv.addAll(specs);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    long now = System.nanoTime();
                    synchronized (lines) {
                        lines.add(new Line(s, now));
                        lines.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, "child-" + local);
        reader.setDaemon(true);
        reader.start();
    }

    void command(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** The number of lines printed so far: pass it to {@link #await} to wait for what comes after an action. */
    int mark() {
        synchronized (lines) {
            return lines.size();
        }
    }

    /** Every line printed so far. */
    List<String> all() {
        synchronized (lines) {
            return lines.stream().map(Line::text).toList();
        }
    }

    /** Waits (bounded) for a line matching {@code p} printed at index {@code from} or later. */
    Line await(Predicate<String> p, int from, long timeoutMs, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (lines) {
            int i = from;
            while (true) {
                for (; i < lines.size(); i++) {
                    Line l = lines.get(i);
                    if (l.text().startsWith("ERROR")) {
                        throw new AssertionError("child failed: " + l.text());
                    }
                    if (p.test(l.text())) {
                        return l;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what + "; child printed: "
                            + all() + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")"));
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /** Lines starting with {@code prefix} printed at index {@code from} or later. */
    long count(String prefix, int from) {
        List<String> a = all();
        return a.subList(Math.min(from, a.size()), a.size()).stream().filter(s -> s.startsWith(prefix)).count();
    }

    /** kill -9 */
    void kill() {
        process.destroyForcibly();
    }

    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
