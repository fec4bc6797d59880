package org.tandemha.core.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupState;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.NodeContext;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * One node with 1,000 resources (100 groups of 10), trivial in-process checks, quick check every 1 s, deep check
 * every 10 s, plus one resource whose quick and deep checks always hang until their timeout; for a while; prints
 * check jitter (how far each quick check of a trivial resource ran from its 1 s rhythm), CPU and heap. Then the
 * same with {@code realtime: {checkPriority: 5}} (the engine's and the check threads at SCHED_RR 5; needs root or
 * CAP_SYS_NICE), then with 10,000 resources (1,000 groups of 10). Run through {@code examples/bench/run.sh core}:
 * <pre>
 * CoreBench [seconds=60] [resources=1000] [seconds at 10,000 resources=20 (0: skip)] [seconds with realtime=seconds (0: skip)]
 * </pre>
 */
public final class CoreBench {
    private static final ConcurrentHashMap<String, Long> LAST = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<Long> JITTER_US = new ConcurrentLinkedQueue<>();
    private static volatile boolean measuring;
    /** How late a plain thread of this JVM wakes from a timed park (every 10 ms), in µs: the floor under load. */
    private static final ConcurrentLinkedQueue<Long> WAKE_US = new ConcurrentLinkedQueue<>();
    private static final java.util.concurrent.atomic.AtomicInteger HUNG = new java.util.concurrent.atomic.AtomicInteger();

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int resources = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int bigSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int rtSeconds = args.length > 3 ? Integer.parseInt(args[3]) : seconds;
        if (seconds > 0) {
            run(seconds, resources, "core checks");
        }
        if (rtSeconds > 0) {
            run(rtSeconds, resources, "core checks rt");
        }
        if (bigSeconds > 0) {
            run(bigSeconds, 10_000, "core checks 10k");
        }
    }

    private static void run(int seconds, int resources, String label) throws Exception {
        LAST.clear();
        JITTER_US.clear();
        WAKE_US.clear();
        HUNG.set(0);
        int perGroup = 10;
        int groups = (resources + perGroup - 1) / perGroup;
        StringBuilder cfg = new StringBuilder("""
                cluster: bench
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes: [{id: node1}, {id: node2}]
                paths: [{name: memory, transport: memory}]
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 1s}
                """);
        if (label.endsWith(" rt")) {
            cfg.append("realtime: {checkPriority: 5}\n");
        }
        cfg.append("groups:\n");
        for (int g = 0; g < groups; g++) {
            cfg.append("  - id: g").append(g).append("\n    nodes: [node1, node2]\n    resources:\n");
            for (int r = 0; r < perGroup; r++) {
                cfg.append("      - {id: r").append(g).append('_').append(r).append(", type: bench-trivial,")
                        .append(" quickCheck: {interval: 1s, timeout: 1s}, deepCheck: {interval: 10s, timeout: 2s}}\n");
            }
        }
        // one resource whose checks always hang until their timeout (and are interrupted then)
        // (recovered in place for ever: the group stays here, its checks keep hanging)
        cfg.append("  - id: slow\n    nodes: [node1, node2]\n    recovery: {maxAttempts: 1000, window: 1s}\n    resources:\n")
                .append("      - {id: hang, type: bench-trivial, quickCheck: {interval: 1s, timeout: 1s},")
                .append(" deepCheck: {interval: 10s, timeout: 2s}}\n");
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            // a state directory of its own: another run of this benchmark on the machine must not share its lock
            java.nio.file.Path state = java.nio.file.Files.createTempDirectory("tandem-core-bench");
            ClusterNode node = Tandem.builder().configText(cfg.toString(), true).localNode("node1").stateDirectory(state)
                    .membership(net.member("node1")).resourceType(new Trivial()).build();
            long started = System.nanoTime();
            node.start();
            long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (node.status().groups().stream().anyMatch(g -> g.localState() != GroupState.ONLINE)) {
                if (System.nanoTime() > end) {
                    long up = node.status().groups().stream().filter(g -> g.localState() == GroupState.ONLINE).count();
                    System.out.printf(Locale.ROOT, "%s: resources=%d FAILED: %d of %d groups online after 120 s;"
                            + " load average %.2f%n", label, resources, up, groups + 1,
                            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                    node.close();
                    deleteTree(state);
                    return;
                }
                Thread.sleep(100);
            }
            long online = System.nanoTime() - started;
            // let the check rhythm settle and the JIT compile the hot paths (a node runs for months): the C2 compiler
            // still takes 1-11% of a core 10-25 s after the start (the hanging resource's recovery, deep checks and
            // journal segments come round only every few seconds), ~0.4% after 40 s; -Dbench.settle=SECONDS
            Thread.sleep(Long.getLong("bench.settle", 30) * 1000L);
            System.gc();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            var threads = ManagementFactory.getThreadMXBean();
            java.util.Map<Long, Long> threadCpu0 = new java.util.HashMap<>();
            for (long id : threads.getAllThreadIds()) {
                threadCpu0.put(id, threads.getThreadCpuTime(id));
            }
            Thread probe = new Thread(() -> {
                long next = System.nanoTime();
                while (!Thread.currentThread().isInterrupted()) {
                    next += 10_000_000L;
                    long w;
                    while ((w = next - System.nanoTime()) > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(w);
                        if (Thread.currentThread().isInterrupted()) {
                            return;
                        }
                    }
                    long late = System.nanoTime() - next;
                    if (measuring) {
                        WAKE_US.add(late / 1000);
                    }
                    if (late > 10_000_000L) {
                        next = System.nanoTime(); // do not catch up in a burst
                    }
                }
            }, "bench-wake-probe");
            probe.setDaemon(true);
            probe.start();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            measuring = true;
            Thread.sleep(seconds * 1000L);
            measuring = false;
            // the probe is the bench's instrument (100 wake-ups a second), not the node's: its CPU is not counted
            long probeCpu = Math.max(0, threads.getThreadCpuTime(probe.getId()));
            long cpu = os.getProcessCpuTime() - cpu0 - probeCpu;
            long wall = System.nanoTime() - t0;
            probe.interrupt();
            int live = threads.getThreadCount();
            // where the CPU went: Tandem's threads by name (numbers dropped), the rest is the JVM's (GC, JIT)
            java.util.Map<String, Long> byName = new java.util.TreeMap<>();
            long javaThreads = 0;
            for (long id : threads.getAllThreadIds()) {
                long c = threads.getThreadCpuTime(id);
                java.lang.management.ThreadInfo ti = threads.getThreadInfo(id);
                if (c < 0 || ti == null) {
                    continue;
                }
                if (id == probe.getId()) {
                    continue;
                }
                long d = c - threadCpu0.getOrDefault(id, 0L);
                javaThreads += d;
                byName.merge(ti.getThreadName().replaceAll("-?\\d+$", "").replaceAll("-node1", ""), d, Long::sum);
            }
            StringBuilder where = new StringBuilder();
            byName.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(6)
                    .forEach(e -> where.append(String.format(Locale.ROOT, " %s=%.1f%%", e.getKey(), 100.0 * e.getValue() / wall)));
            System.gc();
            Thread.sleep(200);
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long[] j = JITTER_US.stream().mapToLong(Long::longValue).sorted().toArray();
            double p99 = j.length == 0 ? Double.NaN : j[(int) Math.min(j.length - 1, Math.ceil(j.length * 0.99) - 1)] / 1000.0;
            double p50 = j.length == 0 ? Double.NaN : j[j.length / 2] / 1000.0;
            double max = j.length == 0 ? Double.NaN : j[j.length - 1] / 1000.0;
            double expected = (double) resources * seconds;
            long[] wk = WAKE_US.stream().mapToLong(Long::longValue).sorted().toArray();
            double wakeP99 = wk.length == 0 ? Double.NaN : wk[(int) Math.min(wk.length - 1, Math.ceil(wk.length * 0.99) - 1)] / 1000.0;
            double wakeMax = wk.length == 0 ? Double.NaN : wk[wk.length - 1] / 1000.0;
            System.out.printf(Locale.ROOT, "%s: resources=%d jitter p99=%.1f ms max=%.1f ms cpu=%.1f%% heap=%.1f MB%n",
                    label, resources, p99, max, 100.0 * cpu / wall, heap / 1048576.0);
            System.out.printf(Locale.ROOT, "%s cpu by thread:%s jvm(gc,jit)=%.1f%%%n", label, where,
                    100.0 * (cpu - javaThreads) / wall);
            System.out.printf(Locale.ROOT, "%s detail: %d quick checks measured over %d s (%.0f%% of the rhythm), jitter"
                            + " p50=%.1f ms; the hanging resource's checks timed out %d times; all online in %d ms;"
                            + " threads=%d; load average %.2f; scheduling of the engine's thread: %s; measured after %d s"
                            + " of steady state; JVM: %s%n",
                    label, j.length, seconds, 100.0 * j.length / expected, p50, HUNG.get(), online / 1_000_000, live,
                    os.getSystemLoadAverage(), policyOf("tandem-engine"), Long.getLong("bench.settle", 30), jvmOptions());
            // a check's rhythm crosses three thread wake-ups (the engine's timer, a check thread, the engine again);
            // this is how late one plain timed wake-up of a normal-priority thread is on this machine right now
            System.out.printf(Locale.ROOT, "%s wake-up floor: a plain thread parked 10 ms at a time wakes late p99=%.1f ms"
                    + " max=%.1f ms (%d wake-ups, normal priority; its own cpu=%.2f%%, not in the node's)%n", label, wakeP99,
                    wakeMax, wk.length, 100.0 * probeCpu / wall);
            node.close();
            deleteTree(state);
        }
    }

    /** The collector and compiler options this JVM was given ("defaults" when none). */
    static String jvmOptions() {
        String o = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:") || a.startsWith("-Xmn") || a.startsWith("-Xmx")).toList());
        return o.isEmpty() ? "defaults" : o;
    }

    /** The scheduling policy (from /proc) of the first of this process's threads whose name starts with {@code prefix}. */
    static String policyOf(String prefix) {
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return "unknown";
        }
        for (java.io.File t : tasks) {
            try {
                String comm = java.nio.file.Files.readString(t.toPath().resolve("comm")).trim();
                if (!comm.startsWith(prefix.length() > 15 ? prefix.substring(0, 15) : prefix)) {
                    continue;
                }
                for (String line : java.nio.file.Files.readAllLines(t.toPath().resolve("sched"))) {
                    if (line.startsWith("policy")) {
                        String v = line.substring(line.indexOf(':') + 1).trim();
                        return switch (v) {
                            case "0" -> "normal (SCHED_OTHER)";
                            case "1" -> "SCHED_FIFO";
                            case "2" -> "SCHED_RR";
                            default -> "policy " + v;
                        };
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
        return "unknown";
    }

    private static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(f);
            }
        }
    }

    /** A resource whose checks do nothing but note when they ran. */
    static final class Trivial implements ResourceType {
        @Override
        public String name() {
            return "bench-trivial";
        }

        @Override
        public ResourceParts create(PluginConfig config, NodeContext context) {
            String id = config.id();
            final class R implements Resource, Checker {
                @Override
                public ActionResult start(ActionContext ctx) {
                    return ActionResult.done("up");
                }

                @Override
                public ActionResult stop(ActionContext ctx) {
                    return ActionResult.done("down");
                }

                @Override
                public CheckResult quickCheck(ActionContext ctx) {
                    if (id.equals("hang")) {
                        return hang();
                    }
                    long now = System.nanoTime();
                    Long prev = LAST.put(id, now);
                    if (prev != null && measuring) {
                        JITTER_US.add(Math.abs((now - prev) / 1000 - 1_000_000));
                    }
                    return CheckResult.ok("fine");
                }

                @Override
                public CheckResult deepCheck(ActionContext ctx) {
                    if (id.equals("hang")) {
                        return hang();
                    }
                    return CheckResult.ok("fine");
                }
            }
            return ResourceParts.of(new R());
        }
    }

    /** Hangs until interrupted (the check's timeout), at most 60 s. */
    static CheckResult hang() {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            HUNG.incrementAndGet();
            Thread.currentThread().interrupt();
        }
        return CheckResult.failed("hung");
    }

    private CoreBench() {
    }
}
