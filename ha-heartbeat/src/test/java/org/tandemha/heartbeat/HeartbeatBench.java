package org.tandemha.heartbeat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The heartbeat benchmark (examples/bench/run.sh heartbeat). Prints figures; asserts nothing.
 *
 * <ol>
 *   <li>Detection: a peer in its own JVM (a {@link NodeMain} child) and this node, two UDP paths on loopback,
 *       interval 100 ms, 3 misses. The peer is killed with SIGKILL at a random phase of the interval; the time from
 *       the kill to this node's event is measured, per trial, to the last path-down event (= peer unreachable).</li>
 *   <li>CPU and allocation of the heartbeat thread in the steady state at 2 paths, from the JVM's per-thread CPU and
 *       allocation counters, per heartbeat sent or received.</li>
 * </ol>
 */
public final class HeartbeatBench {
    static final int INTERVAL = 100;
    static final int MISSES = 3;

    private HeartbeatBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("hog")) {
            int trials = args.length > 1 ? Integer.parseInt(args[1]) : 50;
            Path logs = Files.createTempDirectory("tandem-hb-bench");
            hog(logs, trials);
            return;
        }
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int steadySeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int hogTrials = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Path logs = Files.createTempDirectory("tandem-hb-bench");
        long[] detection = new long[trials];
        long[] firstDown = new long[trials];
        for (int t = 0; t < trials; t++) {
            try (Pair p = new Pair(logs)) {
                p.awaitUp();
                Thread.sleep(ThreadLocalRandom.current().nextInt(INTERVAL)); // random phase of the interval
                long killedAt = System.nanoTime();
                p.peer.kill();
                TestNodes.Event gone = p.events.await(e -> e.kind().equals("unreachable"), 10_000, "peer unreachable");
                TestNodes.Event first;
                synchronized (p.events.all) {
                    first = p.events.all.stream().filter(e -> e.kind().equals("down") && e.atNanos() >= killedAt)
                            .findFirst().orElse(gone);
                }
                detection[t] = gone.atNanos() - killedAt;
                firstDown[t] = first.atNanos() - killedAt;
            }
        }
        Arrays.sort(detection);
        Arrays.sort(firstDown);
        System.out.printf(Locale.ROOT, "heartbeat detection ms: p50=%d p99=%d max=%d%n", ms(pct(detection, 50)),
                ms(pct(detection, 99)), ms(detection[trials - 1]));
        System.out.printf(Locale.ROOT, "  (interval %d ms x %d misses, 2 UDP paths on loopback, %d trials, kill -9 of the peer "
                        + "JVM to the last path-down event; first path down: p50=%d p99=%d max=%d; bound %d ms)%n",
                INTERVAL, MISSES, trials, ms(pct(firstDown, 50)), ms(pct(firstDown, 99)), ms(firstDown[trials - 1]),
                INTERVAL * MISSES + 50);

        try (Pair p = new Pair(logs)) {
            p.awaitUp();
            Thread.sleep(3000); // warm-up
            Thread hb = Thread.getAllStackTraces().keySet().stream()
                    .filter(th -> th.getName().startsWith("tandem-heartbeat-node1")).findFirst().orElseThrow();
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            mx.setThreadAllocatedMemoryEnabled(true);
            long id = hb.getId();
            long cpu0 = mx.getThreadCpuTime(id);
            long alloc0 = mx.getThreadAllocatedBytes(id);
            long beats0 = p.local.heartbeatsSent() + p.local.heartbeatsReceived();
            long t0 = System.nanoTime();
            Thread.sleep(steadySeconds * 1000L);
            long cpu1 = mx.getThreadCpuTime(id);
            long alloc1 = mx.getThreadAllocatedBytes(id);
            long beats1 = p.local.heartbeatsSent() + p.local.heartbeatsReceived();
            long wall = System.nanoTime() - t0;
            long beats = beats1 - beats0;
            System.out.printf(Locale.ROOT, "heartbeat cpu: %.2f%% of one core at 2 paths%n", 100.0 * (cpu1 - cpu0) / wall);
            System.out.printf(Locale.ROOT, "heartbeat alloc: %d bytes per heartbeat%n", beats == 0 ? -1 : (alloc1 - alloc0) / beats);
            System.out.printf(Locale.ROOT, "  (heartbeat thread over %d s: %d heartbeats sent and received, %d bytes allocated; "
                            + "%s transport)%n", steadySeconds, beats, alloc1 - alloc0, PathRuntime.EPOLL ? "epoll" : "NIO");
        }
        if (hogTrials > 0) {
            hog(logs, hogTrials);
        }
    }

    /** For kill(2): SIGSTOP and SIGCONT of the peer JVM, without spawning a process at the moment measured. */
    interface Signals extends com.sun.jna.Library {
        int kill(int pid, int sig);
    }

    static final int SIGCONT = 18;
    static final int SIGSTOP = 19;

    /**
     * Detection under a CPU hog on every core: one busy-loop process per core (bash {@code while :; do :; done}, normal
     * priority, started and stopped by PID), then per trial the peer JVM is frozen (SIGSTOP: its heartbeats stop) at a
     * random phase of the interval, the time to this node's "unreachable" event is measured, and the peer is thawed
     * (SIGCONT) and heard again before the next trial. Once without the realtime settings, once with
     * {@code realtime: {priority: 10, policy: rr, lockMemory: true}} on both nodes.
     */
    static void hog(Path logs, int trials) throws Exception {
        Signals sig = com.sun.jna.Native.load("c", Signals.class);
        int cores = Runtime.getRuntime().availableProcessors();
        double load0 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        for (boolean rt : new boolean[] {false, true}) {
            List<Process> hogs = new ArrayList<>();
            try (Pair p = new Pair(logs, rt ? "realtime:10:rr:true" : null)) {
                p.awaitUp();
                int policy = p.local.heartbeatThreadPolicy();
                if (rt && policy != RealTime.SCHED_RR) {
                    System.out.printf(Locale.ROOT, "detection under cpu hog: rt=on not permitted here (heartbeat thread policy"
                            + " %d, not SCHED_RR; run as root or with CAP_SYS_NICE): skipped%n", policy);
                    continue;
                }
                for (int i = 0; i < cores; i++) {
                    hogs.add(new ProcessBuilder("bash", "-c", "while :; do :; done").redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
                }
                Thread.sleep(2000); // the hogs run; the paths must still be up
                p.awaitPathsUp();
                int pid = (int) p.peer.process.pid();
                long[] d = new long[trials];
                long worstSignal = 0;
                int falseDown = 0;
                for (int t = 0; t < trials; t++) {
                    Thread.sleep(200 + ThreadLocalRandom.current().nextInt(INTERVAL)); // random phase of the interval
                    int from;
                    synchronized (p.events.all) {
                        from = p.events.all.size();
                    }
                    long stoppedAt = System.nanoTime();
                    sig.kill(pid, SIGSTOP);
                    worstSignal = Math.max(worstSignal, System.nanoTime() - stoppedAt);
                    TestNodes.Event gone = p.events.await(e -> e.kind().equals("unreachable") && e.atNanos() >= stoppedAt,
                            10_000, "peer unreachable");
                    d[t] = gone.atNanos() - stoppedAt;
                    synchronized (p.events.all) {
                        for (TestNodes.Event e : p.events.all.subList(from, p.events.all.size())) {
                            if (e.kind().equals("down") && e.atNanos() < stoppedAt) {
                                falseDown++;
                            }
                        }
                    }
                    sig.kill(pid, SIGCONT);
                    p.events.await(e -> e.kind().equals("reachable") && e.atNanos() > gone.atNanos(), 10_000, "peer heard again");
                    p.awaitPathsUp();
                }
                Arrays.sort(d);
                System.out.printf(Locale.ROOT, "detection under cpu hog: interval=%dms misses=%d rt=%s p50=%d p99=%d max=%d "
                                + "(target p99 <= %d ms)%n", INTERVAL, MISSES, rt ? "on" : "off", ms(pct(d, 50)), ms(pct(d, 99)),
                        ms(d[trials - 1]), INTERVAL * MISSES + 20);
                System.out.printf(Locale.ROOT, "  (%d trials, %d busy-loop processes at normal priority, heartbeats stopped by"
                                + " SIGSTOP of the peer JVM to this node's 'unreachable' event; %s; paths down before a stop: %d;"
                                + " slowest kill(2) %.2f ms; load average %.2f at start, %.2f now)%n", trials, hogs.size(),
                        rt ? "realtime {priority: 10, policy: rr, lockMemory: true} on both nodes" : "normal scheduling",
                        falseDown, worstSignal / 1e6, load0, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            } finally {
                for (Process h : hogs) {
                    h.destroyForcibly(); // SIGKILL by PID
                }
                for (Process h : hogs) {
                    h.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
    }

    private static long pct(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static long ms(long nanos) {
        return Math.round(nanos / 1e6);
    }

    /** This node in-process, its peer in a child JVM, two UDP paths on loopback. */
    static final class Pair implements AutoCloseable {
        final HeartbeatMembership local;
        final ChildNode peer;
        final TestNodes.Recorder events = new TestNodes.Recorder();

        Pair(Path logs) throws Exception {
            this(logs, null);
        }

        /** With {@code extra}, a further spec for both nodes (such as {@code realtime:10:rr:true}). */
        Pair(Path logs, String extra) throws Exception {
            int a1 = TestNodes.freePort();
            int a2 = TestNodes.freePort();
            int b1 = TestNodes.freePort();
            int b2 = TestNodes.freePort();
            List<String> specs = new ArrayList<>(List.of(
                    "path:heartbeat:udp:1:" + INTERVAL + ":" + MISSES, "path:public:udp:2:" + INTERVAL + ":" + MISSES,
                    "node:node1:heartbeat@127.0.0.1:" + a1 + ",public@127.0.0.1:" + a2,
                    "node:node2:heartbeat@127.0.0.1:" + b1 + ",public@127.0.0.1:" + b2));
            if (extra != null) {
                specs.add(extra);
            }
            peer = new ChildNode(null, logs.resolve("peer.log"), "node2", specs);
            local = (HeartbeatMembership) new HeartbeatMembershipFactory().create(TestNodes.parse("node1", specs),
                    TestNodes.context("node1"));
            local.start(events);
        }

        void awaitUp() throws InterruptedException {
            peer.await(s -> s.startsWith("REACHABLE node1"), 0, 30_000, "peer hears us");
            events.await(e -> e.kind().equals("reachable"), 30_000, "we hear the peer");
            awaitPathsUp();
        }

        void awaitPathsUp() throws InterruptedException {
            long end = System.nanoTime() + 10_000_000_000L;
            while (local.paths().stream().anyMatch(s -> s.state() != org.tandemha.api.PathState.UP)) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("paths not up: " + local.paths());
                }
                Thread.sleep(10);
            }
        }

        @Override
        public void close() {
            local.close();
            peer.kill();
            peer.close();
        }
    }
}
