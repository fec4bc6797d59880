package org.tandemha.examples.replicated;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * Runs the replicated example cluster and its faults ({@code examples/replicated/run.sh}): two nodes in network
 * namespaces, each with its own PostgreSQL 15 copy, group db promotable (pg replicated, then the floating address
 * {@value SharedArrayCluster#VIP_DB} that follows the primary), a client in a third namespace writing through the
 * floating address all the time.
 *
 * <pre>
 * java -cp ... org.tandemha.examples.replicated.ReplicatedMain --scenario kill|kill-tandem|heartbeat|switchover|netcut|lost-together|lost-together-both|dr|quorum|all
 *      [--runs N] [--mode sync|async|quorum] [--settings ", maxLagOnFailover: 16MB"] [--classpath CP] [--bench]
 * </pre>
 *
 * Every scenario starts from "both nodes up, one primary, one streaming standby" and leaves the cluster so; the
 * node it hits is whichever is the primary then. With {@code --runs N} each scenario runs N times and a table is
 * printed; {@code --bench} prints the figure line {@code replicated failover ms: p50=... p99=... lost_acknowledged=...}
 * over the kill runs. Exit status 0 when every run passed its checks, 1 otherwise, 2 for bad usage or a set-up
 * failure.
 */
public final class ReplicatedMain {
    static final List<String> SCENARIOS = List.of("kill", "kill-tandem", "heartbeat", "switchover");
    /** Durability scenarios (issue 19): {@code netcut} in sync mode; with {@code --mode async}, {@code kill} checks the
     *  loss against the promotion's report and {@code lost-together} needs {@code maxLagOnFailover}. */
    static final List<String> DURABILITY_SCENARIOS = List.of("netcut", "lost-together", "lost-together-both");
    /** The async cluster's replication settings in the suite: any lag refused, so that only a known one passes. */
    static final String ASYNC_SETTINGS = ", maxLagOnFailover: 16MB";
    /** The bound for the primary to answer through the floating address again. */
    static final Duration FAILOVER_BOUND = Duration.ofSeconds(30);
    /** The bound for a restarted old primary to stream as a standby again (rewind or clone included). */
    static final Duration REJOIN_BOUND = Duration.ofSeconds(90);
    static final String N1 = "192.0.2.1";
    static final String N2 = "192.0.2.2";

    private ReplicatedMain() {
    }

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        if (a.contains("--help") || a.contains("-h")) {
            System.out.println("usage: ReplicatedMain --scenario " + String.join("|", SCENARIOS) + "|all [--runs N] [--bench]"
                    + " [--classpath CP]\nThe replicated PostgreSQL cluster and its fault scenarios (root; examples/replicated/run.sh runs it).");
            return;
        }
        String scenario = "kill";
        int runs = 1;
        boolean bench = false;
        String cp = System.getProperty("java.class.path");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scenario" -> scenario = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--classpath" -> cp = args[++i];
                case "--bench" -> bench = true;
                case "--mode" -> System.setProperty("replicated.mode", args[++i]); // the group's replication mode
                case "--settings" -> System.setProperty("replicated.settings", args[++i]); // more replication settings
                default -> {
                    System.err.println("unknown option " + args[i] + "; use --scenario " + String.join("|", SCENARIOS)
                            + "|all [--runs N] [--bench]");
                    System.exit(2);
                }
            }
        }
        if (Suite.async() && System.getProperty("replicated.settings") == null) {
            System.setProperty("replicated.settings", ASYNC_SETTINGS); // (lost-together needs maxLagOnFailover)
        }
        List<String> which = scenario.equals("all") ? SCENARIOS : List.of(scenario.split(","));
        // "dr" (the DR promotion) runs in a cluster of its own, with the DR site's node3 (DrSuite); "all" includes it;
        // so does "quorum" (three nodes in quorum mode, QuorumSuite)
        boolean dr = scenario.equals("all") || which.contains("dr");
        boolean quorum = scenario.equals("all") || which.contains("quorum");
        which = which.stream().filter(s -> !s.equals("dr") && !s.equals("quorum")).toList();
        for (String s : which) {
            if (!SCENARIOS.contains(s) && !DURABILITY_SCENARIOS.contains(s)) {
                System.err.println("unknown scenario '" + s + "'; choose from " + String.join(", ", SCENARIOS) + ", "
                        + String.join(", ", DURABILITY_SCENARIOS) + ", dr, quorum or all");
                System.exit(2);
            }
        }
        if (!Posix.isRoot()) {
            System.err.println("the replicated cluster needs root (network namespaces, PostgreSQL as the postgres user); run it with sudo");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Suite suite = new Suite(cp, out);
        boolean ok = which.isEmpty() || suite.run(which, runs);
        if (bench) {
            suite.printBench();
        }
        boolean setUpFailed = suite.setUpFailed;
        if (dr) {
            DrSuite d = new DrSuite(cp, out);
            ok &= d.run(runs);
            setUpFailed |= d.setUpFailed;
        }
        if (quorum) {
            QuorumSuite q = new QuorumSuite(cp, out);
            ok &= q.run(runs);
            setUpFailed |= q.setUpFailed;
        }
        System.exit(ok ? 0 : setUpFailed ? 2 : 1);
    }

    /**
     * One run of one fault, as checked.
     *
     * @param failoverMs  kill to the new primary answering through the floating address (-1: not measured)
     * @param writesBackMs the fault to the first write acknowledged again through the floating address
     * @param rejoined    whether the old primary came back as a streaming standby (true when not applicable)
     */
    record Run(String fault, boolean failedOver, int splitBrains, long lostWrites, long failoverMs, long writesBackMs,
               boolean rejoined, boolean passed, String note) {
    }

    /** The cluster, the runs, the table. */
    static final class Suite {
        private final String classpath;
        private final PrintStream out;
        final List<Run> results = new ArrayList<>();
        boolean setUpFailed;
        private SharedArrayCluster c;
        private NodeProc client;

        Suite(String classpath, PrintStream out) {
            this.classpath = classpath;
            this.out = out;
        }

        boolean run(List<String> scenarios, int runs) throws Exception {
            try (SharedArrayCluster cluster = new SharedArrayCluster(SharedArrayCluster.Layout.REPLICATED, classpath, out)) {
                c = cluster;
                try {
                    up();
                } catch (IOException e) {
                    c.say("SET-UP FAILED: " + e.getMessage());
                    setUpFailed = true;
                    return false;
                }
                client.send("watch " + N1 + " " + N2);
                try {
                    for (int i = 1; i <= runs; i++) {
                        for (String s : scenarios) {
                            out.println();
                            c.say("=== scenario " + s + (runs > 1 ? " (run " + i + " of " + runs + ")" : "") + " ===");
                            Run r;
                            try {
                                r = switch (s) {
                                    case "kill" -> kill(false);
                                    case "kill-tandem" -> kill(true);
                                    case "heartbeat" -> heartbeatCut();
                                    case "switchover" -> switchover();
                                    case "netcut" -> networkCut();
                                    case "lost-together" -> lostTogether();
                                    case "lost-together-both" -> lostTogetherBoth();
                                    default -> throw new IllegalArgumentException(s);
                                };
                            } catch (IOException | RuntimeException e) {
                                r = new Run(s, false, 0, 0, -1, -1, false, false, "error: " + e);
                            }
                            results.add(r);
                            c.say((r.passed ? "PASS " : "FAIL ") + s + ": " + r.note);
                            if (!healthy()) {
                                c.say("the cluster is not back to one primary and one streaming standby; stopping here (logs in " + c.dir + ")");
                                printTable();
                                return false;
                            }
                        }
                    }
                } finally {
                    client.send("watch stop");
                }
                printTable();
                return results.stream().allMatch(Run::passed);
            }
        }

        // ------------------------------------------------------------ cluster

        private void up() throws Exception {
            c.setUp();
            c.say("configuration: " + c.config() + " (one file; ${node} in the PostgreSQL paths gives each node its own copy)");
            c.startNodes("node1", "node2");
            client = c.startJava("client", "client", ReplicaClient.class.getName(), "CLIENT-READY");
            if (!c.awaitOnline("node1", "db", Duration.ofSeconds(90))) {
                throw new IOException("group db did not come online on node1 within 90 s; see " + c.dir.resolve("node1.log"));
            }
            c.say("group db primary on node1: PostgreSQL promoted on its own copy, floating address " + SharedArrayCluster.VIP_DB);
            if (!awaitRole("node2", "standby streaming", REJOIN_BOUND)) {
                throw new IOException("node2 did not become a streaming standby within " + REJOIN_BOUND.toSeconds() + " s; see "
                        + c.dir.resolve("node2.log") + " and " + c.dir.resolve("pglog/node2.log"));
            }
            c.say("node2 is a streaming standby of node1 (cloned with pg_basebackup)");
            Line init = send("init " + SharedArrayCluster.VIP_DB, "INIT", Duration.ofSeconds(40));
            if (init == null || !init.text().endsWith(" ok")) {
                throw new IOException("the client could not create its tables through " + SharedArrayCluster.VIP_DB + ": "
                        + (init == null ? "no answer" : init.text()));
            }
        }

        private Line send(String command, String answer, Duration wait) throws InterruptedException {
            return SuiteProbes.send(client, command, answer, wait);
        }

        private static String host(String node) {
            return node.equals("node1") ? N1 : N2;
        }

        private static String other(String node) {
            return node.equals("node1") ? "node2" : "node1";
        }

        private String role(String node) throws InterruptedException {
            return SuiteProbes.role(client, host(node));
        }

        private boolean awaitRole(String node, String role, Duration wait) throws InterruptedException {
            return SuiteProbes.awaitRole(client, host(node), role, wait);
        }

        private String primary() throws InterruptedException {
            for (int i = 0; i < 40; i++) {
                for (String n : List.of("node1", "node2")) {
                    if (role(n).equals("primary")) {
                        return n;
                    }
                }
                Thread.sleep(250);
            }
            return null;
        }

        /** One primary and one streaming standby (waiting for the standby a while). */
        private boolean healthy() throws InterruptedException {
            String p = primary();
            return p != null && awaitRole(other(p), "standby streaming", REJOIN_BOUND);
        }

        private int splits(long from) {
            return (int) client.linesSince(from).stream().filter(l -> l.text().startsWith("SPLIT ")).count();
        }

        private void startWrites() throws InterruptedException {
            client.send("writes " + SharedArrayCluster.VIP_DB);
            Thread.sleep(500);
        }

        private long arm() throws InterruptedException {
            Line a = send("arm", "ARMED", Duration.ofSeconds(5));
            return a == null ? System.nanoTime() : Long.parseLong(a.text().split(" ")[1]);
        }

        /** Stops the writes and reads every acknowledged id back from the primary; returns how many are missing. */
        private long stopWritesAndVerify() throws InterruptedException {
            Line w = send("writes stop", "WRITES", Duration.ofSeconds(30));
            Line v = send("verify " + SharedArrayCluster.VIP_DB, "VERIFY", Duration.ofSeconds(40));
            lastVerify = v;
            c.say("client: " + (w == null ? "(no answer)" : w.text().replaceFirst("WRITES \\d+ ", "writes "))
                    + "; read back from the primary: " + (v == null ? "(no answer)" : v.text().replaceFirst("VERIFY \\d+ ", "")));
            if (v == null) {
                return -1;
            }
            String lost = v.text().replaceFirst(".*lost=(-?\\d+).*", "$1");
            return Long.parseLong(lost);
        }

        /** ms from {@code since} to the first write acknowledged after {@code armed}; -1 if none within the wait. */
        private long writesBack(long armed, long since, Duration wait) throws InterruptedException {
            Line up = client.await(armed, l -> l.startsWith("UP "), wait);
            return up == null ? -1 : (Long.parseLong(up.text().split(" ")[1]) - since) / 1_000_000;
        }

        private List<String> events(String node, long from, String... kinds) {
            return SuiteProbes.events(c, node, from, kinds);
        }

        /**
         * Kill -9 of the primary's machine (its JVM and its PostgreSQL: every process in its namespace), or with
         * {@code tandemOnly} of its Tandem JVM alone (its PostgreSQL runs on as a primary, its kernel keeps the floating
         * address). The standby is promoted and the floating address follows; then the old primary's Tandem is
         * started again: it must come back as a standby of the new primary (stopped, rewound, or cloned again), never
         * as a primary; no acknowledged write may be lost, and never may both servers acknowledge writes as primaries.
         */
        private Run kill(boolean tandemOnly) throws Exception {
            String name = tandemOnly ? "kill-tandem" : "kill";
            String p = primary();
            if (p == null) {
                return new Run(name, false, 0, 0, -1, -1, false, false, "no primary before the fault");
            }
            String s = other(p);
            startWrites();
            long from = System.nanoTime();
            long killedAt = System.nanoTime();
            String what;
            java.util.Set<Long> machinePids = java.util.Set.of();
            if (tandemOnly) {
                long pid = c.killJvm(p);
                what = "kill -9 of " + p + "'s Tandem JVM alone (pid " + pid + "; its PostgreSQL runs on as a primary)";
            } else {
                machinePids = c.pids(p);
                int n = c.kill(p);
                what = "kill -9 of " + p + "'s whole machine (" + n + " processes: Tandem JVM, PostgreSQL)";
            }
            long armed = arm();
            c.say(what);
            Line prim = send("primary " + SharedArrayCluster.VIP_DB + " " + s + " " + FAILOVER_BOUND.toMillis(), "PRIMARY",
                    FAILOVER_BOUND.plusSeconds(5));
            boolean moved = prim != null && prim.text().contains(" ok ");
            long failover = moved ? (prim.nanos() - killedAt) / 1_000_000 : -1;
            for (String e : events(s, from, "PROMOTED", "SAFETY_CHECK", "FAILOVER_STARTED", "FAILOVER_FINISHED")) {
                c.say("  " + s + ": " + e);
            }
            c.say(moved ? s + "'s server answers as the primary through " + SharedArrayCluster.VIP_DB + " " + failover
                    + " ms after the kill" : s + " did NOT answer as the primary through the floating address: "
                    + (prim == null ? "no answer" : prim.text()));
            // the old primary's machine (or daemon) comes back. A machine that died has no process left: wait until
            // this container's init has reaped the killed ones (a dead postmaster's zombie would hold its lock file)
            for (int i = 0; i < 100 && machinePids.stream().anyMatch(x -> java.nio.file.Files.exists(java.nio.file.Path.of("/proc", Long.toString(x)))); i++) {
                Thread.sleep(50);
            }
            long back = System.nanoTime();
            c.startNode(p);
            boolean rejoined = awaitRole(p, "standby streaming", REJOIN_BOUND);
            for (String e : events(p, back, "STANDBY_STATE", "RESOURCE_STARTED", "RESOURCE_START_FAILED", "RESOURCE_STOPPED",
                    "DEMOTED", "PROMOTED", "NOTE")) {
                c.say("  " + p + ": " + e);
            }
            c.say(p + (rejoined ? " came back as a streaming standby of " + s + " in "
                    + (System.nanoTime() - back) / 1_000_000 + " ms" : " did NOT come back as a streaming standby: " + role(p)));
            long writes = writesBack(armed, killedAt, Duration.ofSeconds(30));
            c.say("first write acknowledged through the floating address " + writes + " ms after the kill"
                    + " (sync mode: the new primary's commits wait for a standby, here the returning one)");
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splits(from);
            boolean promotedOnce = events(p, back, "PROMOTED").isEmpty();
            boolean lossOk = async() ? lossWithinReported(s, from, killedAt, lost) : lost == 0;
            boolean pass = moved && rejoined && lossOk && split == 0 && promotedOnce;
            return new Run(name, moved, split, lost, failover, writes, rejoined, pass, "primary moved " + p + " -> " + s + ": "
                    + moved + ", " + p + " back as standby: " + rejoined + ", lost acknowledged writes " + lost
                    + ", rounds with two primaries " + split + (promotedOnce ? "" : ", " + p + " WAS PROMOTED on its return"));
        }

        /**
         * The heartbeat link cut and the public heartbeat path off on both nodes: no heartbeat path is left, but the
         * witness still hears both nodes, so nothing may move (and writes go on through the floating address).
         */
        private Run heartbeatCut() throws Exception {
            String p = primary();
            if (p == null) {
                return new Run("heartbeat", false, 0, 0, -1, -1, true, false, "no primary before the fault");
            }
            startWrites();
            long from = System.nanoTime();
            c.link("hb", false);
            c.node("node1").command("path public off", Duration.ofSeconds(5));
            c.node("node2").command("path public off", Duration.ofSeconds(5));
            c.say("every heartbeat path cut: heartbeat link down, public path off on both nodes");
            Thread.sleep(6000);
            for (String n : List.of("node1", "node2")) {
                for (String e : events(n, from, "PATH_DOWN", "SAFETY_CHECK", "STAND_DOWN", "FAILOVER_STARTED", "PROMOTED")) {
                    c.say("  " + n + ": " + e);
                }
            }
            String after = role(p);
            c.say("after 6 s: " + p + " is " + after + ", " + other(p) + " is " + role(other(p)));
            c.link("hb", true);
            c.node("node1").command("path public on", Duration.ofSeconds(5));
            c.node("node2").command("path public on", Duration.ofSeconds(5));
            c.say("heartbeat paths restored");
            Thread.sleep(2000);
            long lost = stopWritesAndVerify();
            int split = splits(from);
            boolean moved = !after.equals("primary") || !events(other(p), from, "PROMOTED").isEmpty();
            boolean pass = !moved && lost == 0 && split == 0;
            return new Run("heartbeat", moved, split, lost, -1, -1, true, pass, "primary stayed on " + p + ": " + !moved
                    + ", lost acknowledged writes " + lost + ", rounds with two primaries " + split);
        }

        /** A planned switchover to the standby: the primary is demoted first, then the standby promoted. */
        private Run switchover() throws Exception {
            String p = primary();
            if (p == null) {
                return new Run("switchover", false, 0, 0, -1, -1, false, false, "no primary before the switchover");
            }
            String s = other(p);
            startWrites();
            long from = System.nanoTime();
            long armed = arm();
            String r = c.node(p).command("switchover db " + s, Duration.ofSeconds(90));
            c.say("switchover db to " + s + ": " + r);
            Line prim = send("primary " + SharedArrayCluster.VIP_DB + " " + s + " " + FAILOVER_BOUND.toMillis(), "PRIMARY",
                    FAILOVER_BOUND.plusSeconds(5));
            boolean moved = prim != null && prim.text().contains(" ok ");
            long ms = moved ? (prim.nanos() - from) / 1_000_000 : -1;
            boolean rejoined = awaitRole(p, "standby streaming", REJOIN_BOUND);
            for (String n : List.of(p, s)) {
                for (String e : events(n, from, "DEMOTED", "PROMOTED", "STANDBY_STATE", "SWITCHOVER_FINISHED")) {
                    c.say("  " + n + ": " + e);
                }
            }
            long writes = writesBack(armed, from, Duration.ofSeconds(30));
            c.say(s + " primary through the floating address " + ms + " ms after the command; " + p + " a streaming standby: "
                    + rejoined + "; first write acknowledged again after " + writes + " ms");
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splits(from);
            boolean pass = r.startsWith("accepted") && moved && rejoined && lost == 0 && split == 0;
            return new Run("switchover", moved, split, lost, ms, writes, rejoined, pass, "primary " + p + " -> " + s + ": "
                    + moved + ", " + p + " standby: " + rejoined + ", lost acknowledged writes " + lost
                    + ", rounds with two primaries " + split);
        }

        // ------------------------------------------------------------ durability (issue 19: async, netcut, lost-together)

        /** The last {@code VERIFY} answer (its {@code firstLostAckedAt}: when the oldest lost write was acknowledged). */
        private Line lastVerify;
        /** One line per async promotion: what was lost against what the promotion reported. */
        final List<String> riskReports = new ArrayList<>();

        static boolean async() {
            return System.getProperty("replicated.mode", "sync").equals("async");
        }

        private static final java.util.regex.Pattern AT_RISK = java.util.regex.Pattern.compile(
                "data at risk: (\\d+) bytes, ([0-9.]+) s");

        /**
         * Async mode: the acknowledged writes lost must all be younger than the seconds at risk the promotion on
         * {@code promoted} reported (no acknowledged write older than that may be missing). Prints both.
         */
        private boolean lossWithinReported(String promoted, long from, long killedAt, long lost) {
            // the failover's promotion (the first since the fault), and the candidate's note of when it measured
            List<String> ev = events(promoted, from, "PROMOTED");
            java.util.regex.Matcher m = ev.isEmpty() ? null : AT_RISK.matcher(ev.get(0));
            NodeProc n = c.node(promoted);
            Line note = n == null ? null : n.linesSince(from).stream().filter(l -> l.text().startsWith("EVENT ")
                    && l.text().contains("data at risk measured before promotion")).findFirst().orElse(null);
            if (m == null || !m.find() || note == null) {
                c.say("async: no PROMOTED event with the data at risk, or no measurement note, on " + promoted);
                riskReports.add("no PROMOTED event with the data at risk, or no measurement note");
                return false;
            }
            long bytes = Long.parseLong(m.group(1));
            double secs = Double.parseDouble(m.group(2));
            // the node's monotonic clock when it noted the measurement (same machine as the client's clock)
            long measuredAt = Long.parseLong(note.text().split(" ")[1]);
            long firstLost = lastVerify == null ? -1
                    : Long.parseLong(lastVerify.text().replaceFirst(".*firstLostAckedAt=(-?\\d+).*", "$1"));
            // every lost write must have been acknowledged inside the window: no earlier than measuredAt - secs
            double oldest = lost > 0 && firstLost >= 0 ? (measuredAt - firstLost) / 1e9 : 0;
            boolean ok = lost == 0 || (lost > 0 && firstLost >= 0 && oldest <= secs);
            String line = String.format(java.util.Locale.ROOT, "lost %d acknowledged writes%s; the promotion reported"
                    + " %d bytes, %.3f s at risk: %s", lost, lost > 0 ? String.format(java.util.Locale.ROOT,
                    " (the oldest acknowledged %.3f s before the measurement, %.3f s after the kill began)", oldest,
                    (firstLost - killedAt) / 1e9) : "", bytes, secs, ok ? "within the report" : "MORE THAN REPORTED");
            c.say("async: " + line);
            riskReports.add(line);
            return ok;
        }

        /**
         * The primary's network cut: every packet to or from its machine dropped (public link: clients, witness,
         * gateway; heartbeat link). The cut node cannot reach the gateway: it stands down (its server stopped, the
         * address removed); the other node's
         * witness no longer hears it: the standby is promoted at a new generation (the old primary's token is stale),
         * the address follows. The links come back: the old primary must return as a standby, never a primary; 0
         * acknowledged writes lost (sync), never two primaries.
         */
        private static final String CUT_TABLE = "tandem_netcut";

        private Run networkCut() throws Exception {
            String p = primary();
            if (p == null) {
                return new Run("netcut", false, 0, 0, -1, -1, false, false, "no primary before the fault");
            }
            String s = other(p);
            startWrites();
            long from = System.nanoTime();
            long armed = arm();
            // nftables in the node's namespace: every packet in or out dropped but loopback's (its own checks); a link
            // set down would also take the carrier from the address's interface, whose failed check blocks the group
            // there (a resource failure, not a cut: the operator would have to clear it before it can be a standby)
            c.nft(p, "table inet " + CUT_TABLE + " {\n"
                    + "  chain in { type filter hook input priority -10; policy drop; iifname \"lo\" accept; }\n"
                    + "  chain out { type filter hook output priority -10; policy drop; oifname \"lo\" accept; }\n}\n");
            long cutAt = System.nanoTime();
            c.say("network cut: every packet to and from " + p + " dropped (public and heartbeat links)");
            Line prim = send("primary " + SharedArrayCluster.VIP_DB + " " + s + " " + FAILOVER_BOUND.toMillis(), "PRIMARY",
                    FAILOVER_BOUND.plusSeconds(5));
            boolean moved = prim != null && prim.text().contains(" ok ");
            long failover = moved ? (prim.nanos() - cutAt) / 1_000_000 : -1;
            // the cut node must let go of the primary by itself (it cannot be asked over the network)
            NodeProc old = c.node(p);
            Line down;
            try {
                down = old == null ? null : old.await(from, l -> l.startsWith("EVENT ") && l.contains(" RESOURCE_STOPPED ")
                        && l.contains("db/pg"), Duration.ofSeconds(15));
                Thread.sleep(2000); // the cut lasts a while after both sides decided
            } finally {
                c.nftQuiet(p, "delete", "table", "inet", CUT_TABLE);
            }
            for (String n : List.of(p, s)) {
                for (String e : events(n, from, "STAND_DOWN", "SAFETY_CHECK", "RESOURCE_STOPPED", "PROMOTED", "FAILOVER_STARTED")) {
                    c.say("  " + n + ": " + e);
                }
            }
            c.say(moved ? s + " answers as the primary through " + SharedArrayCluster.VIP_DB + " " + failover + " ms after the cut"
                    : s + " did NOT answer as the primary: " + (prim == null ? "no answer" : prim.text()));
            c.say(p + (down != null ? " stopped its server while cut off, " + (down.nanos() - cutAt) / 1_000_000 + " ms after the cut"
                    : " did NOT stop its server within 15 s of the cut"));
            long back = System.nanoTime();
            c.say("network restored");
            boolean rejoined = awaitRole(p, "standby streaming", REJOIN_BOUND);
            for (String e : events(p, back, "STANDBY_STATE", "DEMOTED", "PROMOTED", "NOTE")) {
                c.say("  " + p + ": " + e);
            }
            c.say(p + (rejoined ? " back as a streaming standby of " + s + " in " + (System.nanoTime() - back) / 1_000_000
                    + " ms" : " did NOT come back as a streaming standby: " + role(p)));
            long writes = writesBack(armed, cutAt, Duration.ofSeconds(30));
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splits(from);
            boolean promotedBack = !events(p, back, "PROMOTED").isEmpty();
            boolean pass = moved && down != null && rejoined && lost == 0 && split == 0 && !promotedBack;
            return new Run("netcut", moved, split, lost, failover, writes, rejoined, pass, "primary moved " + p + " -> " + s
                    + ": " + moved + ", " + p + " let go while cut: " + (down != null) + ", back as standby: " + rejoined
                    + ", lost acknowledged writes " + lost + ", rounds with two primaries " + split);
        }

        /**
         * The primary and its standby lost together (async mode with {@code maxLagOnFailover}): kill -9 of the
         * standby's machine, one second of writes the primary acknowledges alone, kill -9 of the primary's machine.
         * The old standby's machine comes back alone: its copy lacks that second, and it cannot know by how much (it
         * never heard the old primary since it started): it must NOT be promoted (the group stays down, an alarm says
         * why). The operator's way back: the old primary's machine alone (it cannot know the other copy either: the
         * same alarm), {@code clear db} there (promotes it: it has everything), then the old standby rejoins. 0
         * acknowledged writes lost, never two primaries.
         */
        private Run lostTogether() throws Exception {
            String p = primary();
            if (p == null) {
                return new Run("lost-together", false, 0, 0, -1, -1, false, false, "no primary before the fault");
            }
            String s = other(p);
            startWrites();
            long from = System.nanoTime();
            java.util.Set<Long> gone = new java.util.HashSet<>(c.pids(s));
            c.kill(s);
            Thread.sleep(1000);
            gone.addAll(c.pids(p));
            c.kill(p);
            c.say("kill -9 of " + s + "'s machine (the standby), 1 s of writes on " + p + " alone, kill -9 of " + p + "'s machine");
            for (int i = 0; i < 100 && gone.stream().anyMatch(x -> java.nio.file.Files.exists(java.nio.file.Path.of("/proc", Long.toString(x)))); i++) {
                Thread.sleep(50);
            }
            long back = System.nanoTime();
            c.startNode(s);
            Line alarm = c.node(s).await(back, l -> l.startsWith("EVENT ") && l.contains(" GROUP_STATE ")
                    && l.contains("is not promoted on " + s), Duration.ofSeconds(20));
            Thread.sleep(1500);
            boolean stayedDown = alarm != null && events(s, back, "PROMOTED").isEmpty() && !role(s).equals("primary");
            c.say(s + " back alone: " + (stayedDown ? "not promoted (the group stays down)" : "PROMOTED or no alarm") + "; "
                    + (alarm == null ? "no alarm" : alarm.text().replaceFirst("^EVENT \\d+ ", "")));
            // the operator's way back
            c.killJvm(s);
            Thread.sleep(300);
            long back2 = System.nanoTime();
            c.startNode(p);
            Line alarm2 = c.node(p).await(back2, l -> l.startsWith("EVENT ") && l.contains(" GROUP_STATE ")
                    && l.contains("is not promoted on " + p), Duration.ofSeconds(20));
            String cleared = c.node(p).command("clear db", Duration.ofSeconds(10));
            c.say(p + " back alone: " + (alarm2 == null ? "no alarm" : "the same alarm") + "; clear db: " + cleared);
            Line prim = send("primary " + SharedArrayCluster.VIP_DB + " " + p + " " + FAILOVER_BOUND.toMillis(), "PRIMARY",
                    FAILOVER_BOUND.plusSeconds(5));
            boolean promoted = prim != null && prim.text().contains(" ok ");
            for (String e : events(p, back2, "PROMOTED")) {
                c.say("  " + p + ": " + e);
            }
            long back3 = System.nanoTime();
            c.startNode(s);
            boolean rejoined = awaitRole(s, "standby streaming", REJOIN_BOUND);
            c.say(s + (rejoined ? " back as a streaming standby of " + p + " in " + (System.nanoTime() - back3) / 1_000_000
                    + " ms" : " did NOT come back as a streaming standby: " + role(s)));
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splits(from);
            boolean pass = stayedDown && promoted && rejoined && lost == 0 && split == 0;
            return new Run("lost-together", promoted, split, lost, -1, -1, rejoined, pass, s + " alone not promoted: "
                    + stayedDown + ", " + p + " promoted after clear: " + promoted + ", " + s + " back as standby: " + rejoined
                    + ", lost acknowledged writes " + lost + ", rounds with two primaries " + split);
        }

        /**
         * The primary and its standby lost together, then both machines back at once (the stale one started first):
         * kill -9 of the standby's machine, one second of writes the primary acknowledges alone (async), kill -9 of the
         * primary's machine, then both nodes started together (the primary is node2 then, after a switchover if need be:
         * the priority order alone would pick node1, the stale copy). Each stopped copy publishes its position at its
         * clean-up stop (read from its data directory): the old primary's copy, the most advanced, must be promoted
         * without an operator, the old standby must rejoin as its standby, never be promoted; 0 acknowledged writes
         * lost, never two primaries.
         */
        private Run lostTogetherBoth() throws Exception {
            String p = primary();
            if (p == null) {
                return new Run("lost-together-both", false, 0, 0, -1, -1, false, false, "no primary before the fault");
            }
            if (p.equals("node1")) {
                // the most advanced copy must be the one the priority order would not pick: node2 the primary first
                String r = c.node(p).command("switchover db node2", Duration.ofSeconds(90));
                boolean moved = r.startsWith("accepted") && awaitRole("node2", "primary", Duration.ofSeconds(30))
                        && awaitRole("node1", "standby streaming", REJOIN_BOUND);
                c.say("switchover db node2 first (node2 must be the most advanced, after node1 in the priority order): " + r);
                if (!moved) {
                    return new Run("lost-together-both", false, 0, 0, -1, -1, false, false, "the switchover to node2 failed: " + r);
                }
                p = "node2";
            }
            String s = other(p);
            startWrites();
            long from = System.nanoTime();
            java.util.Set<Long> gone = new java.util.HashSet<>(c.pids(s));
            c.kill(s);
            Thread.sleep(1000);
            gone.addAll(c.pids(p));
            c.kill(p);
            c.say("kill -9 of " + s + "'s machine (the standby), 1 s of writes on " + p + " alone, kill -9 of " + p + "'s machine");
            for (int i = 0; i < 100 && gone.stream().anyMatch(x -> java.nio.file.Files.exists(java.nio.file.Path.of("/proc", Long.toString(x)))); i++) {
                Thread.sleep(50);
            }
            long back = System.nanoTime();
            c.startNodes(s, p);
            c.say("both machines back (" + s + ", the stale copy, started first)");
            Line prim = send("primary " + SharedArrayCluster.VIP_DB + " " + p + " " + FAILOVER_BOUND.toMillis(), "PRIMARY",
                    FAILOVER_BOUND.plusSeconds(5));
            boolean promoted = prim != null && prim.text().contains(" ok ");
            long backMs = promoted ? (prim.nanos() - back) / 1_000_000 : -1;
            for (String n : List.of(s, p)) {
                for (String e : events(n, back, "PROMOTED", "RESOURCE_STOPPED")) {
                    c.say("  " + n + ": " + e);
                }
            }
            c.say(promoted ? p + " (the most advanced copy) answers as the primary through " + SharedArrayCluster.VIP_DB + " "
                    + backMs + " ms after both were started" : p + " was NOT promoted: " + (prim == null ? "no answer" : prim.text()));
            boolean rejoined = awaitRole(s, "standby streaming", REJOIN_BOUND);
            boolean stalePromoted = !events(s, back, "PROMOTED").isEmpty();
            c.say(s + (rejoined ? " back as a streaming standby of " + p : " did NOT come back as a streaming standby: " + role(s))
                    + (stalePromoted ? "; " + s + " WAS PROMOTED" : ""));
            Thread.sleep(1000);
            long lost = stopWritesAndVerify();
            int split = splits(from);
            boolean pass = promoted && !stalePromoted && rejoined && lost == 0 && split == 0;
            return new Run("lost-together-both", promoted, split, lost, backMs, -1, rejoined, pass, p
                    + " (most advanced) promoted with both back: " + promoted + ", " + s + " (stale) promoted: " + stalePromoted
                    + ", " + s + " back as standby: " + rejoined + ", lost acknowledged writes " + lost
                    + ", rounds with two primaries " + split);
        }

        void printTable() {
            Map<String, List<Run>> by = new LinkedHashMap<>();
            for (Run r : results) {
                by.computeIfAbsent(r.fault, k -> new ArrayList<>()).add(r);
            }
            out.println();
            out.printf("%-18s %5s %10s %13s %13s %22s %22s %9s %7s%n", "fault", "runs", "failovers", "two primaries",
                    "lost acked", "primary back p50/max", "writes back p50/max", "rejoined", "passed");
            for (Map.Entry<String, List<Run>> e : by.entrySet()) {
                List<Run> rs = e.getValue();
                out.printf("%-18s %5d %10d %13d %13d %22s %22s %9s %7s%n", e.getKey(), rs.size(),
                        rs.stream().filter(Run::failedOver).count(), rs.stream().mapToInt(Run::splitBrains).sum(),
                        rs.stream().mapToLong(r -> Math.max(0, r.lostWrites)).sum(),
                        p50max(rs.stream().map(Run::failoverMs).toList()), p50max(rs.stream().map(Run::writesBackMs).toList()),
                        rs.stream().filter(Run::rejoined).count() + "/" + rs.size(),
                        rs.stream().filter(Run::passed).count() + "/" + rs.size());
            }
        }

        private static String p50max(List<Long> values) {
            List<Long> v = values.stream().filter(x -> x >= 0).sorted().toList();
            return v.isEmpty() ? "n/a" : v.get((v.size() - 1) / 2) + " / " + v.get(v.size() - 1) + " ms";
        }

        /** The benchmark's figure line over the kill runs. */
        void printBench() {
            List<Run> kills = results.stream().filter(r -> r.fault.equals("kill")).toList();
            List<Long> v = kills.stream().map(Run::failoverMs).filter(x -> x >= 0).sorted().toList();
            long lost = kills.stream().mapToLong(r -> Math.max(0, r.lostWrites)).sum();
            if (v.isEmpty()) {
                out.println("replicated failover ms: no kill run measured");
                return;
            }
            long p50 = v.get((v.size() - 1) / 2);
            long p99 = v.get(Math.min(v.size() - 1, (int) Math.ceil(v.size() * 0.99) - 1));
            List<Long> w = kills.stream().map(Run::writesBackMs).filter(x -> x >= 0).sorted().toList();
            out.printf("replicated failover ms: p50=%d p99=%d lost_acknowledged=%d (trials=%d, measured=%d, mode=%s)%n", p50, p99,
                    lost, kills.size(), v.size(), System.getProperty("replicated.mode", "sync"));
            if (!w.isEmpty()) {
                out.printf("replicated writes acknowledged again ms: p50=%d max=%d (sync: include the old primary's return as"
                        + " a standby)%n", w.get((w.size() - 1) / 2), w.get(w.size() - 1));
            }
        }
    }
}
