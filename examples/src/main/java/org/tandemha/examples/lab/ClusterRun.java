package org.tandemha.examples.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Layout;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * One cluster of the fault lab, its nemesis and its checker.
 *
 * <p><b>Clusters.</b> {@code web}: {@link Layout#LAB_WEB}, group {@code web} = floating address 192.0.2.50 (no
 * 'peers' parameter) + an HTTP service on it that answers its node and generation; arbiters tiebreaker + witness;
 * the node JVMs run in their network namespaces only, so a kill of the JVM leaves the address in the node's kernel.
 * {@code db}: {@link Layout#LAB_DB}, group {@code db} = array gate + ext4 volume + PostgreSQL + floating address
 * 192.0.2.11; arbiters tiebreaker + scsi on the tgtd LUN; each node JVM is the init of its own PID and mount
 * namespaces, so its PostgreSQL and its mount die with it.
 *
 * <p><b>Client.</b> {@link LabClient} in the client namespace, two threads, all the time through the floating
 * address: web, {@code GET /}; db, an insert of a sequence number acknowledged by PostgreSQL's commit.
 *
 * <p><b>Phases.</b> Each fault: find the group's holder; apply the fault (and an overlapping second one, if drawn);
 * hold it for its duration; heal it (restart what was killed, links up, nftables tables deleted, processes
 * continued); then settle: every node running and seeing its peer, failure records cleared as an operator does
 * ({@code clear GROUP} on each node), the group online and the client answered again, then 1.5 s of quiet. The
 * phase is checked from the fault's start to the end of the settling.
 *
 * <p><b>Checker.</b> A phase fails on any of:
 * <ul>
 *   <li><b>split brain, answers</b>: two successful requests answered by different nodes whose intervals [start,
 *       end] overlap; or a request answered by a lower generation that started after a request answered by a higher
 *       one had ended (an old owner still serving after a takeover);</li>
 *   <li><b>split brain, address</b>: the floating address held by the kernels of both nodes while both nodes'
 *       Tandem daemons run (alive and not stopped by the nemesis) for more than {@value #VIP_BOTH_MS} ms in a row. A
 *       killed daemon's kernel keeps the address until the daemon starts again and removes it: that is expected and
 *       not counted while that daemon is dead, because nothing on that node decides anything, the survivor's
 *       announcements move the clients, and the answers check above catches any client the dead node's kernel still
 *       serves. Once the daemon runs again (or wakes from SIGSTOP) it must give the address up within the tolerance,
 *       which covers its start-up clean-up and the stand-down of a node that finds it was frozen;</li>
 *   <li><b>split brain, volume</b> (db): the volume mounted by both nodes through open paths (loop devices not cut
 *       by the gate) while both are running, in any 100 ms sample;</li>
 *   <li><b>lost write</b> (db): a sequence number the client had acknowledged missing from the table, checked after
 *       each fault and at the end;</li>
 *   <li><b>outage over the bound</b>: the longest gap between two successive successful answers (by their end time)
 *       within the phase, or the service not back when settling gives up, longer than the bound the configuration
 *       implies: detection (the longer of the slowest network heartbeat path's interval x misses and the group's
 *       slowest quick check interval + timeout) + the safety check timeout + the sum of the group's start timeouts +
 *       1 s; for a stop that hangs, the longest stop timeout too.</li>
 * </ul>
 * A failed phase prints the fault, the timeline of events from every node (every incarnation of its JVM) and the
 * client history around it.
 */
final class ClusterRun {
    static final long VIP_BOTH_MS = 1000;
    private static final int HB_PORT = 7401;

    /** One checked fault. */
    record Result(String cluster, Fault fault, String node, long outageMs, long boundMs, int splitBrains, long lostWrites,
                  boolean overBound, boolean passed, String note) {
    }

    /** One history record of the client. */
    record Req(int thread, long seq, long start, long end, boolean ok, String node, String gen, String detail) {
        long genNumber() {
            try {
                return Long.parseLong(gen);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    private final String name;
    private final String classpath;
    private final long seed;
    private final int count;
    private final PrintStream out;
    private final String group;
    private final Layout layout;
    private final List<Result> results = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private long lostWrites;
    private SharedArrayCluster c;
    private NodeProc client;
    private Path historyFile;
    private long historyOffset;
    private final List<Req> recent = new ArrayList<>();
    private final Set<Long> acked = new HashSet<>();
    private final Map<Long, Req> ackedBy = new HashMap<>();
    private final List<NodeProc> incarnations = new ArrayList<>();
    private final Set<String> frozen = ConcurrentHashMap.newKeySet();
    /** The incarnation of each node whose daemon has started (printed READY after its start-up clean-up began). */
    private final Map<String, NodeProc> ready = new ConcurrentHashMap<>();
    private final Map<String, VipWatch> vipWatch = new HashMap<>();
    private volatile boolean sampling;
    private volatile int vipSplits;
    private volatile int volumeSplits;
    /** Sampler rounds, and those that saw the address held / the volume mounted by some node (the watch works). */
    private volatile long samples;
    private volatile long samplesHeld;
    private volatile long samplesMounted;
    private volatile String lastSplit = "";
    private long boundMs;
    private long phaseStart;
    private long stopTimeoutMs;

    ClusterRun(String name, String classpath, long seed, int count, PrintStream out) {
        this.name = name;
        this.classpath = classpath;
        this.seed = seed;
        this.count = count;
        this.out = out;
        this.group = name.equals("web") ? "web" : "db";
        this.layout = name.equals("web") ? Layout.LAB_WEB : Layout.LAB_DB;
    }

    List<Result> results() {
        return results;
    }

    List<String> failures() {
        return failures;
    }

    long lostWrites() {
        return lostWrites;
    }

    void run() throws Exception {
        List<Fault> plan = Fault.plan(name, seed, count);
        try (SharedArrayCluster cluster = new SharedArrayCluster(layout, classpath, out)) {
            c = cluster;
            c.setUp();
            computeBound();
            start("node1");
            start("node2");
            if (!c.awaitOnline("node1", group, Duration.ofSeconds(120))) {
                throw new IOException("group " + group + " did not come online on node1; see " + c.dir.resolve("node1.log"));
            }
            historyFile = c.dir.resolve("history-" + name + ".txt");
            String vip = name.equals("web") ? SharedArrayCluster.VIP4 : SharedArrayCluster.VIP1;
            List<String> args = new ArrayList<>(List.of("--mode", name, "--history", historyFile.toString(), "--threads", "2",
                    "--target", vip + (name.equals("web") ? ":8080" : ":5432")));
            if (name.equals("db")) {
                args.addAll(List.of("--stamp", c.dir.resolve("private").resolve(SharedArrayCluster.STAMP).toString()));
            }
            client = c.startJava("labclient", "client", LabClient.class.getName(), "LAB-CLIENT-READY", args.toArray(String[]::new));
            for (String id : List.of("node1", "node2")) {
                vipWatch.put(id, new VipWatch(c.ns(id), "pub0", vip));
            }
            Thread sampler = startSampler();
            try {
                c.say(name + " cluster: group " + group + " online on node1; client working through " + vip
                        + "; bound " + boundMs + " ms; " + plan.size() + " faults, seed " + seed);
                Thread.sleep(2000);
                readHistory();
                for (Fault f : plan) {
                    runFault(f, plan.size());
                }
                c.say(String.format("checker: %d samples, the address held by a node in %d, the volume mounted by a node in %d",
                        samples, samplesHeld, samplesMounted));
                if (samples > 50 && samplesHeld == 0) {
                    failures.add(name + ": the address watch never saw the address held in " + samples
                            + " samples: the split-brain watch is not working");
                }
                if (name.equals("db") && samples > 50 && samplesMounted == 0) {
                    failures.add(name + ": the volume watch never saw the volume mounted in " + samples
                            + " samples: the split-brain watch is not working");
                }
                if (name.equals("db")) {
                    long lost = checkWrites();
                    if (lost != 0) {
                        failures.add("db: " + lost + " acknowledged writes missing at the end of the run");
                    }
                }
            } finally {
                sampling = false;
                sampler.join(2000);
                vipWatch.values().forEach(VipWatch::close);
                client.send("quit");
            }
        }
    }

    // ------------------------------------------------------------------ the bound

    private void computeBound() throws Exception {
        ClusterSpec spec = ConfigLoader.load(c.config(), null);
        long hb = spec.paths().stream().filter(p -> !p.transport().equals("disk"))
                .mapToLong(p -> p.interval().toMillis() * p.misses()).max().orElse(0);
        GroupSpec g = spec.group(group).orElseThrow();
        long checks = 0;
        long start = 0;
        for (ResourceSpec r : g.resources()) {
            if (r.quickInterval() != null && r.quickTimeout() != null) {
                checks = Math.max(checks, r.quickInterval().toMillis() + r.quickTimeout().toMillis());
            }
            start += r.startTimeout().toMillis();
            if (r.type().equals("array-app")) {
                stopTimeoutMs = Math.max(stopTimeoutMs, r.stopTimeout().toMillis()); // the stop that hangs
            }
        }
        long detection = Math.max(hb, checks);
        long safety = spec.timing().safetyTimeout().toMillis();
        boundMs = detection + safety + start + 1000;
        c.say(String.format("bound for %s: detection %d ms (heartbeat %d, checks %d) + safety check %d ms + start %d ms + 1000 ms = %d ms",
                group, detection, hb, checks, safety, start, boundMs));
    }

    // ------------------------------------------------------------------ nodes

    private NodeProc start(String id) throws IOException, InterruptedException {
        ready.remove(id);
        NodeProc p = c.startNode(id);
        ready.put(id, p);
        synchronized (incarnations) {
            incarnations.add(p);
        }
        return p;
    }

    /** Whether the node's daemon runs: its current JVM printed READY, is alive and is not stopped by the nemesis. */
    private boolean live(String id) {
        NodeProc n = c.node(id);
        return n != null && ready.get(id) == n && n.process.isAlive() && !frozen.contains(id);
    }

    private static String other(String id) {
        return id.equals("node1") ? "node2" : "node1";
    }

    /** The node whose status says it runs the group, asked of the running nodes; null if none. */
    private String holder() throws InterruptedException {
        for (String id : List.of("node1", "node2")) {
            if (!live(id)) {
                continue;
            }
            for (String s : c.node(id).status(Duration.ofSeconds(5))) {
                String[] w = s.split(" ");
                if (w[0].equals("GROUP") && w[1].equals(group) && w[2].equals(id) && w[3].equals("ONLINE")) {
                    return id;
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ sampler

    private Thread startSampler() {
        sampling = true;
        Thread t = new Thread(() -> {
            long bothSince = -1;
            boolean counted = false;
            while (sampling) {
                long now = System.nanoTime();
                boolean l1 = live("node1");
                boolean l2 = live("node2");
                boolean both = l1 && l2 && vipWatch.get("node1").held() && vipWatch.get("node2").held();
                if (both) {
                    if (bothSince < 0) {
                        bothSince = now;
                        counted = false;
                    } else if (!counted && (now - bothSince) / 1_000_000 > VIP_BOTH_MS) {
                        counted = true;
                        vipSplits++;
                        lastSplit = String.format("the floating address on both running nodes for over %d ms (since %.2f s)",
                                VIP_BOTH_MS, c.seconds(bothSince));
                        c.say("CHECKER: " + lastSplit);
                    }
                } else {
                    bothSince = -1;
                }
                boolean held1 = vipWatch.get("node1").held();
                boolean held2 = vipWatch.get("node2").held();
                samples++;
                if (held1 || held2) {
                    samplesHeld++;
                }
                if (name.equals("db")) {
                    boolean m1 = c.mountedVia(c.jvmPid("node1"), "node1");
                    boolean m2 = c.mountedVia(c.jvmPid("node2"), "node2");
                    if (m1 || m2) {
                        samplesMounted++;
                    }
                    if (m1 && m2 && live("node1") && live("node2")) {
                        volumeSplits++;
                        lastSplit = String.format("the volume mounted through open paths on both nodes at %.2f s", c.seconds(now));
                        c.say("CHECKER: " + lastSplit);
                    }
                }
                SharedArrayCluster.pause(100);
            }
        }, "lab-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    // ------------------------------------------------------------------ the nemesis

    private interface Step {
        void run() throws Exception;
    }

    private record Timed(long atMs, String what, Step step) {
    }

    private void runFault(Fault f, int total) throws Exception {
        String holder = holder();
        if (holder == null) {
            holder = "node1";
        }
        String target = f.onHolder() || f.kind() == FaultKind.RESOURCE_KILL || f.kind() == FaultKind.STOP_HANG ? holder : other(holder);
        List<Timed> steps = new ArrayList<>();
        plan(steps, f, target, holder, 0);
        String text = "fault " + f.number() + "/" + total + " (" + name + ", seed " + seed + "): " + f.describe(target)
                + " [holder " + holder + "]";
        if (f.overlap() != null) {
            Fault o = f.overlap();
            String t2 = o.onHolder() ? holder : other(holder);
            plan(steps, o, t2, holder, f.overlapAtMs());
            text += " + overlapping at " + f.overlapAtMs() + " ms: " + o.describe(t2);
        }
        steps.sort(Comparator.comparingLong(Timed::atMs));
        int splitsBefore = vipSplits + volumeSplits;
        long t0 = System.nanoTime();
        phaseStart = t0;
        c.say(text);
        List<String> notes = new ArrayList<>();
        for (Timed s : steps) {
            long wait = s.atMs - (System.nanoTime() - t0) / 1_000_000;
            if (wait > 0) {
                Thread.sleep(wait);
            }
            try {
                s.step.run();
            } catch (Exception e) {
                notes.add(s.what + ": " + e.getMessage());
                c.say("  " + s.what + " failed: " + e.getMessage());
            }
        }
        long healed = System.nanoTime();
        String settle = settle(healed, f);
        if (!settle.isEmpty()) {
            notes.add(settle);
        }
        long t1 = System.nanoTime();
        check(f, target, t0, healed, t1, splitsBefore, notes);
    }

    /** Adds the steps of one fault, starting at {@code at} ms into the phase. */
    private void plan(List<Timed> steps, Fault f, String target, String holder, long at) {
        long end = at + f.durationMs();
        String ns = c.ns(target);
        switch (f.kind()) {
            case JVM_KILL -> {
                steps.add(new Timed(at, "kill -9 of " + target + "'s JVM", () -> c.killJvm(target)));
                steps.add(new Timed(end, "start " + target, () -> {
                    awaitTakeover(target, holder);
                    start(target);
                }));
            }
            case NODE_KILL -> {
                steps.add(new Timed(at, "kill -9 of every process of " + target, () -> c.kill(target)));
                steps.add(new Timed(end, "start " + target, () -> {
                    awaitTakeover(target, holder);
                    start(target);
                }));
            }
            case SIGSTOP_SHORT, SIGSTOP_LONG -> {
                steps.add(new Timed(at, "SIGSTOP " + target, () -> {
                    frozen.add(target);
                    Posix.kill(c.jvmPid(target), Posix.SIGSTOP);
                }));
                steps.add(new Timed(end, "SIGCONT " + target, () -> {
                    if (f.kind() == FaultKind.SIGSTOP_LONG) {
                        awaitTakeover(target, holder);
                    }
                    Posix.kill(c.jvmPid(target), Posix.SIGCONT);
                    frozen.remove(target);
                }));
            }
            case HB_LINK_DOWN -> {
                steps.add(new Timed(at, "heartbeat link down", () -> c.link("hb", false)));
                steps.add(new Timed(end, "heartbeat link up", () -> c.link("hb", true)));
            }
            case HB_SILENT -> {
                steps.add(new Timed(at, "drop every heartbeat of " + target, () -> c.nft(target, table("silent",
                        "udp dport " + HB_PORT + " drop", "udp dport " + HB_PORT + " drop"))));
                steps.add(new Timed(end, "heal " + target, () -> dropTable(target, "silent")));
            }
            case ONE_WAY -> {
                steps.add(new Timed(at, "drop " + target + "'s outgoing heartbeats", () -> c.nft(target, table("oneway",
                        null, "udp dport " + HB_PORT + " drop"))));
                steps.add(new Timed(end, "heal " + target, () -> dropTable(target, "oneway")));
            }
            case LOSS -> {
                String net = f.path().equals("heartbeat") ? "198.51.100.0/24" : "192.0.2.0/24";
                String rule = "udp dport " + HB_PORT + " numgen random mod 100 < " + f.lossPercent() + " drop";
                steps.add(new Timed(at, f.lossPercent() + "% loss on " + target + "'s " + f.path() + " path", () -> c.nft(target,
                        table("loss", "ip saddr " + net + " " + rule, "ip daddr " + net + " " + rule))));
                steps.add(new Timed(end, "heal " + target, () -> dropTable(target, "loss")));
            }
            case PUBLIC_CUT -> {
                steps.add(new Timed(at, "cut " + target + "'s public link", () -> c.link("pub-" + target, false)));
                steps.add(new Timed(end, "restore " + target + "'s public link", () -> c.link("pub-" + target, true)));
            }
            case WITNESS_RESTART -> {
                steps.add(new Timed(at, "kill -9 of the witness", () -> c.killWitness()));
                steps.add(new Timed(end, "start the witness", () -> c.startWitness()));
            }
            case ARRAY_RESTART -> {
                steps.add(new Timed(at, "kill -9 of tgtd", () -> c.killArray()));
                steps.add(new Timed(end, "start tgtd", () -> c.startArray()));
            }
            case RESOURCE_KILL -> steps.add(new Timed(at, "kill a resource of " + target, () -> {
                if (name.equals("web")) {
                    if (!SharedArrayCluster.run("ip", "-n", ns, "addr", "del", SharedArrayCluster.VIP4 + "/24", "dev", "pub0")) {
                        c.say("  (the address was not on " + target + ")");
                    }
                } else {
                    long pm = postmaster(target);
                    c.say("  kill -9 of PostgreSQL's postmaster on " + target + " (pid " + pm + ")");
                    if (pm > 0) {
                        Posix.kill(pm, Posix.SIGKILL);
                    }
                }
            }));
            case STOP_HANG -> {
                Path hang = c.dir.resolve("hang-stop-" + target);
                steps.add(new Timed(at, "stop of " + target + "'s service hangs; switchover to " + other(target), () -> {
                    Files.writeString(hang, "hang\n");
                    c.node(target).send("switchover " + group + " " + other(target));
                }));
                steps.add(new Timed(end, "the hung stop returns", () -> Files.deleteIfExists(hang)));
            }
            case CLEAN_RESTART -> steps.add(new Timed(at, "SIGTERM to " + target + ", wait, start", () -> {
                long pid = c.jvmPid(target);
                Posix.kill(pid, Posix.SIGTERM);
                NodeProc n = c.node(target);
                if (!n.process.waitFor(60, TimeUnit.SECONDS)) {
                    c.say("  " + target + " did not exit within 60 s of SIGTERM: kill -9");
                    c.kill(target);
                }
                start(target);
            }));
            default -> throw new IllegalStateException(f.kind().toString());
        }
    }

    /**
     * When the nemesis took the holder away (killed, or stopped longer than the takeover deadline), the lab gives it
     * back only once the survivor serves, or once the bound has passed: restarting it earlier would hide a takeover
     * that never happens (in production the node stays down until an operator acts).
     */
    private void awaitTakeover(String target, String holder) throws Exception {
        if (!target.equals(holder)) {
            return;
        }
        long deadline = phaseStart + (boundMs + 1000) * 1_000_000L;
        while (System.nanoTime() - deadline < 0) {
            readHistory();
            if (recent.stream().anyMatch(r -> r.ok && r.start > phaseStart && r.node.equals(other(target)))) {
                return;
            }
            Thread.sleep(50);
        }
        c.say("  no answer from " + other(target) + " within the bound of " + boundMs + " ms: giving " + target + " back");
    }

    private static String table(String name, String in, String out) {
        StringBuilder s = new StringBuilder("table inet lab_" + name + " {\n");
        if (in != null) {
            s.append("  chain in { type filter hook input priority 0; policy accept; ").append(in).append("; }\n");
        }
        if (out != null) {
            s.append("  chain out { type filter hook output priority 0; policy accept; ").append(out).append("; }\n");
        }
        return s.append("}\n").toString();
    }

    private void dropTable(String who, String table) throws IOException {
        if (!c.nftQuiet(who, "delete", "table", "inet", "lab_" + table)) {
            throw new IOException("could not delete nftables table lab_" + table + " in " + c.ns(who));
        }
    }

    private long postmaster(String id) {
        for (long pid : c.pids(id)) {
            try {
                String comm = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
                if (!comm.equals("postgres")) {
                    continue;
                }
                long parent = ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
                String pcomm = Files.readString(Path.of("/proc", Long.toString(parent), "comm")).trim();
                if (!pcomm.equals("postgres")) {
                    return pid;
                }
            } catch (IOException | RuntimeException e) {
                // gone
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ settling

    /** Brings the cluster back to quiet after a healed fault; returns what went wrong, or "". */
    private String settle(long healed, Fault f) throws Exception {
        List<String> problems = new ArrayList<>();
        for (String id : List.of("node1", "node2")) {
            NodeProc n = c.node(id);
            if (n == null || !n.process.isAlive()) {
                c.say("  " + id + " is not running after the fault: start it");
                start(id);
            }
        }
        for (String id : List.of("node1", "node2")) {
            if (!c.awaitPeer(id, other(id), Duration.ofSeconds(30))) {
                problems.add(id + " does not see " + other(id) + " 30 s after the heal");
            }
        }
        long deadline = healed + (boundMs + 30_000) * 1_000_000L;
        boolean back = false;
        boolean cleared = false;
        while (System.nanoTime() - deadline < 0) {
            readHistory();
            boolean answered = recent.stream().anyMatch(r -> r.ok && r.start > healed);
            String h = holder();
            if (answered && h != null) {
                back = true;
                break;
            }
            if (!cleared && (System.nanoTime() - healed) / 1_000_000 > Math.min(boundMs, 5000)) {
                // as an operator does after a fault: clear what the fault left failed or blocked
                cleared = true;
                for (String id : List.of("node1", "node2")) {
                    String r = c.node(id).command("clear " + group, Duration.ofSeconds(10));
                    c.say("  clear " + group + " on " + id + ": " + r);
                }
            }
            Thread.sleep(200);
        }
        if (!back) {
            problems.add("the service is not back " + (boundMs + 30_000) + " ms after the heal");
        }
        if (!cleared) {
            for (String id : List.of("node1", "node2")) {
                c.node(id).command("clear " + group, Duration.ofSeconds(10));
            }
        }
        Thread.sleep(1500);
        return String.join("; ", problems);
    }

    // ------------------------------------------------------------------ the checker

    private void readHistory() throws IOException {
        if (historyFile == null || !Files.exists(historyFile)) {
            return;
        }
        try (RandomAccessFile f = new RandomAccessFile(historyFile.toFile(), "r")) {
            if (f.length() <= historyOffset) {
                return;
            }
            f.seek(historyOffset);
            byte[] b = new byte[(int) (f.length() - historyOffset)];
            f.readFully(b);
            String text = new String(b, StandardCharsets.UTF_8);
            int last = text.lastIndexOf('\n');
            if (last < 0) {
                return;
            }
            historyOffset += text.substring(0, last + 1).getBytes(StandardCharsets.UTF_8).length;
            for (String l : text.substring(0, last).split("\n")) {
                String[] w = l.split(" ", 9);
                if (w.length < 8 || !w[0].equals("H")) {
                    continue;
                }
                Req r = new Req(Integer.parseInt(w[1]), Long.parseLong(w[2]), Long.parseLong(w[3]), Long.parseLong(w[4]),
                        w[5].equals("ok"), w[6], w[7], w.length > 8 ? w[8] : "");
                recent.add(r);
                if (r.ok && name.equals("db")) {
                    acked.add(r.seq);
                    ackedBy.put(r.seq, r);
                }
            }
        }
        // keep two minutes of history in memory
        long keep = System.nanoTime() - 120_000_000_000L;
        if (recent.size() > 50_000 || (!recent.isEmpty() && recent.get(0).end < keep)) {
            recent.removeIf(r -> r.end < keep);
        }
    }

    private void check(Fault f, String target, long t0, long healed, long t1, int splitsBefore, List<String> notes)
            throws Exception {
        readHistory();
        List<Req> window = recent.stream().filter(r -> r.end >= t0 - 2_000_000_000L && r.start <= t1).toList();
        // outage: the longest gap between successive successful answers (by end time) within [t0, t1]
        List<Req> oks = window.stream().filter(Req::ok).sorted(Comparator.comparingLong(Req::end)).toList();
        long prev = t0;
        for (Req r : oks) {
            if (r.end < t0) {
                prev = r.end;
            }
        }
        long maxGap = 0;
        for (Req r : oks) {
            if (r.end >= t0 && r.end <= t1) {
                maxGap = Math.max(maxGap, r.end - prev);
                prev = r.end;
            }
        }
        maxGap = Math.max(maxGap, t1 - prev - 1_600_000_000L); // still down at the end (minus the quiet 1.5 s)
        long outageMs = Math.max(0, maxGap / 1_000_000);
        long bound = boundMs + (f.kind() == FaultKind.STOP_HANG ? stopTimeoutMs : 0);
        boolean over = outageMs > bound;
        List<String> problems = new ArrayList<>(notes);
        if (over) {
            problems.add("outage " + outageMs + " ms over the bound " + bound + " ms");
        }
        // split brain by answers: overlapping intervals answered by different nodes
        int split = 0;
        List<Req> byStart = oks.stream().filter(r -> r.start >= t0).sorted(Comparator.comparingLong(Req::start)).toList();
        for (int i = 0; i < byStart.size() && split == 0; i++) {
            Req a = byStart.get(i);
            for (int j = i + 1; j < byStart.size() && byStart.get(j).start <= a.end; j++) {
                Req b = byStart.get(j);
                if (!a.node.equals(b.node)) {
                    split++;
                    problems.add("split brain: request " + a.seq + " answered by " + a.node + " (gen " + a.gen + ") and request "
                            + b.seq + " answered by " + b.node + " (gen " + b.gen + ") overlap in time");
                    break;
                }
            }
        }
        long maxGen = -1;
        long maxGenEnd = 0;
        Req maxReq = null;
        for (Req r : byStart) {
            long g = r.genNumber();
            if (g >= 0 && maxReq != null && g < maxGen && r.start > maxGenEnd) {
                split++;
                problems.add("split brain: request " + r.seq + " answered by " + r.node + " generation " + g + " after request "
                        + maxReq.seq + " had been answered by " + maxReq.node + " generation " + maxGen);
                break;
            }
            if (g > maxGen) {
                maxGen = g;
                maxGenEnd = r.end;
                maxReq = r;
            }
        }
        int sampled = vipSplits + volumeSplits - splitsBefore;
        if (sampled > 0) {
            split += sampled;
            problems.add("split brain: " + lastSplit);
        }
        long lost = 0;
        if (name.equals("db")) {
            lost = checkWrites();
            if (lost > 0) {
                problems.add(lost + " acknowledged writes lost");
            }
        }
        boolean passed = problems.isEmpty();
        Result r = new Result(name, f, target, outageMs, bound, split, lost, over, passed, String.join("; ", problems));
        results.add(r);
        c.say(String.format("  -> %s: recovery %d ms (bound %d ms)%s", passed ? "ok" : "FAILED", outageMs, bound,
                passed ? "" : ": " + r.note()));
        if (!passed) {
            failures.add(name + " fault " + f.number() + " (" + f.describe(target) + "): " + r.note());
            printFailure(f, target, t0, healed, t1, window, r);
        }
    }

    /** Every acknowledged write must be in the table; returns how many are missing (newly found). */
    private long checkWrites() throws Exception {
        Path dump = c.dir.resolve("present.txt");
        long from = System.nanoTime();
        client.send("dump " + dump);
        Line d = client.await(from, l -> l.startsWith("DUMPED") || l.startsWith("DUMP-FAILED"), Duration.ofSeconds(70));
        if (d == null || !d.text().startsWith("DUMPED")) {
            c.say("  CHECKER: cannot read the table: " + (d == null ? "no answer" : d.text()));
            return 0;
        }
        readHistory();
        Set<Long> present = new HashSet<>();
        for (String s : Files.readAllLines(dump)) {
            if (!s.isBlank()) {
                present.add(Long.parseLong(s.trim()));
            }
        }
        String[] dw = d.text().split(" ");
        long asked = dw.length > 2 ? Long.parseLong(dw[2]) : from;
        // a write acknowledged before the query was sent must be in its answer; later ones are checked next time
        List<Long> missing = acked.stream().filter(s -> !present.contains(s) && ackedBy.get(s).end < asked).sorted().toList();
        if (!missing.isEmpty()) {
            for (Long s : missing.subList(0, Math.min(10, missing.size()))) {
                Req r = ackedBy.get(s);
                c.say(String.format("  CHECKER: lost write %d, acknowledged by %s (gen %s) at %.3f s", s, r.node, r.gen, c.seconds(r.end)));
            }
            missing.forEach(acked::remove); // count each once
        }
        lostWrites += missing.size();
        return missing.size();
    }

    private void printFailure(Fault f, String target, long t0, long healed, long t1, List<Req> window, Result r) {
        StringBuilder s = new StringBuilder();
        s.append("==== FAULT LAB FAILURE (").append(name).append(" cluster, seed ").append(seed).append(", fault ")
                .append(f.number()).append(") ====\n");
        s.append("fault: ").append(f.describe(target)).append(f.overlap() == null ? "" : " + " + f.overlap().describe("?"))
                .append('\n');
        s.append("found: ").append(r.note()).append('\n');
        s.append(String.format("phase: fault at %.3f s, healed at %.3f s, settled at %.3f s; bound %d ms%n", c.seconds(t0),
                c.seconds(healed), c.seconds(t1), r.boundMs()));
        s.append("-- events from every node --\n");
        List<String[]> ev = new ArrayList<>();
        synchronized (incarnations) {
            for (NodeProc p : incarnations) {
                for (Line l : p.linesSince(t0 - 2_000_000_000L)) {
                    // the node's own event lines; its log lines ("[thread] LEVEL ...") repeat them
                    if (l.nanos() <= t1 && !l.text().startsWith("[")) {
                        ev.add(new String[] {Long.toString(l.nanos()), p.name, l.text()});
                    }
                }
            }
        }
        ev.sort(Comparator.comparingLong(e -> Long.parseLong(e[0])));
        for (String[] e : ev) {
            String text = e[2];
            String[] w = text.split(" ", 5);
            if (w[0].equals("EVENT") && w.length == 5) {
                text = w[2] + " " + w[3] + " " + w[4];
            }
            s.append(String.format("%9.3f %-5s %s%n", c.seconds(Long.parseLong(e[0])), e[1], text));
        }
        s.append("-- client history (runs of like answers per thread) --\n");
        for (int th = 1; th <= 2; th++) {
            Req first = null;
            Req last = null;
            int n = 0;
            for (Req q : window.stream().filter(q -> q.start >= t0 - 1_000_000_000L).toList()) {
                if (q.thread != th) {
                    continue;
                }
                if (first != null && (q.ok != first.ok || !q.node.equals(first.node) || !q.gen.equals(first.gen))) {
                    s.append(run(th, first, last, n));
                    first = null;
                }
                if (first == null) {
                    first = q;
                    n = 0;
                }
                last = q;
                n++;
            }
            if (first != null) {
                s.append(run(th, first, last, n));
            }
        }
        s.append("==== end of failure report ====");
        out.println(s);
    }

    private String run(int th, Req first, Req last, int n) {
        return String.format("  thread %d %9.3f-%9.3f %-4s %-5s gen %-3s x%d %s%n", th, c.seconds(first.start), c.seconds(last.end),
                first.ok ? "ok" : "fail", first.node, first.gen, n, first.ok ? "" : first.detail);
    }
}
