package org.tandemha.examples.sharedarray;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Layout;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * The failover benchmark ({@code examples/bench/run.sh failover}): two nodes in network namespaces, heartbeats
 * every 100 ms with 3 misses on two paths, the SCSI arbiter on a tgtd LUN. For each trial it kills (-9) the whole
 * process tree of the node that runs the group, and measures the time from the kill to the first successful client
 * request through the floating address; the killed node is started again and the next trial kills the other one.
 *
 * <p>Prints {@code failover ms: p50=... p99=... max=...} for the group "floating address + HTTP service",
 * {@code db failover ms: ...} for the group "volume + PostgreSQL + floating address" (first successful query), and
 * {@code idle node: rss=... MB, cpu=...%} for a node that runs one group, over 60 s.
 *
 * <p>{@code --daemon-crash N} runs only {@link VipFailover}: N trials of kill -9 of the holder's Tandem JVM alone
 * (its kernel keeps the addresses), a group of an IPv4 and an IPv6 address, arbiters tiebreaker + witness; prints
 * {@code daemon crash: passed=P/N}, then {@code daemon crash ipv4 ms: ...} and {@code daemon crash ipv6 ms: ...}.
 *
 * <pre>
 * java -cp ... org.tandemha.examples.sharedarray.FailoverBench [--trials 20] [--db-trials 20] [--idle 60] [--classpath CP]
 * java -cp ... org.tandemha.examples.sharedarray.FailoverBench --daemon-crash 20
 * </pre>
 */
public final class FailoverBench {
    private FailoverBench() {
    }

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: FailoverBench [--trials N] [--db-trials N] [--idle SECONDS] | --daemon-crash N\nThe failover benchmark (root; examples/bench/run.sh failover and daemon-crash run it).");
            return;                                             // --help: usage, exit 0
        }
        int trials = 20;
        int dbTrials = 20;
        int idleSeconds = 60;
        int daemonCrash = 0;
        String cp = System.getProperty("java.class.path");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--trials" -> trials = Integer.parseInt(args[++i]);
                case "--db-trials" -> dbTrials = Integer.parseInt(args[++i]);
                case "--idle" -> idleSeconds = Integer.parseInt(args[++i]);
                case "--classpath" -> cp = args[++i];
                case "--daemon-crash" -> daemonCrash = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown option " + args[i] + "; use [--trials N] [--db-trials N] [--idle SECONDS]"
                            + " or --daemon-crash N");
                    System.exit(2);
                }
            }
        }
        if (!Posix.isRoot()) {
            System.err.println("failover bench: needs root (network namespaces, tgtd, loop devices); skipped");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream progress = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        if (daemonCrash > 0) {
            List<VipFailover.Trial> rs = VipFailover.run(cp, daemonCrash, progress);
            long passed = rs.stream().filter(VipFailover.Trial::passed).count();
            out.println("daemon crash: passed=" + passed + "/" + daemonCrash);
            out.println("daemon crash ipv4 ms: " + summary(rs.stream().filter(VipFailover.Trial::passed)
                    .map(VipFailover.Trial::ipv4Ms).toList()));
            out.println("daemon crash ipv6 ms: " + summary(rs.stream().filter(VipFailover.Trial::passed)
                    .map(VipFailover.Trial::ipv6Ms).toList()));
            rs.stream().filter(r -> !r.passed()).forEach(r -> out.println("trial " + r.number() + " failed: " + r.note()));
            System.exit(passed == daemonCrash ? 0 : 1);
        }
        String idle = "";
        List<Long> web;
        try (SharedArrayCluster c = new SharedArrayCluster(Layout.BENCH_WEB, cp, progress)) {
            c.setUp();
            web = trials(c, "web", "probe http http://" + SharedArrayCluster.VIP1 + ":8080/", trials, Duration.ofSeconds(10));
            if (idleSeconds > 0) {
                idle = idle(c, idleSeconds);
            }
        }
        out.println("failover ms: " + summary(web));
        if (dbTrials > 0) {
            List<Long> db;
            try (SharedArrayCluster c = new SharedArrayCluster(Layout.BENCH_DB, cp, progress)) {
                c.setUp();
                db = trials(c, "db", "probe jdbc jdbc:postgresql://" + SharedArrayCluster.VIP1 + ":5432/postgres", dbTrials,
                        Duration.ofSeconds(60));
            }
            out.println("db failover ms: " + summary(db));
        }
        if (!idle.isEmpty()) {
            out.println(idle);
        }
        System.exit(web.isEmpty() ? 1 : 0);
    }

    private static List<Long> trials(SharedArrayCluster c, String group, String probe, int trials, Duration bound) throws Exception {
        c.startNode("node1");
        c.startNode("node2");
        NodeProc client = c.startClient();
        if (!c.awaitOnline("node1", group, Duration.ofSeconds(120))) {
            throw new IOException("group " + group + " did not come online on node1; see " + c.dir.resolve("node1.log"));
        }
        client.send(probe);
        List<Long> ms = new ArrayList<>();
        String active = "node1";
        for (int t = 1; t <= trials; t++) {
            String standby = active.equals("node1") ? "node2" : "node1";
            if (!c.awaitPeer(active, standby, Duration.ofSeconds(30)) || !c.awaitPeer(standby, active, Duration.ofSeconds(30))) {
                c.say("trial " + t + ": the nodes do not see each other; stopping");
                break;
            }
            Thread.sleep(3000); // both paths up and stable, the restarted JVM past its start-up (class loading, JIT)
            long killedAt = System.nanoTime();
            c.kill(active);
            long from = System.nanoTime();
            client.send("arm");
            Line up = client.await(from, l -> l.startsWith("UP "), bound);
            if (up == null) {
                c.say("trial " + t + ": no successful request through the floating address within " + bound.toSeconds() + " s");
            } else {
                long took = (Long.parseLong(up.text().split(" ")[1]) - killedAt) / 1_000_000;
                ms.add(took);
                c.say(String.format("trial %d: kill -9 %s -> %s serves in %d ms (kill at %d ns)", t, active, standby, took, killedAt));
            }
            if (!c.awaitOnline(standby, group, Duration.ofSeconds(60))) {
                c.say("trial " + t + ": group " + group + " is not online on " + standby + "; stopping");
                break;
            }
            c.startNode(active);
            active = standby;
        }
        return ms;
    }

    /** RSS and CPU of the node that runs the group (every process in its namespace), over {@code seconds}. */
    private static String idle(SharedArrayCluster c, int seconds) throws Exception {
        String node = null;
        for (String id : List.of("node1", "node2")) {
            for (String s : c.node(id).status(Duration.ofSeconds(5))) {
                String[] w = s.split(" ");
                if (w[0].equals("GROUP") && w[2].equals(id) && w[3].equals("ONLINE")) {
                    node = id;
                }
            }
        }
        if (node == null) {
            return "idle node: (no node runs the group)";
        }
        c.client().send("probe stop");
        Thread.sleep(3000); // past the takeover's announcements
        long ticks0 = cpuTicks(c, node);
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long ticks1 = cpuTicks(c, node);
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (ticks1 - ticks0) / 100.0 / wall * 100.0; // USER_HZ is 100 on Linux
        long rssKb = 0;
        for (long pid : c.pids(node)) {
            rssKb += rssKb(pid);
        }
        return String.format("idle node: rss=%.0f MB, cpu=%.1f%%", rssKb / 1024.0, cpu);
    }

    private static long cpuTicks(SharedArrayCluster c, String node) {
        long sum = 0;
        for (long pid : c.pids(node)) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            } catch (IOException | RuntimeException e) {
                // gone
            }
        }
        return sum;
    }

    private static long rssKb(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    static String summary(List<Long> ms) {
        if (ms.isEmpty()) {
            return "p50=- p99=- max=- (no successful trial)";
        }
        List<Long> s = ms.stream().sorted().toList();
        return "p50=" + pct(s, 50) + " p99=" + pct(s, 99) + " max=" + s.get(s.size() - 1) + " (" + s.size() + " trials)";
    }

    private static long pct(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
