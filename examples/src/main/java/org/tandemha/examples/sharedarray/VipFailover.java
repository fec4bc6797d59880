package org.tandemha.examples.sharedarray;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Layout;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * Issue 13, finding 1, as trials: a daemon crash of the node holding the floating addresses. Two nodes, two UDP
 * heartbeat paths (a direct veth and the public bridge, 100 ms x 3), arbiters tiebreaker + witness, one group
 * holding only an IPv4 and an IPv6 address ({@link Layout#VIP_WITNESS}). Each trial kills (-9) the holder's JVM
 * alone, so that its kernel keeps both addresses and its responder goes on answering on them; it passes when the
 * client reaches the survivor's responder through both addresses within the bound, the survivor reports the group
 * online, and the killed node, started again, has removed the stale addresses. The next trial kills the other node.
 */
final class VipFailover {
    /**
     * One trial: milliseconds from the kill to the client's first answer from the survivor, per address family; for
     * the first trial, the takeover as {@code tandem replay} explains it from the survivor's journal (else null).
     */
    record Trial(int number, String killed, String survivor, long ipv4Ms, long ipv6Ms, boolean passed, String note,
                 String takeover) {
        Trial(int number, String killed, String survivor, long ipv4Ms, long ipv6Ms, boolean passed, String note) {
            this(number, killed, survivor, ipv4Ms, ipv6Ms, passed, note, null);
        }
    }

    private VipFailover() {
    }

    /** Runs {@code trials} trials on a fresh cluster; never throws for a failed trial (it is recorded). */
    static List<Trial> run(String classpath, int trials, PrintStream progress) throws IOException, InterruptedException {
        List<Trial> out = new ArrayList<>();
        try (SharedArrayCluster c = new SharedArrayCluster(Layout.VIP_WITNESS, classpath, progress)) {
            c.setUp();
            c.startNode("node1");
            c.startNode("node2");
            NodeProc client = c.startClient();
            if (!c.awaitOnline("node1", "vip", Duration.ofSeconds(60))) {
                out.add(new Trial(0, "-", "-", -1, -1, false, "group vip did not come online on node1; see "
                        + c.dir.resolve("node1.log")));
                return out;
            }
            String active = "node1";
            for (int t = 1; t <= trials; t++) {
                String standby = active.equals("node1") ? "node2" : "node1";
                Trial r = trial(c, client, t, active, standby);
                out.add(r);
                c.say(String.format("trial %d: kill -9 of %s's JVM -> %s: %s (IPv4 %d ms, IPv6 %d ms)%s", t, active, standby,
                        r.passed() ? "passed" : "FAILED", r.ipv4Ms(), r.ipv6Ms(), r.note().isEmpty() ? "" : "; " + r.note()));
                if (!r.passed()) {
                    break;
                }
                active = standby;
            }
        }
        return out;
    }

    private static Trial trial(SharedArrayCluster c, NodeProc client, int t, String active, String standby)
            throws IOException, InterruptedException {
        if (!c.awaitPeer(active, standby, Duration.ofSeconds(30)) || !c.awaitPeer(standby, active, Duration.ofSeconds(30))) {
            return new Trial(t, active, standby, -1, -1, false, "the nodes do not see each other");
        }
        Thread.sleep(2000); // both paths up and stable, the restarted JVM past its start-up
        String before = c.ipIn(active, "-br", "addr", "show", "dev", "pub0");
        if (!before.contains(SharedArrayCluster.VIP4 + "/") || !before.contains(SharedArrayCluster.VIP6 + "/")) {
            return new Trial(t, active, standby, -1, -1, false, active + " does not hold both addresses: " + before);
        }
        long from = System.nanoTime();
        c.killJvm(active);
        long killedAt = from;
        String after = c.ipIn(active, "-br", "addr", "show", "dev", "pub0");
        if (!after.contains(SharedArrayCluster.VIP4 + "/")) {
            return new Trial(t, active, standby, -1, -1, false, "the kill removed the address: " + after);
        }
        int port = SharedArrayCluster.RESPONDER_PORT;
        client.send("reach v4." + t + " " + SharedArrayCluster.VIP4 + " " + port + " " + standby + " 15000");
        client.send("reach v6." + t + " " + SharedArrayCluster.VIP6 + " " + port + " " + standby + " 15000");
        Line v4 = client.await(from, l -> l.startsWith("REACH v4." + t + " "), Duration.ofSeconds(20));
        Line v6 = client.await(from, l -> l.startsWith("REACH v6." + t + " "), Duration.ofSeconds(20));
        long ms4 = reachedMs(v4, killedAt);
        long ms6 = reachedMs(v6, killedAt);
        List<String> problems = new ArrayList<>();
        if (ms4 < 0) {
            problems.add("the client did not reach " + standby + " at " + SharedArrayCluster.VIP4 + ": "
                    + (v4 == null ? "no answer" : v4.text()));
        }
        if (ms6 < 0) {
            problems.add("the client did not reach " + standby + " at " + SharedArrayCluster.VIP6 + ": "
                    + (v6 == null ? "no answer" : v6.text()));
        }
        String takeover = null;
        if (!c.awaitOnline(standby, "vip", Duration.ofSeconds(30))) {
            problems.add("group vip is not online on " + standby);
        } else if (t == 1) {
            takeover = explainTakeover(c, standby);
        }
        // the killed node starts again: its start-up stop removes the stale addresses
        c.startNode(active);
        String cleaned = "";
        for (int i = 0; i < 100; i++) {
            cleaned = c.ipIn(active, "-br", "addr", "show", "dev", "pub0");
            if (!cleaned.contains(SharedArrayCluster.VIP4 + "/") && !cleaned.contains(SharedArrayCluster.VIP6 + "/")) {
                break;
            }
            Thread.sleep(100);
        }
        if (cleaned.contains(SharedArrayCluster.VIP4 + "/") || cleaned.contains(SharedArrayCluster.VIP6 + "/")) {
            problems.add(active + " did not remove the stale addresses on start-up: " + cleaned);
        }
        return new Trial(t, active, standby, ms4, ms6, problems.isEmpty(), String.join("; ", problems), takeover);
    }

    /**
     * {@code tandem replay} of the survivor's journal ({@code <state dir>/journal}, read while it runs) at its last
     * claim of group vip: the explanation, or what went wrong.
     */
    static String explainTakeover(SharedArrayCluster c, String survivor) {
        String journal = c.dir.resolve("state-" + survivor).resolve("journal").toString();
        String config = c.config().toString();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.nio.charset.Charset u = java.nio.charset.StandardCharsets.UTF_8;
        int code = 0;
        String claim = null;
        // The journal's writer flushes about once a second: the takeover's lines may not be on disk yet (5 tries).
        for (int attempt = 0; attempt < 5 && claim == null; attempt++) {
            if (attempt > 0) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            out.reset();
            err.reset();
            code = org.tandemha.core.sim.whatif.WhatIfTool.run(new String[] {"replay", "--journal", journal, "--config",
                    config, "--list"}, new PrintStream(out, true, u), new PrintStream(err, true, u));
            claim = out.toString(u).lines().filter(l -> l.contains("GROUP_CLAIMED vip")).reduce((a, b) -> b).orElse(null);
        }
        if (code != 0 || claim == null) {
            return "replay --list of " + journal + " (exit " + code + ") shows no claim of vip: " + out.toString(u) + err.toString(u);
        }
        String at = claim.substring(claim.indexOf("t=")).split("\\s+")[0];
        out.reset();
        code = org.tandemha.core.sim.whatif.WhatIfTool.run(new String[] {"replay", "--journal", journal, "--config", config,
                "--at", at}, new PrintStream(out, true, u), new PrintStream(err, true, u));
        c.say("tandem replay of " + survivor + "'s journal at its claim of vip (" + at + "):\n" + out.toString(u).strip());
        return code == 0 ? out.toString(u) : "replay --at " + at + " failed (exit " + code + "): " + err.toString(u);
    }

    private static long reachedMs(Line l, long killedAt) {
        if (l == null) {
            return -1;
        }
        String[] w = l.text().split(" ");
        return w.length >= 4 && w[3].equals("ok") ? (Long.parseLong(w[2]) - killedAt) / 1_000_000 : -1;
    }
}
