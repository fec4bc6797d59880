package org.tandemha.examples.sharedarray;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Layout;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * Tandem against keepalived in one namespace lab ({@code examples/bench/run.sh keepalived}, root): two nodes, a
 * client, a floating address (VIP4), and the same fault and measurement for both. The fault is a whole-server crash:
 * kill -9 of the daemon (Tandem's JVM; keepalived's processes) and, at once, the node's public link down at the
 * switch. The measurement: the client (its own namespace) sends a UDP datagram to the floating address every 2 ms;
 * a responder on each node answers with the node's id; the failover time is from the kill to the first answer from
 * the survivor.
 *
 * <ul>
 *   <li>keepalived (Debian's, VRRPv3, advert_int 0.1 s, unicast peers on the public link, both BACKUP with
 *       nopreempt at priority 100), its configuration, pid files and log under the run's folder;</li>
 *   <li>Tandem, heartbeats 100 ms × 3 on two paths (the heartbeat link and the public one), the tie-breaker and one
 *       safe arbiter: "witness" (reports every 100 ms, 300 ms lease) or "scsi" (PREEMPT on a tgtd LUN over
 *       libiscsi; the array's tgtd at SCHED_FIFO 10, {@code --array-priority 0} for normal priority: it stands for
 *       a storage box of its own, which the hosts' load does not slow down).</li>
 * </ul>
 *
 * Each Tandem configuration's trials follow a fresh block of keepalived trials, so that the two are measured at the
 * same load. Prints, per configuration, {@code failover vs keepalived: config=... tandem_median=... keepalived_median=...
 * ratio=... tandem_p99=... keepalived_p99=...}, and where Tandem's time goes, from the survivor's events (medians
 * from the kill): {@code tandem CONFIG breakdown ms: unreachable=... verdict=... claimed=... vip=... answer=...}.
 *
 * <pre>
 * java -cp ... org.tandemha.examples.sharedarray.KeepalivedBench [--trials 20] [--configs witness,scsi] [--array-priority 10]
 *     [--classpath CP]
 * </pre>
 */
public final class KeepalivedBench {
    private static final int PORT = SharedArrayCluster.RESPONDER_PORT;

    /** One trial: ms from the kill to the survivor's first answer (-1: none), and the survivor's milestones. */
    record Trial(long ms, Map<String, Long> phases) {
    }

    private KeepalivedBench() {
    }

    public static void main(String[] args) throws Exception {
        int trials = 20;
        int arrayPriority = 10;
        List<String> configs = List.of("witness", "scsi");
        String cp = System.getProperty("java.class.path");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--trials" -> trials = Integer.parseInt(args[++i]);
                case "--configs" -> configs = List.of(args[++i].split(","));
                case "--classpath" -> cp = args[++i];
                case "--array-priority" -> arrayPriority = Integer.parseInt(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: KeepalivedBench [--trials N] [--configs witness,scsi] [--array-priority 10|0]\nTandem against keepalived"
                            + " in one namespace lab (root; examples/bench/run.sh keepalived runs it).");
                    return;
                }
                default -> {
                    System.err.println("keepalived bench: unknown option " + args[i]
                            + "; use [--trials N] [--configs witness,scsi] [--array-priority 10|0]");
                    System.exit(2);
                }
            }
        }
        for (String cfg : configs) {
            if (!cfg.equals("witness") && !cfg.equals("scsi")) {
                System.err.println("keepalived bench: unknown configuration '" + cfg + "'; use witness, scsi or witness,scsi");
                System.exit(2);
            }
        }
        if (!Posix.isRoot()) {
            System.err.println("keepalived bench: needs root (network namespaces, tgtd, keepalived); skipped");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream progress = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        boolean complete = true;
        List<String> lines = new ArrayList<>();
        try (SharedArrayCluster c = new SharedArrayCluster(Layout.VERSUS, cp, progress)) {
            c.setUp();
            if (configs.contains("scsi")) {
                // the array stands for a storage box of its own: the hosts' load does not slow down its answers
                String how = arrayPriority <= 0 ? "normal priority" : c.arrayRealtime(arrayPriority)
                        ? "SCHED_FIFO " + arrayPriority : "normal priority (chrt failed)";
                c.say("the array (tgtd) runs at " + how);
                lines.add("array (tgtd): " + how);
            }
            NodeProc client = c.startClient();
            Switch sw = new Switch(c);
            c.register(sw::close);
            for (String cfg : configs) {
                String load0 = load();
                List<Trial> ka = keepalived(c, sw, client, trials, cfg);
                List<Trial> ta = tandem(c, sw, client, trials, cfg);
                String load1 = load();
                List<Long> kms = ok(ka);
                List<Long> tms = ok(ta);
                complete &= kms.size() == trials && tms.size() == trials;
                String line = "failover vs keepalived: config=" + cfg + " tandem_median=" + pct(tms, 50) + " keepalived_median="
                        + pct(kms, 50) + " ratio=" + ratio(tms, kms) + " tandem_p99=" + pct(tms, 99) + " keepalived_p99="
                        + pct(kms, 99) + " tandem_max=" + pct(tms, 100) + " (ms; " + tms.size() + "+" + kms.size()
                        + " trials; load " + load0 + " -> " + load1 + ")";
                List<String> steps = List.of("linkDown", "unreachable", "verdict", "claimed", "vip", "answer", "jvmStall");
                String breakdown = "tandem " + cfg + " breakdown ms: " + phases(ta, steps);
                Trial slowest = ta.stream().filter(t -> t.ms() >= 0).max(java.util.Comparator.comparingLong(Trial::ms)).orElse(null);
                if (slowest != null) {
                    breakdown += "\ntandem " + cfg + " slowest trial ms: " + slowest.phases();
                }
                String kaBreakdown = "keepalived before " + cfg + " breakdown ms: " + phases(ka, List.of("linkDown", "master",
                        "answer"));
                lines.addAll(List.of(line, breakdown, kaBreakdown));
                c.say(line);
            }
        }
        lines.forEach(out::println);
        System.exit(complete ? 0 : 1);
    }

    // ---------------------------------------------------------------- Tandem

    private static List<Trial> tandem(SharedArrayCluster c, Switch sw, NodeProc client, int trials, String cfg) throws Exception {
        List<Trial> out = new ArrayList<>();
        c.useConfig(cfg);
        for (String id : List.of("node1", "node2")) {
            SharedArrayCluster.run("rm", "-rf", c.dir.resolve("state-" + id).toString());
        }
        c.say("Tandem, " + cfg + ": starting both nodes");
        c.startNodes("node1", "node2");
        try {
            if (!c.awaitOnline("node1", "vip", Duration.ofSeconds(120))) {
                c.say("Tandem, " + cfg + ": group vip did not come online on node1; see " + c.dir.resolve("node1.log"));
                return out;
            }
            String active = "node1";
            for (int t = 1; t <= trials; t++) {
                String standby = other(active);
                if (!c.awaitPeer(active, standby, Duration.ofSeconds(30)) || !c.awaitPeer(standby, active, Duration.ofSeconds(30))) {
                    c.say("Tandem, " + cfg + ", trial " + t + ": the nodes do not see each other; stopping");
                    break;
                }
                Thread.sleep(2000); // both paths up and stable, the restarted JVM past its start-up
                if (!holds(c, active) || holds(c, standby)) {
                    c.say("Tandem, " + cfg + ", trial " + t + ": " + active + " should hold " + SharedArrayCluster.VIP4
                            + " alone; stopping");
                    break;
                }
                long pid = c.jvmPid(active);
                long survivorPid = c.jvmPid(standby);
                long killedAt = System.nanoTime();
                Posix.kill(pid, Posix.SIGKILL);
                sw.link(active, false);
                c.node(active).process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                long ms = echo(c, client, cfg + "." + t, standby, killedAt);
                boolean online = c.awaitOnline(standby, "vip", Duration.ofSeconds(30));
                Map<String, Long> phases = tandemPhases(c.node(standby).linesSince(killedAt), killedAt);
                phases.put("linkDown", sw.lastDownMs(killedAt));
                if (ms >= 0) {
                    phases.put("answer", ms);
                    phases.put("jvmStall", jvmStallMs(c.dir.resolve("jvm-" + standby + "-" + survivorPid + ".log"), killedAt,
                            killedAt + ms * 1_000_000L));
                }
                out.add(new Trial(ms, phases));
                c.say(String.format("Tandem, %s, trial %d: kill -9 of %s's JVM + its public link down -> %s answers in %d ms %s",
                        cfg, t, active, standby, ms, phases));
                sw.link(active, true);
                sw.reachable(active, standby);
                if (!online) {
                    c.say("Tandem, " + cfg + ", trial " + t + ": group vip is not online on " + standby + "; stopping");
                    break;
                }
                c.startNode(active); // its start-up stop removes the stale address
                for (int i = 0; i < 100 && holds(c, active); i++) {
                    Thread.sleep(100);
                }
                active = standby;
            }
        } finally {
            for (String id : List.of("node1", "node2")) {
                if (c.jvmPid(id) > 0) {
                    c.killJvm(id);
                }
                SharedArrayCluster.run("ip", "-n", c.ns(id), "addr", "del", SharedArrayCluster.VIP4 + "/24", "dev", "pub0");
            }
        }
        return out;
    }

    /**
     * ms the survivor's JVM stood still at safepoints (time to reach them included) between {@code from} and
     * {@code to} (System.nanoTime), from its {@code -Xlog:safepoint} file; 0 when there is none.
     */
    static long jvmStallMs(Path log, long from, long to) {
        long ns = 0;
        try {
            if (!Files.exists(log)) {
                return 0;
            }
            for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                // [34605808449572ns] Safepoint "Cleanup", ..., Reaching safepoint: 40408670 ns, ..., Total: 40422791 ns
                int close = l.indexOf("ns]");
                int total = l.lastIndexOf("Total: ");
                if (!l.startsWith("[") || close < 0 || total < 0 || !l.contains("Safepoint \"")) {
                    continue;
                }
                long end = Long.parseLong(l.substring(1, close));
                long length = Long.parseLong(l.substring(total + 7, l.indexOf(' ', total + 7)));
                if (end > from && end - length < to) {
                    ns += length;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return ns / 1_000_000;
    }

    /** The survivor's milestones, in ms from the kill: the first of each event after it. */
    private static Map<String, Long> tandemPhases(List<Line> lines, long killedAt) {
        Map<String, Long> p = new LinkedHashMap<>();
        for (Line l : lines) {
            String[] w = l.text().split(" ", 5);
            if (w.length < 4 || !w[0].equals("EVENT")) {
                continue;
            }
            String name = switch (w[2]) {
                case "PEER_UNREACHABLE" -> "unreachable";
                case "SAFETY_CHECK" -> "verdict";
                case "GROUP_CLAIMED" -> "claimed";
                case "RESOURCE_STARTED" -> "vip";
                default -> null;
            };
            if (name != null && !p.containsKey(name)) {
                p.put(name, (Long.parseLong(w[1]) - killedAt) / 1_000_000);
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- keepalived

    private static List<Trial> keepalived(SharedArrayCluster c, Switch sw, NodeProc client, int trials, String before) throws Exception {
        List<Trial> out = new ArrayList<>();
        int spurious = 0;
        Path dir = Files.createDirectories(c.dir.resolve("keepalived"));
        Map<String, NodeProc> procs = new LinkedHashMap<>();
        c.say("keepalived (before Tandem " + before + "): starting node1, then node2");
        try {
            procs.put("node1", startKeepalived(c, dir, "node1"));
            for (int i = 0; i < 150 && !holds(c, "node1"); i++) {
                Thread.sleep(100);
            }
            if (!holds(c, "node1")) {
                c.say("keepalived: node1 did not take " + SharedArrayCluster.VIP4 + " within 15 s; see " + c.dir.resolve("keepalived-node1.log"));
                return out;
            }
            procs.put("node2", startKeepalived(c, dir, "node2"));
            String active = "node1";
            for (int t = 1; t <= trials; t++) {
                Thread.sleep(1500); // the restarted backup has heard the master's adverts
                String holder = null;
                for (int i = 0; i < 50 && holder == null; i++) {
                    holder = holds(c, "node1") == holds(c, "node2") ? null : holds(c, "node1") ? "node1" : "node2";
                    if (holder == null) {
                        Thread.sleep(100);
                    }
                }
                if (holder == null) {
                    c.say("keepalived, trial " + t + ": not exactly one node holds " + SharedArrayCluster.VIP4 + "; stopping");
                    break;
                }
                if (!holder.equals(active)) {
                    // the backup took the address while the master lived (a starved advert, an ARP retry after the link
                    // came back): counted, and the trial kills whoever holds it
                    spurious++;
                    c.say("keepalived, trial " + t + ": " + holder + " took " + SharedArrayCluster.VIP4 + " from " + active
                            + " while both ran (" + spurious + " so far); killing " + holder);
                    active = holder;
                }
                String standby = other(active);
                NodeProc victim = procs.get(active);
                List<Long> pids = new ArrayList<>();
                pids.add(victim.process.pid()); // the parent first: it would respawn its VRRP child
                victim.process.descendants().forEach(h -> pids.add(h.pid()));
                long killedAt = System.nanoTime();
                // frozen first, then killed: a VRRP child that outlives its parent for a moment gets SIGTERM
                // (PR_SET_PDEATHSIG) and resigns with a priority-0 advert, which a crashed server never sends
                for (long pid : pids) {
                    Posix.kill(pid, Posix.SIGSTOP);
                }
                for (long pid : pids) {
                    Posix.kill(pid, Posix.SIGKILL);
                }
                sw.link(active, false);
                long ms = echo(c, client, "ka-" + before + "." + t, standby, killedAt);
                Map<String, Long> phases = new LinkedHashMap<>();
                for (Line l : procs.get(standby).linesSince(killedAt)) {
                    if (l.text().contains("Entering MASTER STATE")) {
                        phases.put("master", (l.nanos() - killedAt) / 1_000_000);
                        break;
                    }
                }
                if (ms >= 0) {
                    phases.put("answer", ms);
                }
                phases.put("linkDown", sw.lastDownMs(killedAt));
                out.add(new Trial(ms, phases));
                c.say(String.format("keepalived, trial %d: kill -9 of %s's keepalived + its public link down -> %s answers in %d ms %s",
                        t, active, standby, ms, phases));
                victim.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                // the killed keepalived left the address on its node (as Tandem's JVM does): remove it, as a reboot would
                SharedArrayCluster.run("ip", "-n", c.ns(active), "addr", "del", SharedArrayCluster.VIP4 + "/24", "dev", "pub0");
                sw.link(active, true);
                sw.reachable(active, standby);
                if (!holds(c, standby)) {
                    c.say("keepalived, trial " + t + ": " + standby + " does not hold " + SharedArrayCluster.VIP4 + "; stopping");
                    break;
                }
                procs.put(active, startKeepalived(c, dir, active));
                active = standby;
            }
        } finally {
            if (spurious > 0) {
                c.say("keepalived: " + spurious + " takeover(s) while both nodes ran");
            }
            for (Map.Entry<String, NodeProc> e : procs.entrySet()) {
                stopKeepalived(e.getValue());
                SharedArrayCluster.run("ip", "-n", c.ns(e.getKey()), "addr", "del", SharedArrayCluster.VIP4 + "/24", "dev", "pub0");
            }
        }
        return out;
    }

    /**
     * Starts keepalived (VRRP only, in the foreground) in the node's namespace, with its configuration, pid files
     * and log under {@code dir}: VRRPv3, advert 0.1 s, unicast to the peer's public address, BACKUP with nopreempt.
     */
    private static NodeProc startKeepalived(SharedArrayCluster c, Path dir, String id) throws IOException {
        String me = id.equals("node1") ? "192.0.2.1" : "192.0.2.2";
        String peer = id.equals("node1") ? "192.0.2.2" : "192.0.2.1";
        Path conf = dir.resolve(id + ".conf");
        Files.writeString(conf, """
                global_defs {
                    router_id %s
                    vrrp_version 3
                    vrrp_rt_priority 10
                    script_user root
                    enable_script_security
                }
                vrrp_instance VI_%s {
                    state BACKUP
                    interface pub0
                    virtual_router_id 50
                    priority 100
                    advert_int 0.1
                    nopreempt
                    unicast_src_ip %s
                    unicast_peer {
                        %s
                    }
                    virtual_ipaddress {
                        %s/24 dev pub0
                    }
                }
                """.formatted(c.prefix + "-" + id, c.prefix, me, peer, SharedArrayCluster.VIP4));
        // the pid files of the keepalived this bench killed on this node: a pid still listed there (a zombie not yet
        // reaped, or a reused pid) makes keepalived refuse to start ("daemon is already running")
        Files.deleteIfExists(dir.resolve(id + ".pid"));
        Files.deleteIfExists(dir.resolve(id + "-vrrp.pid"));
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", c.ns(id), "keepalived", "--dont-fork", "--log-console",
                "--log-detail", "--no-syslog", "--vrrp", "--use-file", conf.toString(),
                "--pid", dir.resolve(id + ".pid").toString(), "--vrrp_pid", dir.resolve(id + "-vrrp.pid").toString());
        pb.redirectErrorStream(true);
        NodeProc p = c.new NodeProc("keepalived-" + id, pb.start());
        c.say("keepalived started on " + id + " (pid " + p.process.pid() + ", " + conf + ")");
        return p;
    }

    /** SIGKILL to the keepalived we started and its children, by PID. */
    private static void stopKeepalived(NodeProc p) throws InterruptedException {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(p.process.toHandle());
        p.process.descendants().forEach(all::add);
        for (ProcessHandle h : all) {
            Posix.kill(h.pid(), Posix.SIGKILL);
        }
        p.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- the switch

    /**
     * The public links' switch ports, set up or down by one {@code ip -batch -} process kept running in the switch
     * namespace: a link goes down within a millisecond of the kill, not one process start later (tens to hundreds of
     * ms on a loaded machine), for Tandem and keepalived alike.
     */
    static final class Switch {
        private final SharedArrayCluster c;
        private final Process ip;
        private final java.io.Writer in;
        private long lastDown;

        Switch(SharedArrayCluster c) throws IOException {
            this.c = c;
            this.ip = new ProcessBuilder("ip", "-n", c.ns("switch"), "-force", "-batch", "-").redirectErrorStream(true)
                    .redirectOutput(c.dir.resolve("switch-ip.log").toFile()).start();
            this.in = new java.io.OutputStreamWriter(ip.getOutputStream(), StandardCharsets.US_ASCII);
        }

        /** Sets the public link of {@code node} (node1, node2) up or down at the switch, now. */
        void link(String node, boolean up) throws IOException {
            if (!ip.isAlive()) {
                throw new IOException("the switch's ip -batch process exited; see " + c.dir.resolve("switch-ip.log"));
            }
            in.write("link set p" + node.substring(4) + (up ? " up" : " down") + "\n");
            in.flush();
            if (!up) {
                lastDown = System.nanoTime();
            }
        }

        /** ms from {@code from} to the last link-down command handed to the switch's ip process. */
        long lastDownMs(long from) {
            return (lastDown - from) / 1_000_000;
        }

        /**
         * After a link came back: {@code peer} pings {@code node}, so that each has the other's MAC again (a unicast
         * VRRP advert or heartbeat to a neighbour that failed while the link was down waits for the next ARP retry,
         * up to a second). Bounded: 10 tries of 200 ms.
         */
        void reachable(String node, String peer) {
            String ip4 = "192.0.2." + node.substring(4);
            for (int i = 0; i < 10; i++) {
                if (SharedArrayCluster.run("ip", "netns", "exec", c.ns(peer), "ping", "-c", "1", "-W", "0.2", ip4)) {
                    return;
                }
            }
        }

        void close() {
            try {
                in.close();
            } catch (IOException e) {
                // gone
            }
            Posix.kill(ip.pid(), Posix.SIGKILL);
        }
    }

    // ---------------------------------------------------------------- measurement

    /** Sends the client's UDP echo to VIP4, expecting {@code survivor}: ms from {@code killedAt} to its first answer, or -1. */
    private static long echo(SharedArrayCluster c, NodeProc client, String tag, String survivor, long killedAt)
            throws InterruptedException {
        client.send("echo " + tag + " " + SharedArrayCluster.VIP4 + " " + PORT + " " + survivor + " 15000");
        Line l = client.await(killedAt, s -> s.startsWith("ECHO " + tag + " "), Duration.ofSeconds(20));
        if (l == null) {
            c.say("echo " + tag + ": the client did not answer");
            return -1;
        }
        String[] w = l.text().split(" ");
        if (w.length < 4 || !w[3].equals("ok")) {
            c.say("echo " + tag + ": no answer from " + survivor + " within 15 s: " + l.text());
            return -1;
        }
        return (Long.parseLong(w[2]) - killedAt) / 1_000_000;
    }

    private static boolean holds(SharedArrayCluster c, String id) throws IOException {
        return c.ipIn(id, "-br", "-4", "addr", "show", "dev", "pub0").contains(SharedArrayCluster.VIP4 + "/");
    }

    private static String other(String id) {
        return id.equals("node1") ? "node2" : "node1";
    }

    private static List<Long> ok(List<Trial> ts) {
        return ts.stream().filter(t -> t.ms() >= 0).map(Trial::ms).sorted().toList();
    }

    private static String phases(List<Trial> ts, List<String> names) {
        StringBuilder b = new StringBuilder();
        for (String n : names) {
            List<Long> v = ts.stream().map(t -> t.phases().get(n)).filter(x -> x != null).sorted().toList();
            b.append(b.length() == 0 ? "" : " ").append(n).append('=').append(pct(v, 50));
        }
        return b.append(" (medians from the kill)").toString();
    }

    private static String pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return "-";
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return Long.toString(sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1))));
    }

    private static String ratio(List<Long> tandem, List<Long> keepalived) {
        if (tandem.isEmpty() || keepalived.isEmpty()) {
            return "-";
        }
        double k = Double.parseDouble(pct(keepalived, 50));
        return k <= 0 ? "-" : String.format("%.2f", Double.parseDouble(pct(tandem, 50)) / k);
    }

    private static String load() {
        try {
            String[] w = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return w[0] + " " + w[1] + " " + w[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
