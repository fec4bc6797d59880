package org.tandemha.ip;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark (not a test): floating address takeover time seen by a client. In a fresh {@link Lab}, the address
 * moves back and forth between node1 and node2; each trial stops it on one node, starts a client that sends a
 * datagram every 5 ms, then calls start on the other node and measures from that call to the first reply from
 * the new node. The client's ARP entry still points at the old node at that moment: only the gratuitous ARP moves
 * it. Prints {@code ip takeover ms: p50=... p99=...}. Run by examples/bench/ip.sh; needs root.
 *
 * <p>Arguments: [trials (default 100)] [probe true|false (default true)].
 */
public final class IpTakeoverBench {
    private IpTakeoverBench() {
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        boolean probe = args.length > 1 ? Boolean.parseBoolean(args[1]) : true;
        String why = Lab.unavailable();
        if (why != null) {
            System.err.println("ip bench: " + why);
            System.exit(2);
        }
        try (Lab lab = new Lab()) {
            Lab.Agent[] nodes = {lab.agent("n1", "node1"), lab.agent("n2", "node2")};
            Lab.Agent client = lab.agent("client", "client");
            for (Lab.Agent n : nodes) {
                n.call("serve 7000");
                check(n.call("create interface=eth0 address=192.0.2.20/24 probe=" + probe + " peers=node1,node2"), "ok");
            }
            check(nodes[0].call("start"), "result");
            List<Double> takeover = new ArrayList<>();
            List<Double> startCall = new ArrayList<>();
            int warmup = 5;
            for (int i = 0; i < trials + warmup; i++) {
                Lab.Agent from = nodes[i % 2];
                Lab.Agent to = nodes[(i + 1) % 2];
                check(from.call("stop"), "result");
                check(client.call("probe 192.0.2.20 7000 " + to.nodeId + " 5000"), "probing");
                String started = to.call("start");
                String[] w = started.split(" ", 5);
                if (!"DONE".equals(w[3])) {
                    throw new IllegalStateException("start failed on " + to.nodeId + ": " + started);
                }
                String reply = client.expect("", Duration.ofSeconds(10));
                if (!reply.startsWith("reply ")) {
                    throw new IllegalStateException("trial " + i + ": client got no reply from " + to.nodeId);
                }
                long t0 = Long.parseLong(w[1]);
                long t1 = Long.parseLong(w[2]);
                long seen = Long.parseLong(reply.split(" ")[1]);
                if (i >= warmup) {
                    takeover.add((seen - t0) / 1e6);
                    startCall.add((t1 - t0) / 1e6);
                }
            }
            String load = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
            System.out.printf(Locale.ROOT, "ip takeover ms: p50=%.1f p99=%.1f (n=%d, max=%.1f, probe=%s, client probes"
                            + " every 5 ms; start call alone p50=%.1f p99=%.1f; load average %s)%n",
                    pct(takeover, 50), pct(takeover, 99), takeover.size(), pct(takeover, 100), probe,
                    pct(startCall, 50), pct(startCall, 99), load);
        }
    }

    private static void check(String answer, String start) {
        if (!answer.startsWith(start)) {
            throw new IllegalStateException("unexpected answer: " + answer);
        }
    }

    /** Nearest-rank percentile. */
    private static double pct(List<Double> values, double p) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, Math.min(s.size() - 1, rank - 1)));
    }
}
