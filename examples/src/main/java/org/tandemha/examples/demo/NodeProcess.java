package org.tandemha.examples.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One {@link DemoNode} JVM as the orchestrator sees it: started with the orchestrator's own class path, its stdout
 * parsed into events and command results, its stderr (the node's log) appended to a file.
 */
final class NodeProcess {
    /** A command's answer, with the status table lines if it was {@code status}. */
    record Result(boolean ok, String message, List<String> table) {
    }

    final String node;
    final Process process;
    final long pid;
    final Path log;
    private final Map<String, CompletableFuture<Result>> pending = new ConcurrentHashMap<>();
    private final Map<String, List<String>> tables = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch eof = new CountDownLatch(1);
    private volatile String fatal;
    private final OutputStream stdin;

    private NodeProcess(String node, Process process, Path log, Consumer<DemoLines.Event> events) {
        this.node = node;
        this.process = process;
        this.pid = process.pid();
        this.log = log;
        this.stdin = process.getOutputStream();
        Thread reader = new Thread(() -> read(events), "demo-read-" + node);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code java -cp CLASSPATH DemoNode config node stateDir}. */
    static NodeProcess start(String node, String classPath, Path config, Path stateDir, Path log,
                             Consumer<DemoLines.Event> events) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", classPath,
                // small, quick-starting JVMs: two of them share this machine with the orchestrator
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms32m", "-Xmx128m", "-Xss512k",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                DemoNode.class.getName(), config.toString(), node, stateDir.toString()));
        Files.createDirectories(stateDir);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.PIPE);
        return new NodeProcess(node, pb.start(), log, events);
    }

    private void read(Consumer<DemoLines.Event> events) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                long at = System.nanoTime();
                if (line.startsWith("EVENT\t")) {
                    DemoLines.Event e = DemoLines.parseEvent(line, at);
                    if (e != null) {
                        events.accept(e);
                    }
                } else if (line.startsWith("TABLE\t")) {
                    String[] f = line.split("\t", 3);
                    tables.computeIfAbsent(f[1], k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                            .add(f.length > 2 ? f[2] : "");
                } else if (line.startsWith("RESULT\t")) {
                    String[] f = line.split("\t", 4);
                    CompletableFuture<Result> r = pending.remove(f[1]);
                    List<String> t = tables.remove(f[1]);
                    if (r != null) {
                        r.complete(new Result(f.length > 2 && f[2].equals("ok"), f.length > 3 ? f[3] : "",
                                t == null ? List.of() : List.copyOf(t)));
                    }
                } else if (line.startsWith("READY\t")) {
                    ready.countDown();
                } else if (line.startsWith("FATAL\t")) {
                    fatal = line.substring(6);
                }
            }
        } catch (IOException e) {
            // the process is gone: EOF below
        } finally {
            eof.countDown();
            ready.countDown();
            pending.values().forEach(f -> f.complete(new Result(false, "node " + node + " exited", List.of())));
        }
    }

    /** Waits (bounded) until the node has started its engine; false if it exited or the time ran out. */
    boolean awaitReady(long timeoutMs) throws InterruptedException {
        return ready.await(timeoutMs, TimeUnit.MILLISECONDS) && eof.getCount() > 0;
    }

    /** Why it exited, if it said so. */
    String fatal() {
        return fatal;
    }

    boolean alive() {
        return process.isAlive() && eof.getCount() > 0;
    }

    /** Sends a command; the answer comes back when the node has carried it out. */
    CompletableFuture<Result> command(String command) {
        String id = Long.toString(ids.incrementAndGet());
        CompletableFuture<Result> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            synchronized (stdin) {
                stdin.write((id + " " + command + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            }
        } catch (IOException e) {
            pending.remove(id);
            f.complete(new Result(false, "node " + node + " does not take commands: " + e.getMessage(), List.of()));
        }
        if (eof.getCount() == 0) {
            pending.remove(id);
            f.complete(new Result(false, "node " + node + " exited", List.of()));
        }
        return f;
    }

    /** kill -9: SIGKILL by pid, then waits (bounded) for the process to be gone. */
    boolean kill9(long timeoutMs) throws InterruptedException {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** Asks the node to stop its groups and exit; SIGKILL if it has not within {@code timeoutMs}. */
    void stop(long timeoutMs) {
        try {
            if (process.isAlive()) {
                command("quit");
                try {
                    stdin.close();
                } catch (IOException ignored) {
                    // already gone
                }
                if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                    kill9(5_000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** The last {@code n} lines of the node's log, for a failure report. */
    List<String> logTail(int n) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - n), all.size());
        } catch (IOException e) {
            return List.of("(no log: " + e.getMessage() + ")");
        }
    }
}
