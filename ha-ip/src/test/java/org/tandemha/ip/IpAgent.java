package org.tandemha.ip;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;

/**
 * A test main run inside a network namespace ({@code ip netns exec <ns> java ... IpAgent <node>}). It plays one
 * node (or the client) and obeys one command per line on stdin; every answer is one line on stdout starting with
 * {@code @@ }. Commands: create k=v..., start, stop, check, recover, rejoin PEER, peerfact PEER KEY VALUE,
 * peers PEER..., dead PEER true|false, serve PORT, probe IP PORT EXPECT TIMEOUT_MS,
 * watch IFNAME carrier|nocarrier TIMEOUT_MS, slowarp IP DELAY_MS FOR_MS, garps IP FOR_MS, exit.
 */
public final class IpAgent {
    private static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);

    private IpAgent() {
    }

    private static synchronized void say(String line) {
        OUT.println("@@ " + line.replace('\n', ' '));
    }

    public static void main(String[] args) throws Exception {
        String nodeId = args[0];
        FakeNodeContext ctx = new FakeNodeContext(nodeId, IpAgent::say);
        ResourceParts parts = null;
        say("ready " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            try {
                switch (w[0]) {
                    case "create" -> {
                        Map<String, Object> params = new LinkedHashMap<>();
                        for (int i = 1; i < w.length; i++) {
                            int eq = w[i].indexOf('=');
                            String v = w[i].substring(eq + 1);
                            params.put(w[i].substring(0, eq), v.contains(",") ? List.of(v.split(",")) : v);
                        }
                        parts = new IpAddressType().create(PluginConfig.of("vip", "ip", params), ctx);
                        say("ok created");
                    }
                    case "start", "stop", "recover" -> {
                        ActionContext ac = ActionContext.of(nodeId, "g", "vip", Duration.ofSeconds(10));
                        long t0 = System.nanoTime();
                        ActionResult r = switch (w[0]) {
                            case "start" -> parts.resource().start(ac);
                            case "stop" -> parts.resource().stop(ac);
                            default -> parts.recoverer().recover(ac, CheckResult.failed("test"));
                        };
                        long t1 = System.nanoTime();
                        say("result " + t0 + " " + t1 + " " + r.outcome() + " " + r.reason());
                    }
                    case "check" -> {
                        CheckResult r = parts.checker().quickCheck(ActionContext.of(nodeId, "g", "vip", Duration.ofSeconds(5)));
                        say("result 0 0 " + r.health() + " " + r.reason());
                    }
                    case "rejoin" -> {
                        ((org.tandemha.api.PeerAware) parts.resource()).peerRejoined(w[1]);
                        say("ok rejoined");
                    }
                    case "peerfact" -> {
                        ctx.peerFacts.computeIfAbsent(w[1], k -> new HashMap<>()).put(w[2], w[3]);
                        say("ok fact");
                    }
                    case "peers" -> {
                        ctx.peers.clear();
                        for (int i = 1; i < w.length; i++) {
                            ctx.peers.add(w[i]);
                        }
                        say("ok peers");
                    }
                    case "dead" -> {
                        if (Boolean.parseBoolean(w[2])) {
                            ctx.dead.add(w[1]);
                        } else {
                            ctx.dead.remove(w[1]);
                        }
                        say("ok dead");
                    }
                    case "serve" -> {
                        serve(nodeId, Integer.parseInt(w[1]));
                        say("ok serving");
                    }
                    case "probe" -> probe(InetAddress.getByName(w[1]), Integer.parseInt(w[2]), w[3], Long.parseLong(w[4]));
                    case "watch" -> watch(w[1], w[2], Long.parseLong(w[3]));
                    case "slowarp" -> slowArp(InetAddress.getByName(w[1]), Long.parseLong(w[2]), Long.parseLong(w[3]));
                    case "garps" -> garps(InetAddress.getByName(w[1]), Long.parseLong(w[2]));
                    case "exit" -> {
                        say("ok bye");
                        System.exit(0);
                    }
                    default -> say("err unknown command " + w[0]);
                }
            } catch (Exception e) {
                say("err " + e);
            }
        }
    }

    /**
     * Waits for a link-state notification saying that {@code ifname} has (or lost) carrier; prints
     * {@code watching} once subscribed, then {@code link IFNAME STATE} or {@code nochange}.
     */
    private static void watch(String ifname, String state, long timeoutMs) throws Exception {
        try (Rtnetlink monitor = Rtnetlink.openLinkMonitor()) {
            say("watching");
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            long left;
            while ((left = (deadline - System.nanoTime()) / 1_000_000L) > 0) {
                for (Rtnetlink.Link l : monitor.awaitLinkChange(left)) {
                    String now = l.usable() ? "carrier" : "nocarrier";
                    if (l.name().equals(ifname) && now.equals(state)) {
                        say("link " + ifname + " " + now);
                        return;
                    }
                }
            }
            say("nochange");
        }
    }

    /** Answers every datagram on {@code port} with the node id. */
    private static void serve(String nodeId, int port) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(port));
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64];
            byte[] me = nodeId.getBytes(StandardCharsets.US_ASCII);
            while (true) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    s.send(new DatagramPacket(me, me.length, p.getSocketAddress()));
                } catch (Exception e) {
                    // keep serving
                }
            }
        }, "responder");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Sends a datagram every 5 ms until a reply reads {@code expect} (prints {@code reply <nanoTime> <text>}) or the
     * timeout passes (prints {@code noreply}). Prints {@code probing} first.
     */
    private static void probe(InetAddress ip, int port, String expect, long timeoutMs) throws Exception {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(1);
            byte[] ping = {1};
            byte[] buf = new byte[64];
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            long nextSend = System.nanoTime();
            say("probing");
            while (System.nanoTime() - deadline < 0) {
                if (System.nanoTime() - nextSend >= 0) {
                    try {
                        s.send(new DatagramPacket(ping, 1, ip, port));
                    } catch (java.io.IOException e) {
                        // no route yet: keep trying
                    }
                    nextSend += 5_000_000L;
                }
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    long t = System.nanoTime();
                    String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
                    if (text.equals(expect)) {
                        say("reply " + t + " " + text);
                        return;
                    }
                } catch (SocketTimeoutException e) {
                    // next round
                }
            }
            say("noreply");
        }
    }

    /**
     * A slow responder: for {@code forMs}, answers every ARP probe for {@code ip} on eth0 (sender address zero) after
     * {@code delayMs}, claiming the address with this host's MAC, without holding it. Prints {@code slowarp ready}.
     */
    private static void slowArp(InetAddress ip, long delayMs, long forMs) throws Exception {
        Rtnetlink.Link eth0;
        try (Rtnetlink nl = Rtnetlink.open()) {
            eth0 = nl.link("eth0", 2000);
        }
        PacketSocket s = PacketSocket.open(eth0.index(), eth0.name(), Packets.ETH_P_ARP);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[2048];
            long end = System.nanoTime() + forMs * 1_000_000L;
            try {
                long left;
                while ((left = (end - System.nanoTime()) / 1_000_000L) > 0) {
                    PacketSocket.Frame f = s.receive(buf, Math.max(1, left));
                    if (f == null || f.length() < 28) {
                        continue;
                    }
                    boolean probe = java.util.Arrays.equals(java.util.Arrays.copyOfRange(buf, 14, 18), new byte[4])
                            && java.util.Arrays.equals(java.util.Arrays.copyOfRange(buf, 24, 28), ip.getAddress());
                    if (probe) {
                        Thread.sleep(delayMs);
                        s.send(Packets.arpAnnouncement(eth0.mac(), ip), Packets.BROADCAST, "slow answer");
                        say("slowarp answered");
                    }
                }
            } catch (Exception e) {
                say("slowarp failed " + e);
            } finally {
                s.close();
            }
        }, "slowarp");
        t.setDaemon(true);
        t.start();
        say("slowarp ready");
    }

    /** Counts announcements (ARP frames whose sender address is {@code ip}) on eth0 for {@code forMs}: {@code garps N}. */
    private static void garps(InetAddress ip, long forMs) throws Exception {
        Rtnetlink.Link eth0;
        try (Rtnetlink nl = Rtnetlink.open()) {
            eth0 = nl.link("eth0", 2000);
        }
        int n = 0;
        try (PacketSocket s = PacketSocket.open(eth0.index(), eth0.name(), Packets.ETH_P_ARP)) {
            byte[] buf = new byte[2048];
            long end = System.nanoTime() + forMs * 1_000_000L;
            long left;
            while ((left = (end - System.nanoTime()) / 1_000_000L) > 0) {
                PacketSocket.Frame f = s.receive(buf, Math.max(1, left));
                if (f != null && Packets.arpClaimant(buf, f.length(), ip) != null) {
                    n++;
                }
            }
        }
        say("garps " + n);
    }
}
