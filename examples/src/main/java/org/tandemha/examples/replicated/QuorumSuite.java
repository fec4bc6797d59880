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
 * The replicated cluster on three nodes in {@code quorum} mode (issue 19, scenario "quorum" of
 * {@code examples/replicated/run.sh}): node1, node2 and node3 on the public bridge, group db on all three with
 * {@code replication: {mode: quorum, quorumCommit: 1}} (a commit is acknowledged once one of the two standbys flushed
 * it). One run: the client writes through {@value SharedArrayCluster#VIP_DB}; kill -9 of the primary's machine;
 * one of the two standbys must be promoted, the most advanced of them (its copy at promotion not behind the other
 * standby's, read from that server right after), 0 acknowledged writes lost, never two primaries; the other standby
 * follows the new primary, and the old primary's machine, started again, comes back as a standby.
 */
final class QuorumSuite {
    private static final List<String> NODES = List.of("node1", "node2", "node3");
    private static final Pattern THIS_COPY = Pattern.compile("this copy (\\d+):(\\d+)");

    private final String classpath;
    private final PrintStream out;
    final List<ReplicatedMain.Run> results = new ArrayList<>();
    /** One line per run: the promoted copy against the other standby's. */
    final List<String> comparisons = new ArrayList<>();
    boolean setUpFailed;
    private SharedArrayCluster c;
    private NodeProc client;

    QuorumSuite(String classpath, PrintStream out) {
        this.classpath = classpath;
        this.out = out;
    }

    boolean run(int runs) throws Exception {
        String settings = System.getProperty("replicated.settings");
        System.clearProperty("replicated.settings"); // (maxLagOnFailover is for async)
        try (SharedArrayCluster cluster = new SharedArrayCluster(SharedArrayCluster.Layout.REPLICATED_QUORUM, classpath, out)) {
            c = cluster;
            try {
                up();
            } catch (IOException e) {
                c.say("SET-UP FAILED: " + e.getMessage());
                setUpFailed = true;
                return false;
            }
            client.send("watch " + host("node1") + " " + host("node2") + " " + host("node3"));
            for (int i = 1; i <= runs; i++) {
                out.println();
                c.say("=== scenario quorum (kill -9 of the primary, quorumCommit 1 of 2 standbys)"
                        + (runs > 1 ? " (run " + i + " of " + runs + ")" : "") + " ===");
                ReplicatedMain.Run r;
                try {
                    r = killPrimary();
                } catch (IOException | RuntimeException e) {
                    r = new ReplicatedMain.Run("quorum", false, 0, 0, -1, -1, false, false, "error: " + e);
                }
                results.add(r);
                c.say((r.passed() ? "PASS " : "FAIL ") + "quorum: " + r.note());
                if (!r.passed()) {
                    c.say("logs in " + c.dir);
                    break;
                }
            }
            client.send("watch stop");
            printTable();
            return results.size() == runs && results.stream().allMatch(ReplicatedMain.Run::passed);
        } finally {
            if (settings != null) {
                System.setProperty("replicated.settings", settings);
            }
        }
    }

    private void up() throws Exception {
        c.setUp();
        c.say("configuration: " + c.config() + " (group db on node1, node2, node3; mode quorum, quorumCommit 1)");
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
        c.say("node1 primary, node2 and node3 streaming standbys (a commit waits for one of them)");
        Line init = send("init " + SharedArrayCluster.VIP_DB, "INIT", Duration.ofSeconds(40));
        if (init == null || !init.text().endsWith(" ok")) {
            throw new IOException("the client could not create its tables: " + (init == null ? "no answer" : init.text()));
        }
    }

    private ReplicatedMain.Run killPrimary() throws Exception {
        String p = null;
        for (String n : NODES) {
            if (role(n).equals("primary")) {
                p = n;
            }
        }
        if (p == null) {
            return new ReplicatedMain.Run("quorum", false, 0, 0, -1, -1, false, false, "no primary before the fault");
        }
        final String primary = p;
        List<String> standbys = NODES.stream().filter(n -> !n.equals(primary)).toList();
        client.send("writes " + SharedArrayCluster.VIP_DB);
        Thread.sleep(1500);
        long from = System.nanoTime();
        java.util.Set<Long> pids = new java.util.HashSet<>(c.pids(primary));
        long killedAt = System.nanoTime();
        int killed = c.kill(primary);
        Line armed = send("arm", "ARMED", Duration.ofSeconds(5)); // the next write acknowledged: through the new primary
        long armedAt = armed == null ? killedAt : armed.nanos();
        c.say("kill -9 of " + primary + "'s machine (" + killed + " processes); standbys " + String.join(", ", standbys));
        // which standby is promoted
        String promoted = null;
        long end = System.nanoTime() + ReplicatedMain.FAILOVER_BOUND.toNanos();
        while (promoted == null && System.nanoTime() < end) {
            for (String n : standbys) {
                if (role(n).equals("primary")) {
                    promoted = n;
                }
            }
            if (promoted == null) {
                Thread.sleep(50);
            }
        }
        if (promoted == null) {
            return new ReplicatedMain.Run("quorum", false, splits(from), 0, -1, -1, false, false, "no standby promoted within "
                    + ReplicatedMain.FAILOVER_BOUND.toSeconds() + " s of the kill");
        }
        String other = standbys.get(0).equals(promoted) ? standbys.get(1) : standbys.get(0);
        // the other standby's copy, before it follows the new primary (it is not streaming: its position stays)
        Line otherLsn = send("lsn " + host(other), "LSN", Duration.ofSeconds(10));
        long otherPos = otherLsn == null ? -1 : Long.parseLong(otherLsn.text().split(" ")[3]);
        Line prim = send("primary " + SharedArrayCluster.VIP_DB + " " + promoted + " " + ReplicatedMain.FAILOVER_BOUND.toMillis(),
                "PRIMARY", ReplicatedMain.FAILOVER_BOUND.plusSeconds(5));
        boolean moved = prim != null && prim.text().contains(" ok ");
        long failover = moved ? (prim.nanos() - killedAt) / 1_000_000 : -1;
        List<String> ev = events(promoted, from, "PROMOTED");
        for (String e : ev) {
            c.say("  " + promoted + ": " + e);
        }
        Matcher m = ev.isEmpty() ? null : THIS_COPY.matcher(ev.get(0));
        long promotedPos = m != null && m.find() ? Long.parseLong(m.group(2)) : -1;
        boolean mostAdvanced = promotedPos >= 0 && otherPos >= 0 && promotedPos >= otherPos;
        String cmp = promoted + " promoted at " + promotedPos + " bytes of WAL, " + other + " (not promoted) at " + otherPos
                + ": " + (mostAdvanced ? "the most advanced was promoted" : "NOT THE MOST ADVANCED (or unknown)");
        comparisons.add(cmp);
        c.say(cmp);
        c.say(moved ? promoted + " answers as the primary through " + SharedArrayCluster.VIP_DB + " " + failover + " ms after the kill"
                : promoted + " did NOT answer through " + SharedArrayCluster.VIP_DB + ": " + (prim == null ? "no answer" : prim.text()));
        // the other standby follows the new primary; the old primary's machine comes back as a standby
        for (int i = 0; i < 100 && pids.stream().anyMatch(x -> java.nio.file.Files.exists(java.nio.file.Path.of("/proc", Long.toString(x)))); i++) {
            Thread.sleep(50);
        }
        long back = System.nanoTime();
        c.startNode(primary);
        boolean rejoined = awaitEvent(primary, back, "standby of pg running on " + primary, ReplicatedMain.REJOIN_BOUND)
                && awaitRole(primary, "standby streaming", ReplicatedMain.REJOIN_BOUND);
        boolean follows = awaitEvent(other, killedAt, "running on " + other + ": standby of " + promoted, ReplicatedMain.REJOIN_BOUND)
                && awaitRole(other, "standby streaming", ReplicatedMain.REJOIN_BOUND);
        c.say(primary + " back as a streaming standby: " + rejoined + " (" + (System.nanoTime() - back) / 1_000_000 + " ms); "
                + other + " follows " + promoted + ": " + follows);
        Line up = client.await(armedAt, l -> l.startsWith("UP "), Duration.ofSeconds(30));
        long writesBack = up == null ? -1 : (Long.parseLong(up.text().split(" ")[1]) - killedAt) / 1_000_000;
        Thread.sleep(1000);
        Line w = send("writes stop", "WRITES", Duration.ofSeconds(30));
        Line v = send("verify " + SharedArrayCluster.VIP_DB, "VERIFY", Duration.ofSeconds(40));
        c.say("client: " + (w == null ? "(no answer)" : w.text().replaceFirst("WRITES \\d+ ", "writes ")) + "; read back: "
                + (v == null ? "(no answer)" : v.text().replaceFirst("VERIFY \\d+ ", "")));
        long lost = v == null ? -1 : Long.parseLong(v.text().replaceFirst(".*lost=(-?\\d+).*", "$1"));
        int split = splits(from);
        boolean neverBack = events(primary, back, "PROMOTED").isEmpty();
        boolean pass = moved && mostAdvanced && lost == 0 && split == 0 && rejoined && follows && neverBack;
        return new ReplicatedMain.Run("quorum", moved, split, lost, failover, writesBack, rejoined && follows, pass,
                "primary " + primary + " -> " + promoted + ": " + moved + " (" + failover + " ms), the most advanced standby: "
                        + mostAdvanced + ", lost acknowledged writes " + lost + ", rounds with two primaries " + split + ", "
                        + primary + " back as standby: " + rejoined + ", " + other + " follows: " + follows);
    }

    void printTable() {
        out.println();
        out.printf("%-12s %5s %10s %13s %13s %22s %22s %9s %7s%n", "fault", "runs", "failovers", "two primaries",
                "lost acked", "primary back p50/max", "writes back p50/max", "rejoined", "passed");
        List<ReplicatedMain.Run> rs = results;
        out.printf("%-12s %5d %10d %13d %13d %22s %22s %9s %7s%n", "quorum", rs.size(),
                rs.stream().filter(ReplicatedMain.Run::failedOver).count(), rs.stream().mapToInt(ReplicatedMain.Run::splitBrains).sum(),
                rs.stream().mapToLong(r -> Math.max(0, r.lostWrites())).sum(),
                p50max(rs.stream().map(ReplicatedMain.Run::failoverMs).toList()),
                p50max(rs.stream().map(ReplicatedMain.Run::writesBackMs).toList()),
                rs.stream().filter(ReplicatedMain.Run::rejoined).count() + "/" + rs.size(),
                rs.stream().filter(ReplicatedMain.Run::passed).count() + "/" + rs.size());
        comparisons.forEach(x -> out.println("quorum: " + x));
    }

    private static String p50max(List<Long> values) {
        List<Long> v = values.stream().filter(x -> x >= 0).sorted().toList();
        return v.isEmpty() ? "n/a" : v.get((v.size() - 1) / 2) + " / " + v.get(v.size() - 1) + " ms";
    }

    private static String host(String node) {
        return switch (node) {
            case "node1" -> ReplicatedMain.N1;
            case "node2" -> ReplicatedMain.N2;
            default -> SharedArrayCluster.NODE3;
        };
    }

    private int splits(long from) {
        return (int) client.linesSince(from).stream().filter(l -> l.text().startsWith("SPLIT ")).count();
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
