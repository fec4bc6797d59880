package org.tandemha.examples.sharedarray;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * Runs the shared-array example cluster and its faults ({@code examples/shared-array/run.sh}).
 *
 * <pre>
 * java -cp ... org.tandemha.examples.sharedarray.SharedArrayMain --scenario kill|sigstop|public|partition|switchover|all
 *      [--runs N] [--classpath CP]
 * </pre>
 *
 * With {@code --runs N} (the fault suite) each scenario runs N times on one cluster and a table is printed:
 * fault, runs, failovers, split brains, lost writes, time to service back (p50 and max). Exit status 0 when every
 * run passed its checks, 1 otherwise, 2 for bad usage or a set-up failure.
 */
public final class SharedArrayMain {
    static final List<String> SCENARIOS = List.of("kill", "kill-app", "sigstop", "public", "partition", "isolate", "switchover");
    /** The bound for the service to be back after a failover (detection, safety check, fsck, PostgreSQL recovery). */
    static final Duration SERVICE_BOUND = Duration.ofSeconds(30);

    private SharedArrayMain() {
    }

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: SharedArrayMain --scenario kill|kill-app|sigstop|public|partition|isolate|switchover|all [--runs N] [--classpath CP]\nThe shared-array cluster and its fault scenarios (root; examples/shared-array/run.sh runs it).");
            return;                                             // --help: usage, exit 0
        }
        String scenario = "kill";
        int runs = 1;
        String cp = System.getProperty("java.class.path");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scenario" -> scenario = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--classpath" -> cp = args[++i];
                default -> {
                    System.err.println("unknown option " + args[i] + "; use --scenario " + String.join("|", SCENARIOS)
                            + "|all [--runs N]");
                    System.exit(2);
                }
            }
        }
        List<String> which = scenario.equals("all") ? SCENARIOS : List.of(scenario.split(","));
        for (String s : which) {
            if (!SCENARIOS.contains(s)) {
                System.err.println("unknown scenario '" + s + "'; choose from " + String.join(", ", SCENARIOS) + " or all");
                System.exit(2);
            }
        }
        if (!Posix.isRoot()) {
            System.err.println("the shared-array cluster needs root (namespaces, tgtd, loop devices, mounts); run it with sudo");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Suite suite = new Suite(cp, out);
        boolean ok = suite.run(which, runs);
        System.exit(ok ? 0 : 1);
    }

    /** One run of one fault, as checked. */
    record Run(String fault, boolean failedOver, int splitBrains, long lostWrites, long serviceBackMs, boolean passed, String note) {
    }

    /** The cluster, the runs, the table. */
    static final class Suite {
        private final String classpath;
        private final PrintStream out;
        final List<Run> results = new ArrayList<>();
        private SharedArrayCluster c;
        private final AtomicInteger splitSamples = new AtomicInteger();
        private final AtomicBoolean watching = new AtomicBoolean();
        private String lastSplit = "";

        Suite(String classpath, PrintStream out) {
            this.classpath = classpath;
            this.out = out;
        }

        boolean run(List<String> scenarios, int runs) throws Exception {
            try (SharedArrayCluster cluster = new SharedArrayCluster(SharedArrayCluster.Layout.SHARED_ARRAY, classpath, out)) {
                c = cluster;
                try {
                    up();
                } catch (IOException e) {
                    out.println("SET-UP FAILED: " + e.getMessage());
                    return false;
                }
                Thread watcher = startWatcher();
                try {
                    for (String s : scenarios) {
                        for (int i = 1; i <= runs; i++) {
                            out.println();
                            c.say("=== scenario " + s + (runs > 1 ? " (run " + i + " of " + runs + ")" : "") + " ===");
                            Run r;
                            try {
                                r = switch (s) {
                                    case "kill" -> kill();
                                    case "kill-app" -> killApp();
                                    case "sigstop" -> sigstop();
                                    case "public" -> publicCut();
                                    case "partition" -> partition();
                                    case "isolate" -> isolate();
                                    case "switchover" -> switchover();
                                    default -> throw new IllegalArgumentException(s);
                                };
                            } catch (IOException | RuntimeException e) {
                                r = new Run(s, false, 0, 0, -1, false, "error: " + e);
                            }
                            results.add(r);
                            c.say((r.passed ? "PASS " : "FAIL ") + s + ": " + r.note);
                            if (!restore()) {
                                c.say("could not bring the cluster back to its preferred layout; stopping here");
                                printTable();
                                return false;
                            }
                        }
                    }
                } finally {
                    watching.set(false);
                    watcher.join(2000);
                }
                printTable();
                return results.stream().allMatch(Run::passed);
            }
        }

        // ------------------------------------------------------------ cluster

        private void up() throws Exception {
            c.setUp();
            c.startNodes("node1", "node2");
            NodeProc client = c.startClient();
            if (!c.awaitOnline("node1", "db", Duration.ofSeconds(120))) {
                throw new IOException("group db did not come online on node1 within 120 s; see " + c.dir.resolve("node1.log"));
            }
            c.say("group db online on node1: volume mounted (through " + c.loops().get("node1") + "), PostgreSQL up, VIP1 "
                    + SharedArrayCluster.VIP1);
            if (!c.awaitOnline("node2", "app", Duration.ofSeconds(60))) {
                throw new IOException("group app did not come online on node2 within 60 s; see " + c.dir.resolve("node2.log"));
            }
            c.say("group app online on node2: VIP2 " + SharedArrayCluster.VIP2 + ", HTTP service writing to PostgreSQL through VIP1");
            client.send("observe " + c.lunUrl() + " " + c.prefix);
            Line res = client.await(0, l -> l.startsWith("RES"), Duration.ofSeconds(10));
            c.say("reservation: " + (res == null ? "(not read)" : res.text().replaceFirst("RES \\d+ ", "")));
        }

        /** Samples every 100 ms: both nodes running (not frozen) and both mounting the volume is a split brain. */
        private Thread startWatcher() {
            watching.set(true);
            Thread t = new Thread(() -> {
                while (watching.get()) {
                    boolean m1 = c.mounted("node1") && !c.frozen("node1");
                    boolean m2 = c.mounted("node2") && !c.frozen("node2");
                    if (m1 && m2) {
                        splitSamples.incrementAndGet();
                         lastSplit = "both node1 and node2 have the volume mounted through open paths at " + String.format("%.2f s",
                                c.seconds(System.nanoTime()));
                    }
                    SharedArrayCluster.pause(100);
                }
            }, "split-brain-watch");
            t.setDaemon(true);
            t.start();
            return t;
        }

        private String where(String group) throws InterruptedException {
            for (String id : List.of("node1", "node2")) {
                NodeProc n = c.node(id);
                if (n == null || !n.process.isAlive() || c.frozen(id)) {
                    continue;
                }
                for (String s : n.status(Duration.ofSeconds(5))) {
                    String[] w = s.split(" ");
                    if (w[0].equals("GROUP") && w[1].equals(group) && w[3].equals("ONLINE")) {
                        return id;
                    }
                }
            }
            return "nowhere";
        }

        /** Brings both nodes up, db on node1 and app on node2 (restarting a killed node, switching back). */
        private boolean restore() throws Exception {
            for (String id : List.of("node1", "node2")) {
                NodeProc n = c.node(id);
                if (n == null || !n.process.isAlive()) {
                    c.startNode(id);
                }
            }
            String other = "node2";
            if (!c.awaitPeer("node1", other, Duration.ofSeconds(30))) {
                c.say("node1 does not see node2");
                return false;
            }
            for (String[] g : new String[][] {{"db", "node1"}, {"app", "node2"}}) {
                String now = "nowhere";
                for (int i = 0; i < 60 && now.equals("nowhere"); i++) {
                    now = where(g[0]);
                    if (now.equals("nowhere")) {
                        Thread.sleep(500);
                    }
                }
                if (!now.equals(g[1])) {
                    String r = c.node(g[1]).command("switchback " + g[0], Duration.ofSeconds(90));
                    boolean cleared = false;
                    for (int i = 0; i < 20 && r.startsWith("refused"); i++) {
                        if (!cleared && !r.contains("restarted moments ago") && !r.contains("state yet")) {
                            // Blocked there by the fault (a failed check, a stand-down): the operator clears it first.
                            c.say("administrator clears " + g[0] + " on " + g[1] + ": " + c.node(g[1]).command("clear " + g[0],
                                    Duration.ofSeconds(10)));
                            cleared = true;
                        }
                        Thread.sleep(500); // a node that has just restarted is trusted after a moment
                        r = c.node(g[1]).command("switchback " + g[0], Duration.ofSeconds(90));
                    }
                    c.say("administrator switchback of " + g[0] + " to " + g[1] + ": " + r);
                    if (!c.awaitOnline(g[1], g[0], Duration.ofSeconds(90))) {
                        return false;
                    }
                }
            }
            return true;
        }

        // ------------------------------------------------------------ scenarios

        /** Starts the write workload; returns the time writes began. */
        private void startWrites() throws InterruptedException {
            NodeProc client = c.client();
            client.send("writes http://" + SharedArrayCluster.VIP2 + ":8080");
            client.await(0, l -> l.startsWith("WRITES-STARTED"), Duration.ofSeconds(5));
            Thread.sleep(2000);
        }

        /** Stops the workload and checks that every acknowledged write is in the database; returns lost writes or -1. */
        private long stopWritesAndVerify() throws InterruptedException {
            NodeProc client = c.client();
            long from = System.nanoTime();
            client.send("writes stop");
            Line w = client.await(from, l -> l.startsWith("WRITES "), Duration.ofSeconds(10));
            from = System.nanoTime();
            client.send("verify http://" + SharedArrayCluster.VIP2 + ":8080");
            Line v = client.await(from, l -> l.startsWith("VERIFY"), Duration.ofSeconds(70));
            c.say("client: " + (w == null ? "?" : w.text().substring(7)) + "; " + (v == null ? "no verify answer" : v.text()));
            if (v == null || !v.text().contains("lost=")) {
                return -1;
            }
            return Long.parseLong(v.text().replaceAll(".*lost=(\\d+).*", "$1"));
        }

        /** Arms the client: the next write acknowledged after now prints UP. */
        private long arm() throws InterruptedException {
            long from = System.nanoTime();
            c.client().send("arm");
            Line a = c.client().await(from, l -> l.startsWith("ARMED"), Duration.ofSeconds(5));
            return a == null ? from : Long.parseLong(a.text().split(" ")[1]);
        }

        private long serviceBack(long since) throws InterruptedException {
            return serviceBack(since, since);
        }

        /** Milliseconds from {@code faultAt} to the first write acknowledged that was sent after {@code armed}. */
        private long serviceBack(long armed, long faultAt) throws InterruptedException {
            Line up = c.client().await(armed, l -> l.startsWith("UP "), SERVICE_BOUND.plusSeconds(10));
            return up == null ? -1 : (Long.parseLong(up.text().split(" ")[1]) - faultAt) / 1_000_000;
        }

        private int splitBrainsDuring(Runnable r) {
            int before = splitSamples.get();
            r.run();
            return splitSamples.get() - before;
        }

        private Run kill() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long killedAt = System.nanoTime();
            int n = c.kill("node1");
            long armed = arm();
            c.say("kill -9 of node1's whole process tree (" + n + " processes: JVM, PostgreSQL)");
            for (String s : events("node2", killedAt, Duration.ofSeconds(40), "FAILOVER_FINISHED db", "SAFETY_CHECK", "FAILOVER_STARTED db", "STAND_DOWN", "RESOURCE_START_FAILED")) {
                c.say("  " + s);
            }
            boolean moved = c.awaitOnline("node2", "db", SERVICE_BOUND);
            long back = serviceBack(armed, killedAt);
            c.say(moved ? "group db is online on node2; first acknowledged write " + back + " ms after the kill"
                    : "group db did NOT come online on node2");
            Thread.sleep(2000);
            long lost = stopWritesAndVerify();
            int split = splitSamples.get() - before;
            boolean pass = moved && back >= 0 && back <= SERVICE_BOUND.toMillis() && lost == 0 && split == 0;
            return new Run("kill", moved, split > 0 ? 1 : 0, lost, back, pass,
                    "db moved to node2: " + moved + ", lost writes " + lost + ", split-brain samples " + split);
        }

        /** Kill -9 of node2's whole tree: the application group (VIP2 and the HTTP service) moves to node1. */
        private Run killApp() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long killedAt = System.nanoTime();
            int n = c.kill("node2");
            long armed = arm();
            c.say("kill -9 of node2's whole process tree (" + n + " processes)");
            for (String s : events("node1", killedAt, Duration.ofSeconds(20), "FAILOVER_FINISHED app", "SAFETY_CHECK")) {
                c.say("  " + s);
            }
            boolean moved = c.awaitOnline("node1", "app", SERVICE_BOUND);
            long back = serviceBack(armed, killedAt);
            c.say(moved ? "group app is online on node1 (next to db); first acknowledged write " + back + " ms after the kill"
                    : "group app did NOT come online on node1");
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splitSamples.get() - before;
            boolean pass = moved && back >= 0 && back <= SERVICE_BOUND.toMillis() && lost == 0 && split == 0;
            return new Run("kill-app", moved, split > 0 ? 1 : 0, lost, back, pass,
                    "app moved to node1: " + moved + ", lost writes " + lost + ", split-brain samples " + split);
        }

        private Run sigstop() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long stoppedAt = System.nanoTime();
            int n = c.signal("node1", 19);
            long armed = arm();
            c.say("SIGSTOP to node1's " + n + " processes (the takeover deadline is about 1 s)");
            boolean moved = c.awaitOnline("node2", "db", SERVICE_BOUND);
            long back = serviceBack(armed, stoppedAt);
            c.say(moved ? "group db is online on node2; first acknowledged write " + back + " ms after the SIGSTOP"
                    : "group db did NOT come online on node2");
            Thread.sleep(2000);
            long resumed = System.nanoTime();
            c.signal("node1", 18);
            c.say("SIGCONT to node1");
            List<String> seen = events("node1", resumed, Duration.ofSeconds(20), "RESOURCE_STOPPED db/data", "CHECK_FAILED db/gate",
                    "STAND_DOWN", "RESOURCE_STOPPED db/pg", "RESOURCE_STOP_FAILED");
            for (String s : seen) {
                c.say("  " + s);
            }
            boolean cut = !c.mounted("node1");
            boolean unmounted = false;
            for (int i = 0; i < 100 && !unmounted; i++) {
                unmounted = !c.mountedAtAll("node1");
                if (!unmounted) {
                    Thread.sleep(100);
                }
            }
            c.say("node1's path to the volume is " + (cut ? "cut (its writes fail)" : "STILL OPEN") + "; node1 "
                    + (unmounted ? "unmounted the volume" : "STILL has the volume mounted") + " ("
                    + String.format("%.1f s", (System.nanoTime() - resumed) / 1e9) + " after SIGCONT)");
            unmounted = unmounted && cut;
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splitSamples.get() - before;
            boolean pass = moved && back >= 0 && lost == 0 && unmounted && split == 0;
            return new Run("sigstop", moved, split > 0 ? 1 : 0, lost, back, pass,
                    "db moved to node2: " + moved + ", node1 stood down: " + unmounted + ", lost writes " + lost
                            + ", split-brain samples " + split + (split > 0 ? " (" + lastSplit + ")" : ""));
        }

        private Run publicCut() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long armed = arm();
            c.link("pub-node1", false);
            c.say("node1's public link cut (switch port down)");
            for (String s : events("node1", armed, Duration.ofSeconds(20), "CHECK_FAILED db/vip1", "FAILOVER_STARTED db")) {
                c.say("  " + s);
            }
            boolean moved = c.awaitOnline("node2", "db", SERVICE_BOUND);
            long back = serviceBack(armed);
            c.say(moved ? "group db is online on node2 (it still serves clients); first acknowledged write " + back
                    + " ms after the cut" : "group db did NOT move to node2");
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            c.link("pub-node1", true);
            c.say("node1's public link restored");
            // The group is blocked on node1 after its failed check there: the operator clears it before switching back.
            c.say("clear db on node1: " + c.node("node1").command("clear db", Duration.ofSeconds(10)));
            int split = splitSamples.get() - before;
            boolean pass = moved && back >= 0 && lost == 0 && split == 0;
            return new Run("public", moved, split > 0 ? 1 : 0, lost, back, pass,
                    "db moved to node2: " + moved + ", lost writes " + lost + ", split-brain samples " + split);
        }

        private Run partition() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long from = System.nanoTime();
            c.link("hb", false);
            c.node("node1").command("path public off", Duration.ofSeconds(5));
            c.node("node2").command("path public off", Duration.ofSeconds(5));
            c.say("every network heartbeat link cut: heartbeat link down, public path off on both nodes");
            Thread.sleep(6000);
            for (String id : List.of("node1", "node2")) {
                for (String s : events(id, from, Duration.ZERO, "PATH_DOWN", "SAFETY_CHECK", "STAND_DOWN", "FAILOVER_STARTED")) {
                    c.say("  " + s);
                }
            }
            String db = where("db");
            String app = where("app");
            c.say("after 6 s: db on " + db + ", app on " + app);
            c.link("hb", true);
            c.node("node1").command("path public on", Duration.ofSeconds(5));
            c.node("node2").command("path public on", Duration.ofSeconds(5));
            c.say("links restored");
            Thread.sleep(2000);
            long lost = stopWritesAndVerify();
            int split = splitSamples.get() - before;
            boolean moved = !db.equals("node1") || !app.equals("node2");
            boolean pass = !db.equals("nowhere") && lost == 0 && split == 0;
            return new Run("partition", moved, split > 0 ? 1 : 0, lost, 0, pass,
                    "db on " + db + ", app on " + app + ", lost writes " + lost + ", split-brain samples " + split);
        }

        /**
         * Node1 cut off from every network (public, heartbeat, storage): its tie-breaker probe of the gateway fails, so
         * it stands down; node2's probe answers, and its SCSI preempt wins: it takes the database over.
         */
        private Run isolate() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long cutAt = System.nanoTime();
            c.link("pub-node1", false);
            c.link("san-node1", false);
            c.link("hb", false);
            long armed = arm();
            c.say("node1 cut off from every network: public, storage and heartbeat links down");
            for (String s : events("node2", cutAt, Duration.ofSeconds(20), "SAFETY_CHECK")) {
                c.say("  " + s);
            }
            for (String s : events("node1", cutAt, Duration.ZERO, "SAFETY_CHECK", "STAND_DOWN", "FAILOVER_STARTED db")) {
                c.say("  " + s);
            }
            boolean moved = c.awaitOnline("node2", "db", SERVICE_BOUND);
            long back = serviceBack(armed, cutAt);
            c.say(moved ? "group db is online on node2; first acknowledged write " + back + " ms after the cut"
                    : "group db did NOT move to node2");
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            c.link("pub-node1", true);
            c.link("san-node1", true);
            c.link("hb", true);
            c.say("node1's links restored");
            Thread.sleep(2000);
            c.say("clear db on node1: " + c.node("node1").command("clear db", Duration.ofSeconds(10)));
            int split = splitSamples.get() - before;
            boolean pass = moved && back >= 0 && lost == 0 && split == 0;
            return new Run("isolate", moved, split > 0 ? 1 : 0, lost, back, pass,
                    "db moved to node2: " + moved + ", lost writes " + lost + ", split-brain samples " + split);
        }

        private Run switchover() throws Exception {
            startWrites();
            int before = splitSamples.get();
            long armed = arm();
            String r = c.node("node1").command("switchover db node2", Duration.ofSeconds(90));
            c.say("switchover db to node2: " + r);
            boolean moved = c.awaitOnline("node2", "db", SERVICE_BOUND);
            long back = serviceBack(armed);
            c.say("first acknowledged write " + back + " ms after the switchover command");
            Thread.sleep(1000);
            String b = c.node("node1").command("switchback db", Duration.ofSeconds(90));
            c.say("administrator switchback of db (to node1, its preferred node): " + b);
            boolean back1 = c.awaitOnline("node1", "db", SERVICE_BOUND);
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splitSamples.get() - before;
            boolean pass = moved && back1 && lost == 0 && split == 0;
            return new Run("switchover", moved, split > 0 ? 1 : 0, lost, back, pass,
                    "db to node2 and back to node1: " + (moved && back1) + ", lost writes " + lost + ", split-brain samples " + split);
        }

        /** Event lines of a node since {@code from} containing any of the words, waiting until the first matches. */
        private List<String> events(String id, long from, Duration wait, String... words) throws InterruptedException {
            NodeProc n = c.node(id);
            if (n == null) {
                return List.of();
            }
            if (!wait.isZero()) {
                n.await(from, l -> l.startsWith("EVENT ") && contains(l, words[0]), wait);
            }
            List<String> out = new ArrayList<>();
            for (Line l : n.linesSince(from)) {
                if (!l.text().startsWith("EVENT ")) {
                    continue;
                }
                for (String w : words) {
                    if (contains(l.text(), w)) {
                        String t = l.text();
                        String[] f = t.split(" ", 5);
                        out.add(f.length == 5 ? f[4] : t);
                        break;
                    }
                }
            }
            return out;
        }

        private static boolean contains(String line, String words) {
            for (String w : words.split(" ")) {
                if (!line.contains(w)) {
                    return false;
                }
            }
            return true;
        }

        void printTable() {
            Map<String, List<Run>> by = new LinkedHashMap<>();
            for (Run r : results) {
                by.computeIfAbsent(r.fault, k -> new ArrayList<>()).add(r);
            }
            out.println();
            out.printf("%-11s %5s %10s %13s %11s %22s %7s%n", "fault", "runs", "failovers", "split brains", "lost writes",
                    "service back p50/max", "passed");
            for (Map.Entry<String, List<Run>> e : by.entrySet()) {
                List<Run> rs = e.getValue();
                List<Long> backs = rs.stream().map(Run::serviceBackMs).filter(v -> v >= 0).sorted().toList();
                String times = e.getKey().equals("partition") ? "n/a (nothing moves)"
                        : backs.isEmpty() ? "-" : backs.get((backs.size() - 1) / 2) + " / " + backs.get(backs.size() - 1) + " ms";
                out.printf("%-11s %5d %10d %13d %11d %22s %7s%n", e.getKey(), rs.size(), rs.stream().filter(Run::failedOver).count(),
                        rs.stream().mapToInt(Run::splitBrains).sum(), rs.stream().mapToLong(r -> Math.max(0, r.lostWrites)).sum(),
                        times, rs.stream().filter(Run::passed).count() + "/" + rs.size());
            }
        }
    }
}
