package org.tandemha.zookeeper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.curator.test.TestingCluster;

/**
 * The ZooKeeper benchmark ({@code examples/bench/run.sh zookeeper}); prints figures, asserts the safety rules.
 * <ol>
 * <li>Faults: {@code faults} random faults (kill a ZooKeeper server, kill the leader, cut a Tandem node from the
 * ensemble, pause a node's ZooKeeper client past its session timeout, expire a session, restart the whole ensemble)
 * on a three-server ensemble and a 5-node Tandem cluster, session timeout 2 s: never two nodes whose writes the
 * fenced store accepted with one token, every group back within the session timeout + 10 s.</li>
 * <li>Failover: {@code failovers} kills of a group's owner ({@link ZkHarness#kill}: its links to the ensemble cut,
 * then its engine and client closed without releasing; its session expires on the server), time until the group
 * runs on another node.</li>
 * <li>Scale: 9 nodes, 500 groups by default (priority lists of 3, rotated), the ensemble in a child JVM: CPU of this JVM in the
 * steady state, then one node killed: time until all its groups run elsewhere.</li>
 * </ol>
 * Arguments: {@code [faults=200] [failovers=20] [steady-seconds=20] [scale-groups=500]}.
 */
public final class ZooKeeperBench {
    static final long SESSION_MS = 2000;
    static final long BOUND_MS = 10_000;

    private ZooKeeperBench() {
    }

    public static void main(String[] args) throws Exception {
        int faults = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int failovers = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int steady = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int scaleGroups = args.length > 3 ? Integer.parseInt(args[3]) : 500; // the target of issue 20
        System.out.println("zookeeper bench: " + Runtime.getRuntime().availableProcessors() + " cpus, load average "
                + loadAverage() + " at the start");
        if (faults > 0 || failovers > 0) {
            faultsAndFailover(faults, failovers);
        }
        if (scaleGroups > 0) {
            scale(scaleGroups, steady);
        }
        System.out.println("zookeeper bench: load average " + loadAverage() + " at the end");
        System.exit(0);
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0] + " "
                    + Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[1] + " "
                    + Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[2];
        } catch (Exception e) {
            return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    static long percentile(List<Long> xs, double p) {
        List<Long> s = xs.stream().sorted().toList();
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }

    private static void faultsAndFailover(int faults, int failovers) throws Exception {
        Path dir = Files.createTempDirectory("tandem-zkbench");
        TestingCluster zk = ZkHarness.ensemble(3, 500);
        List<String> ids = ZkHarness.nodeIds(5);
        try (ZkHarness h = new ZkHarness(zk, ids, ZkHarness.rotated(10, ids, 5), SESSION_MS, "100ms", dir, true)) {
            h.startAll();
            h.awaitSettled("start", 60_000);
            long t0 = System.nanoTime();
            ZkFaults f = new ZkFaults(h, Long.getLong("seed", 1L), BOUND_MS);
            f.run(faults, line -> System.err.println(line));
            long elapsed = (System.nanoTime() - t0) / 1_000_000_000;
            if (faults > 0) {
                synchronized (h.store) {
                    System.out.println("zookeeper faults: " + faults + " faults on 3 servers + 5 nodes, 10 groups, session "
                            + SESSION_MS + " ms: " + f.counts.entrySet().stream().map(e -> e.getKey().name().toLowerCase()
                            + "=" + e.getValue()).collect(Collectors.joining(" ")) + "; two owners accepted: "
                            + h.store.violations.size() + "; back within p50=" + percentile(f.recoveries, 50) + " max="
                            + f.maxRecovery() + " ms of each fault's end (bound " + (SESSION_MS + BOUND_MS) + "); writes accepted="
                            + h.store.accepted() + " rejected=" + h.store.rejected() + "; " + elapsed + " s");
                }
            }
            if (failovers > 0) {
                Random rnd = new Random(7);
                List<Long> ms = new ArrayList<>();
                for (int i = 0; i < failovers; i++) {
                    String group = "g" + (1 + rnd.nextInt(h.groups.size()));
                    String owner = h.owner(group);
                    long k0 = System.nanoTime();
                    h.kill(owner);
                    long took = -1;
                    while (System.nanoTime() - k0 < (SESSION_MS + BOUND_MS) * 1_000_000) {
                        String o = h.owner(group);
                        if (o != null && !o.equals(owner)) {
                            took = (System.nanoTime() - k0) / 1_000_000;
                            break;
                        }
                        Thread.sleep(5);
                    }
                    if (took < 0) {
                        throw new AssertionError("failover " + (i + 1) + ": " + group + " not back within "
                                + (SESSION_MS + BOUND_MS) + " ms of killing " + owner + ": " + h.online());
                    }
                    ms.add(took);
                    System.err.println("failover " + (i + 1) + "/" + failovers + ": killed " + owner + " (owner of " + group
                            + "), online on " + h.owner(group) + " after " + took + " ms");
                    h.awaitSettled("failover " + (i + 1), SESSION_MS + BOUND_MS);
                    h.startNode(owner);
                    Thread.sleep(1500);
                    h.awaitSettled("restarting " + owner, SESSION_MS + BOUND_MS);
                }
                synchronized (h.store) {
                    if (!h.store.violations.isEmpty()) {
                        throw new AssertionError("two owners accepted: " + h.store.violations);
                    }
                }
                System.out.println("zookeeper failover ms: p50=" + percentile(ms, 50) + " p99=" + percentile(ms, 99)
                        + " (n=" + ms.size() + ", min=" + ms.stream().min(Long::compare).orElseThrow() + " max="
                        + ms.stream().max(Long::compare).orElseThrow() + ", session timeout " + SESSION_MS
                        + " ms, kill = cut from the ensemble then closed without releasing)");
            }
        } finally {
            zk.close();
        }
    }

    private static void scale(int groups, int steadySeconds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process zkp = new ProcessBuilder(java, "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=off", "-cp",
                System.getProperty("java.class.path"), ZkEnsembleMain.class.getName(), "500")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(zkp.getInputStream(), StandardCharsets.UTF_8));
            String line;
            List<Integer> ports = null;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("ZK-PORTS ")) {
                    ports = Arrays.stream(line.substring(9).trim().split(",")).map(Integer::parseInt).toList();
                    break;
                }
            }
            if (ports == null) {
                throw new IllegalStateException("the ensemble's JVM did not start (exit " + zkp.waitFor() + ")");
            }
            Path dir = Files.createTempDirectory("tandem-zkscale");
            List<String> ids = ZkHarness.nodeIds(9);
            Map<String, List<String>> gs = ZkHarness.rotated(groups, ids, 3);
            long s0 = System.nanoTime();
            try (ZkHarness h = new ZkHarness(null, ports, ids, gs, SESSION_MS, "1s", dir, true)) {
                // each announcement carries every group: at 9 nodes x 500 groups, 100 ms would flood the in-memory
                // network's one delivery thread; 500 ms x 3 still detects a dead node well within the 2 s session
                h.heartbeatInterval = System.getProperty("scale.heartbeat", "500ms");
                h.startAll();
                long started = h.awaitSettled("starting " + groups + " groups", 180_000);
                System.err.println("scale: " + groups + " groups online on 9 nodes after " + started + " ms");
                Thread.sleep(5000); // settle
                com.sun.management.OperatingSystemMXBean os =
                        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                long c0 = os.getProcessCpuTime();
                long w0 = System.nanoTime();
                Thread.sleep(steadySeconds * 1000L);
                double cpu = 100.0 * (os.getProcessCpuTime() - c0) / (System.nanoTime() - w0);
                String victim = "node1";
                List<String> its = h.online().entrySet().stream().filter(e -> e.getValue().equals(List.of(victim)))
                        .map(Map.Entry::getKey).toList();
                long k0 = System.nanoTime();
                h.kill(victim);
                long took = -1;
                while (System.nanoTime() - k0 < 120_000_000_000L) {
                    Map<String, List<String>> on = h.online();
                    if (its.stream().allMatch(g -> on.get(g).size() == 1 && !on.get(g).contains(victim))) {
                        took = (System.nanoTime() - k0) / 1_000_000;
                        break;
                    }
                    Thread.sleep(50);
                }
                synchronized (h.store) {
                    if (!h.store.violations.isEmpty()) {
                        throw new AssertionError("two owners accepted: " + h.store.violations);
                    }
                }
                System.out.println("zookeeper scale: nodes=9 groups=" + groups + " cpu=" + String.format("%.1f", cpu)
                        + "% takeover_all_ms=" + took + " (cpu: this JVM, 9 nodes, % of one core over " + steadySeconds
                        + " s, heartbeats " + h.heartbeatInterval + " x 3, the ensemble in another JVM; node1 killed with " + its.size() + " groups; start "
                        + (System.nanoTime() - s0) / 1_000_000_000 + " s ago)");
            }
        } finally {
            zkp.getOutputStream().close();
            zkp.destroy();
            zkp.waitFor();
        }
    }
}
