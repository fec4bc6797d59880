package org.tandemha.examples.replicated;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tandemha.examples.sharedarray.SharedArrayCluster;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * The replicated cluster with a remote DR site (issue 19, scenario "dr" of {@code examples/replicated/run.sh}): node1
 * and node2 at the primary site (192.0.2.0/24, address {@value SharedArrayCluster#VIP_DB}), node3 at the DR site
 * (203.0.113.0/24, address {@value SharedArrayCluster#VIP_DR}) with an asynchronous standby. One run: the client
 * writes through the primary site's address; both primary-site machines are killed (every process in their
 * namespaces); node3 is not promoted by the cluster; the operator's {@code promote-dr db node3} shows the data at risk,
 * then {@code --confirm --fence-primary-site} promotes node3; the writes acknowledged before the disaster and lost
 * must have been acknowledged within the seconds of lag promote-dr showed; the client's writes through the DR address
 * are acknowledged. Then the primary site comes back (its nodes rejoin as standbys of node3), the operator clears the
 * fence and switches back to node1, and node3 is a standby again: the next run starts from the same state.
 */
final class DrSuite {
    static final String N1 = ReplicatedMain.N1;
    static final String N2 = ReplicatedMain.N2;
    static final String N3 = SharedArrayCluster.DR_NODE;
    private static final Pattern RISK = Pattern.compile("data at risk: (.+?), ([0-9.]+) s of lag");

    private final String classpath;
    private final PrintStream out;
    final List<ReplicatedMain.Run> results = new ArrayList<>();
    boolean setUpFailed;
    private SharedArrayCluster c;
    private NodeProc client;

    DrSuite(String classpath, PrintStream out) {
        this.classpath = classpath;
        this.out = out;
    }

    boolean run(int runs) throws Exception {
        try (SharedArrayCluster cluster = new SharedArrayCluster(SharedArrayCluster.Layout.REPLICATED_DR, classpath, out)) {
            c = cluster;
            try {
                up();
            } catch (IOException e) {
                c.say("SET-UP FAILED: " + e.getMessage());
                setUpFailed = true;
                return false;
            }
            for (int i = 1; i <= runs; i++) {
                out.println();
                c.say("=== scenario dr (DR promotion)" + (runs > 1 ? " (run " + i + " of " + runs + ")" : "") + " ===");
                ReplicatedMain.Run r;
                try {
                    r = drPromotion();
                } catch (IOException | RuntimeException e) {
                    r = new ReplicatedMain.Run("dr", false, 0, 0, -1, -1, false, false, "error: " + e);
                }
                results.add(r);
                c.say((r.passed() ? "PASS " : "FAIL ") + "dr: " + r.note());
                if (!r.passed()) {
                    c.say("logs in " + c.dir);
                    return false;
                }
            }
            return true;
        }
    }

    private void up() throws Exception {
        c.setUp();
        c.say("configuration: " + c.config() + " (node3 is the DR site: dr: {nodes: [node3]}, its own address "
                + SharedArrayCluster.VIP_DR + ")");
        c.startNodes("node1", "node2", "node3");
        client = c.startJava("client", "client", ReplicaClient.class.getName(), "CLIENT-READY");
        if (!c.awaitOnline("node1", "db", Duration.ofSeconds(90))) {
            throw new IOException("group db did not come online on node1 within 90 s; see " + c.dir.resolve("node1.log"));
        }
        for (String n : List.of("node2", "node3")) {
            if (!awaitRole(n, "standby streaming", ReplicatedMain.REJOIN_BOUND)) {
                throw new IOException(n + " did not become a streaming standby; see " + c.dir.resolve(n + ".log") + " and "
                        + c.dir.resolve("pglog/" + n + ".log"));
            }
        }
        c.say("node1 primary, node2 a (synchronous) standby, node3 the DR site's (asynchronous) standby, all streaming");
        Line init = send("init " + SharedArrayCluster.VIP_DB, "INIT", Duration.ofSeconds(40));
        if (init == null || !init.text().endsWith(" ok")) {
            throw new IOException("the client could not create its tables: " + (init == null ? "no answer" : init.text()));
        }
    }

    private ReplicatedMain.Run drPromotion() throws Exception {
        String p = role("node1").equals("primary") ? "node1" : role("node2").equals("primary") ? "node2" : null;
        if (p == null) {
            return new ReplicatedMain.Run("dr", false, 0, 0, -1, -1, false, false, "no primary at the primary site before the fault");
        }
        long from = System.nanoTime();
        client.send("watch " + host(p) + " " + N3);
        Line armed = send("arm", "ARMED", Duration.ofSeconds(5));
        client.send("writes " + SharedArrayCluster.VIP_DB);
        Line up = armed == null ? null : client.await(armed.nanos(), l -> l.startsWith("UP "), Duration.ofSeconds(20));
        if (up == null) {
            return new ReplicatedMain.Run("dr", false, 0, 0, -1, -1, false, false, "no write acknowledged through "
                    + SharedArrayCluster.VIP_DB + " within 20 s before the fault (" + p + " primary)");
        }
        Thread.sleep(1500);
        java.util.Set<Long> pids = new java.util.HashSet<>(c.pids("node1"));
        pids.addAll(c.pids("node2"));
        long killedAt = System.nanoTime();
        int killed = c.kill("node1") + c.kill("node2");
        c.say("the primary site is lost: kill -9 of node1's and node2's machines (" + killed + " processes)");
        Thread.sleep(2000);
        String role3 = role("node3");
        boolean waited = !role3.equals("primary");
        c.say("2 s later node3 is " + role3 + (waited ? " (a DR node waits for the operator)" : " (PROMOTED BY ITSELF)"));
        String preview = c.node("node3").command("promote-dr db node3", Duration.ofSeconds(20));
        c.say("operator: promote-dr db --node node3: " + preview);
        Matcher m = RISK.matcher(preview);
        double riskSeconds = m.find() ? Double.parseDouble(m.group(2)) : -1;
        long promoteAt = System.nanoTime();
        String confirm = c.node("node3").command("promote-dr db node3 confirm fence", Duration.ofSeconds(60));
        c.say("operator: promote-dr db --node node3 --confirm --fence-primary-site: " + confirm);
        Line prim = send("primary " + SharedArrayCluster.VIP_DR + " node3 " + ReplicatedMain.FAILOVER_BOUND.toMillis(), "PRIMARY",
                ReplicatedMain.FAILOVER_BOUND.plusSeconds(5));
        boolean promoted = confirm.startsWith("accepted") && prim != null && prim.text().contains(" ok ");
        long promoteMs = promoted ? (prim.nanos() - promoteAt) / 1_000_000 : -1;
        for (String e : events("node3", from, "DR_PROMOTION", "PROMOTED", "GROUP_CLAIMED", "FAILOVER_FINISHED")) {
            c.say("  node3: " + e);
        }
        // what was lost: the writes acknowledged by the primary site and missing at the DR site
        Line w = send("writes stop", "WRITES", Duration.ofSeconds(30));
        Line span = send("lostspan " + SharedArrayCluster.VIP_DR, "LOSTSPAN", Duration.ofSeconds(40));
        long lost = -1;
        double lostWindow = 0;
        if (span != null) {
            Matcher s = Pattern.compile("lost=(-?\\d+) oldest=(-?\\d+)").matcher(span.text());
            if (s.find()) {
                lost = Long.parseLong(s.group(1));
                long oldest = Long.parseLong(s.group(2));
                lostWindow = lost > 0 ? (killedAt - oldest) / 1e9 : 0;
            }
        }
        boolean withinShown = lost == 0 || (lost > 0 && riskSeconds >= 0 && lostWindow <= riskSeconds + 0.05);
        c.say("client before the disaster: " + (w == null ? "(no answer)" : w.text().replaceFirst("WRITES \\d+ ", "")) + "; lost at"
                + " the DR site: " + lost + (lost > 0 ? String.format(java.util.Locale.ROOT, " (acknowledged in the last %.3f s"
                + " before the kill; promote-dr showed %.3f s of lag)", lostWindow, riskSeconds) : "") + ": "
                + (withinShown ? "within what promote-dr showed" : "MORE THAN promote-dr SHOWED"));
        // the client's writes through the DR site's address
        client.send("writes " + SharedArrayCluster.VIP_DR);
        Thread.sleep(2000);
        send("writes stop", "WRITES", Duration.ofSeconds(30));
        Line v = send("verify " + SharedArrayCluster.VIP_DR, "VERIFY", Duration.ofSeconds(40));
        Matcher vm = Pattern.compile("acked=(\\d+) present=(-?\\d+) lost=(-?\\d+)").matcher(v == null ? "" : v.text());
        boolean drWrites = vm.find() && Long.parseLong(vm.group(1)) > 0 && vm.group(3).equals("0");
        c.say("writes through " + SharedArrayCluster.VIP_DR + ": " + (v == null ? "(no answer)" : v.text().replaceFirst("VERIFY \\d+ ", "")));
        client.send("watch stop");
        int split = (int) client.linesSince(from).stream().filter(l -> l.text().startsWith("SPLIT ")).count();

        // the primary site comes back: its nodes rejoin as standbys of node3; then home again
        for (int i = 0; i < 100 && pids.stream().anyMatch(x -> java.nio.file.Files.exists(java.nio.file.Path.of("/proc", Long.toString(x)))); i++) {
            Thread.sleep(50);
        }
        long back = System.nanoTime();
        c.startNodes("node1", "node2");
        // streaming, and Tandem's standby start finished (a switchover while it still runs would cut it short)
        boolean rejoined = awaitRole("node1", "standby streaming", ReplicatedMain.REJOIN_BOUND)
                && awaitRole("node2", "standby streaming", ReplicatedMain.REJOIN_BOUND)
                && awaitEvent("node1", back, "standby of pg running on node1", ReplicatedMain.REJOIN_BOUND)
                && awaitEvent("node2", back, "standby of pg running on node2", ReplicatedMain.REJOIN_BOUND);
        boolean neverPrimary = events("node1", back, "PROMOTED").isEmpty() && events("node2", back, "PROMOTED").isEmpty();
        c.say("primary site back: node1 and node2 streaming standbys of node3: " + rejoined + " ("
                + (System.nanoTime() - back) / 1_000_000 + " ms)" + (neverPrimary ? "" : "; ONE WAS PROMOTED ON ITS RETURN"));
        String cleared = c.node("node3").command("clear db", Duration.ofSeconds(20));
        long homeAt = System.nanoTime();
        String home = c.node("node3").command("switchover db node1", Duration.ofSeconds(90));
        // as an operator would: "node1 restarted moments ago and is trusted again in 632 ms; try again then"
        for (int i = 0; i < 20 && home.contains("try again"); i++) {
            Thread.sleep(500);
            home = c.node("node3").command("switchover db node1", Duration.ofSeconds(90));
        }
        // node2 streamed from node3: it must follow node1 now (not cascade from node3), or sync commits wait
        boolean homeOk = home.startsWith("accepted") && awaitRole("node1", "primary", Duration.ofSeconds(30))
                && awaitEvent("node3", homeAt, "running on node3: standby of node1", ReplicatedMain.REJOIN_BOUND)
                && awaitEvent("node2", homeAt, "running on node2: standby of node1", ReplicatedMain.REJOIN_BOUND)
                && awaitRole("node3", "standby streaming", ReplicatedMain.REJOIN_BOUND)
                && awaitRole("node2", "standby streaming", ReplicatedMain.REJOIN_BOUND);
        c.say("operator: clear db: " + cleared + "; switchover db node1: " + home + "; node3 a streaming standby again: " + homeOk);

        boolean pass = waited && promoted && withinShown && drWrites && split == 0 && rejoined && neverPrimary && homeOk;
        return new ReplicatedMain.Run("dr", promoted, split, Math.max(0, lost), promoteMs, -1, rejoined, pass,
                "node3 waited for the operator: " + waited + ", promoted by promote-dr in " + promoteMs + " ms: " + promoted
                        + ", acknowledged writes lost " + lost + " (within the " + riskSeconds + " s shown: " + withinShown
                        + "), writes through the DR address: " + drWrites + ", rounds with two primaries " + split
                        + ", primary site back as standbys: " + rejoined + ", home again on node1: " + homeOk);
    }

    private static String host(String node) {
        return switch (node) {
            case "node1" -> N1;
            case "node2" -> N2;
            default -> N3;
        };
    }

    private Line send(String command, String answer, Duration wait) throws InterruptedException {
        return SuiteProbes.send(client, command, answer, wait);
    }

    private String role(String node) throws InterruptedException {
        return SuiteProbes.role(client, host(node));
    }

    private boolean awaitRole(String node, String role, Duration wait) throws InterruptedException {
        return SuiteProbes.awaitRole(client, host(node), role, wait);
    }

    private boolean awaitEvent(String node, long from, String text, Duration wait) throws InterruptedException {
        return SuiteProbes.awaitStandbyEvent(c, node, from, text, wait);
    }

    private List<String> events(String node, long from, String... kinds) {
        return SuiteProbes.events(c, node, from, kinds);
    }
}
