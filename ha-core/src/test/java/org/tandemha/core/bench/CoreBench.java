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
 * every 10 s, for a while; prints check jitter (how late each quick check ran against its 1 s rhythm), CPU and
 * heap. Run through {@code examples/bench/run.sh core}.
 */
public final class CoreBench {
    private static final ConcurrentHashMap<String, Long> LAST = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<Long> JITTER_US = new ConcurrentLinkedQueue<>();
    private static volatile boolean measuring;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int groups = 100;
        int perGroup = 10;
        StringBuilder cfg = new StringBuilder("""
                cluster: bench
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes: [{id: node1}, {id: node2}]
                paths: [{name: memory, transport: memory}]
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 1s}
                groups:
                """);
        for (int g = 0; g < groups; g++) {
            cfg.append("  - id: g").append(g).append("\n    nodes: [node1, node2]\n    resources:\n");
            for (int r = 0; r < perGroup; r++) {
                cfg.append("      - {id: r").append(g).append('_').append(r).append(", type: bench-trivial,")
                        .append(" quickCheck: {interval: 1s, timeout: 1s}, deepCheck: {interval: 10s, timeout: 2s}}\n");
            }
        }
        try (InMemoryNetwork net = new InMemoryNetwork()) {
            ClusterNode node = Tandem.builder().configText(cfg.toString(), true).localNode("node1")
                    .membership(net.member("node1")).resourceType(new Trivial()).build();
            node.start();
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (node.status().groups().stream().anyMatch(g -> g.localState() != GroupState.ONLINE)) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("groups did not come online within 30 s");
                }
                Thread.sleep(100);
            }
            Thread.sleep(2000); // let the check rhythm settle
            System.gc();
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            measuring = true;
            Thread.sleep(seconds * 1000L);
            measuring = false;
            long cpu = os.getProcessCpuTime() - cpu0;
            long wall = System.nanoTime() - t0;
            System.gc();
            Thread.sleep(200);
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long[] j = JITTER_US.stream().mapToLong(Long::longValue).sorted().toArray();
            double p99 = j.length == 0 ? Double.NaN : j[(int) Math.min(j.length - 1, Math.ceil(j.length * 0.99) - 1)] / 1000.0;
            double p50 = j.length == 0 ? Double.NaN : j[j.length / 2] / 1000.0;
            System.out.printf(Locale.ROOT, "core checks: resources=%d jitter p99=%.1f ms cpu=%.1f%% heap=%.1f MB%n",
                    groups * perGroup, p99, 100.0 * cpu / wall, heap / 1048576.0);
            System.out.printf(Locale.ROOT, "core checks detail: %d quick checks measured over %d s, jitter p50=%.1f ms max=%.1f ms%n",
                    j.length, seconds, p50, j.length == 0 ? Double.NaN : j[j.length - 1] / 1000.0);
            node.close();
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
                    long now = System.nanoTime();
                    Long prev = LAST.put(id, now);
                    if (prev != null && measuring) {
                        JITTER_US.add(Math.abs((now - prev) / 1000 - 1_000_000));
                    }
                    return CheckResult.ok("fine");
                }

                @Override
                public CheckResult deepCheck(ActionContext ctx) {
                    return CheckResult.ok("fine");
                }
            }
            return ResourceParts.of(new R());
        }
    }

    private CoreBench() {
    }
}
