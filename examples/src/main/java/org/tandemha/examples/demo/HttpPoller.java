package org.tandemha.examples.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks the service on every node's port, in turn, every 10 ms, as a client would, and keeps every answer. From that
 * record it tells when a node first answered after a moment (failover and switchover times), and whether the service
 * ever answered on two nodes at once: answers x, y, x in a row, with the same body from x both times (the same
 * running instance), prove that y answered while x was serving.
 */
final class HttpPoller implements AutoCloseable {
    static final long PERIOD_MS = 10;

    /** One answer (or none: {@code body == null}). */
    record Poll(int node, long atNanos, String body) {
    }

    private final String host;
    private final int[] ports;
    private final List<Poll> polls = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stop;

    HttpPoller(String host, int[] ports) {
        this.host = host;
        this.ports = ports.clone();
        this.thread = new Thread(this::run, "demo-http-poller");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long next = System.nanoTime();
        while (!stop) {
            for (int i = 0; i < ports.length && !stop; i++) {
                String body;
                try {
                    DemoHttpService.Answer a = DemoHttpService.get(host, ports[i], "/", Duration.ofMillis(500));
                    body = a.code() == 200 ? a.body() : null;
                } catch (IOException | RuntimeException e) {
                    body = null;
                }
                Poll p = new Poll(i, System.nanoTime(), body);
                synchronized (polls) {
                    polls.add(p);
                    polls.notifyAll();
                }
            }
            next += PERIOD_MS * 1_000_000;
            long sleep = next - System.nanoTime();
            if (sleep < 0) {
                next = System.nanoTime(); // fell behind (a busy machine): no catch-up burst
            } else {
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** The last answer of {@code node}'s port, or {@code null} if it has not answered yet. */
    Poll last(int node) {
        synchronized (polls) {
            for (int i = polls.size() - 1; i >= 0; i--) {
                if (polls.get(i).node() == node) {
                    return polls.get(i);
                }
            }
        }
        return null;
    }

    /**
     * Waits (bounded) for the first answer from {@code node}'s port after {@code afterNanos} whose body contains
     * {@code expect}; {@code null} if none came within {@code timeoutMs}.
     */
    Poll awaitAnswer(int node, String expect, long afterNanos, long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        int from = 0;
        synchronized (polls) {
            while (true) {
                for (int i = from; i < polls.size(); i++) {
                    Poll p = polls.get(i);
                    if (p.node() == node && p.atNanos() > afterNanos && p.body() != null && p.body().contains(expect)) {
                        return p;
                    }
                }
                from = polls.size();
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                polls.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Every moment the service answered on two nodes at once, as a readable sentence each; empty if never. */
    List<String> overlaps() {
        List<String> out = new ArrayList<>();
        synchronized (polls) {
            for (int i = 2; i < polls.size(); i++) {
                Poll a = polls.get(i - 2);
                Poll b = polls.get(i - 1);
                Poll c = polls.get(i);
                if (a.body() != null && b.body() != null && c.body() != null && a.node() == c.node() && a.node() != b.node()
                        && a.body().equals(c.body())) {
                    out.add("'" + b.body() + "' answered while '" + a.body() + "' was serving");
                }
            }
        }
        return out;
    }

    /** How many requests were made. */
    int count() {
        synchronized (polls) {
            return polls.size();
        }
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
