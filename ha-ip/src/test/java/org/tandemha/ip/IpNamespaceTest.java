package org.tandemha.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ip resource against real network namespaces: a client and two nodes on one bridge, node1 with a backup link.
 * Each node runs in its own JVM inside its namespace ({@link IpAgent}). Needs root; skipped otherwise.
 */
class IpNamespaceTest {
    private static Lab lab;

    @BeforeAll
    static void setUp() throws Exception {
        String why = Lab.unavailable();
        assumeTrue(why == null, why);
        lab = new Lab();
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    private static String create(Lab.Agent a, String address, String extra) throws Exception {
        return a.call("create interface=eth0 address=" + address + "/24 " + extra);
    }

    private static String act(Lab.Agent a, String what) throws Exception {
        String r = a.call(what);
        assertThat(r).startsWith("result ");
        return r.split(" ", 4)[3];
    }

    private static void assertReaches(Lab.Agent client, String ip, String node) throws Exception {
        String r = client.call("probe " + ip + " 7000 " + node + " 3000");
        assertThat(r).isEqualTo("probing");
        assertThat(client.expect("", Duration.ofSeconds(10))).as("client reaches %s at %s", node, ip)
                .startsWith("reply ").endsWith(" " + node);
    }

    @Test
    void moveBetweenNodesUpdatesTheClientsArpEntryWithoutAFlush() throws Exception {
        Lab.Agent n1 = lab.agent("n1", "node1");
        Lab.Agent n2 = lab.agent("n2", "node2");
        Lab.Agent client = lab.agent("client", "client");
        try {
            n1.call("serve 7000");
            n2.call("serve 7000");
            create(n1, "192.0.2.10", "label=vip");
            create(n2, "192.0.2.10", "peers=node1");
            assertThat(act(n1, "start")).startsWith("DONE added 192.0.2.10/24 to eth0");
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr", "show", "dev", "eth0")).contains("192.0.2.10/24")
                    .contains("eth0:vip");
            assertThat(act(n1, "start")).as("start is idempotent").startsWith("DONE 192.0.2.10/24 already on eth0");
            assertThat(act(n1, "check")).startsWith("OK");
            assertReaches(client, "192.0.2.10", "node1");
            String mac1 = n1.fact("mac.eth0");
            assertThat(lab.ip("-n", lab.ns("client"), "neigh", "show", "192.0.2.10")).contains(mac1);

            assertThat(act(n1, "stop")).startsWith("DONE removed 192.0.2.10/24 from eth0");
            assertThat(act(n1, "stop")).as("stop is idempotent").startsWith("DONE 192.0.2.10/24 was not on this node");
            assertThat(act(n1, "check")).startsWith("NOT_RUNNING");
            assertThat(act(n2, "start")).startsWith("DONE added 192.0.2.10/24 to eth0, announced");
            String mac2 = n2.fact("mac.eth0");
            assertThat(mac2).isNotEqualTo(mac1);
            // the first gratuitous ARP left before start returned: the client's entry now holds node2's MAC
            assertThat(awaitNeighbour("192.0.2.10", mac2)).contains(mac2);
            assertReaches(client, "192.0.2.10", "node2");
            assertThat(act(n2, "stop")).startsWith("DONE");
        } finally {
            n1.kill();
            n2.kill();
            client.kill();
        }
    }

    @Test
    void refusesAnAddressALiveNodeHoldsButTakesItFromAKilledOne() throws Exception {
        Lab.Agent n1 = lab.agent("n1", "node1");
        Lab.Agent n2 = lab.agent("n2", "node2");
        try {
            create(n1, "192.0.2.11", "");
            assertThat(act(n1, "start")).startsWith("DONE");
            String mac1 = n1.fact("mac.eth0");
            create(n2, "192.0.2.11", "peers=node1 probeTimeout=200ms");
            for (String e : n1.events) { // what the heartbeat carries from node1 to node2
                if (e.startsWith("fact ")) {
                    n2.call("peerfact node1 " + e.substring(5));
                }
            }

            String refused = act(n2, "start");
            assertThat(refused).startsWith("ERROR").contains("192.0.2.11 is in use").contains("MAC " + mac1)
                    .contains("node1");
            assertThat(lab.ip("-n", lab.ns("n2"), "-4", "addr")).doesNotContain("192.0.2.11");

            n1.kill(); // kill -9: node1's kernel keeps the address and still answers ARP for it
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr")).contains("192.0.2.11");
            n2.call("dead node1 true");
            assertThat(act(n2, "start")).startsWith("DONE added 192.0.2.11/24 to eth0");
            assertThat(n2.events).anyMatch(e -> e.startsWith("note stale address 192.0.2.11 on node1"));

            // node1 restarts: the engine's start-up stop removes the stale address before it joins
            Lab.Agent again = lab.agent("n1", "node1");
            create(again, "192.0.2.11", "");
            assertThat(act(again, "stop")).startsWith("DONE removed 192.0.2.11/24 from eth0");
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr")).doesNotContain("192.0.2.11");
            again.kill();
            assertThat(act(n2, "stop")).startsWith("DONE");
        } finally {
            n1.kill();
            n2.kill();
        }
    }

    /**
     * Issue 13, finding 1: kill -9 of the holder's daemon leaves the address on its interface, and its kernel answers
     * the survivor's probe. The survivor knows the dead node only as one of the cluster's nodes (no {@code peers}
     * parameter): the takeover must go through, and the re-announcements must take back a client whose entry the
     * stale kernel set, until the dead node is back.
     */
    @Test
    void aDeadPeersKernelDoesNotBlockTheTakeoverWithoutThePeersParameter() throws Exception {
        for (String address : List.of("192.0.2.16/24", "2001:db8::16/64")) {
            String ip = address.substring(0, address.indexOf('/'));
            String family = ip.contains(":") ? "-6" : "-4";
            Lab.Agent n1 = lab.agent("n1", "node1");
            Lab.Agent n2 = lab.agent("n2", "node2");
            Lab.Agent again = null;
            try {
                assertThat(n1.call("create interface=eth0 address=" + address)).startsWith("ok");
                assertThat(act(n1, "start")).startsWith("DONE");
                String mac1 = n1.fact("mac.eth0");
                n1.kill(); // kill -9 of the daemon only: node1's kernel keeps the address and answers for it
                assertThat(lab.ip("-n", lab.ns("n1"), family, "addr")).contains(ip);

                assertThat(n2.call("create interface=eth0 address=" + address
                        + " probeTimeout=200ms reannounceInterval=200ms")).startsWith("ok");
                assertThat(n2.call("peers node1")).isEqualTo("ok peers"); // what NodeContext.peers() says
                for (String e : n1.events) { // node1's facts, as its last announcement carried them
                    if (e.startsWith("fact ")) {
                        n2.call("peerfact node1 " + e.substring(5));
                    }
                }
                n2.call("dead node1 true");
                assertThat(act(n2, "start")).as(address).startsWith("DONE added " + address + " to eth0, announced")
                        .contains("re-announcing it while node1 may still answer for it");
                assertThat(n2.events).anyMatch(e -> e.startsWith("note stale address " + ip + " on node1 (MAC " + mac1));
                assertThat(n2.events).anyMatch(e -> e.startsWith("note re-announcing " + address));
                String mac2 = n2.fact("mac.eth0");

                if (family.equals("-4")) {
                    // a client whose broadcast request the stale kernel answered first
                    lab.ip("-n", lab.ns("client"), "neigh", "replace", ip, "lladdr", mac1, "dev", "eth0", "nud", "stale");
                    assertThat(awaitNeighbour(ip, mac2)).as("a re-announcement took the client back").contains(mac2);
                }

                // node1 restarts: its start-up stop removes the stale address; it is heard again
                again = lab.agent("n1", "node1");
                assertThat(again.call("create interface=eth0 address=" + address)).startsWith("ok");
                assertThat(act(again, "stop")).startsWith("DONE removed " + address + " from eth0");
                assertThat(lab.ip("-n", lab.ns("n1"), family, "addr")).doesNotContain(ip);
                n2.call("dead node1 false");
                assertThat(awaitEvent(n2, "note every peer that may have held " + address + " is back"))
                        .as("the re-announcements end once node1 is back").isTrue();
                assertThat(act(n2, "stop")).startsWith("DONE");
            } finally {
                n1.kill();
                n2.kill();
                if (again != null) {
                    again.kill();
                }
            }
        }
    }

    /** Whether an event starting with {@code start} arrives within about 5 s. */
    private static boolean awaitEvent(Lab.Agent a, String start) {
        for (int i = 0; i < 100; i++) {
            if (a.events.stream().anyMatch(e -> e.startsWith(start))) {
                return true;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }
        return false;
    }

    @Test
    void carrierLossMovesTheAddressToTheBackupLink() throws Exception {
        Lab.Agent n1 = lab.agent("n1", "node1");
        Lab.Agent client = lab.agent("client", "client");
        try {
            n1.call("serve 7000");
            create(n1, "192.0.2.12", "backupInterface=eth1 label=vip");
            assertThat(act(n1, "start")).startsWith("DONE added 192.0.2.12/24 to eth0");
            assertReaches(client, "192.0.2.12", "node1");
            assertThat(n1.call("watch eth0 nocarrier 5000")).isEqualTo("watching");
            lab.cable("n1", false);
            // rtnetlink link-state notification: node1 hears of the carrier loss at once
            assertThat(n1.expect("", Duration.ofSeconds(10))).isEqualTo("link eth0 nocarrier");
            String check = awaitCheck(n1, "FAILED");
            assertThat(check).contains("no carrier");
            assertThat(act(n1, "recover")).startsWith("DONE moved 192.0.2.12/24 from eth0").contains("to eth1");
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr", "show", "dev", "eth1")).contains("192.0.2.12/24")
                    .contains("eth1:vip");
            assertThat(act(n1, "check")).startsWith("OK 192.0.2.12/24 on eth1");
            assertReaches(client, "192.0.2.12", "node1");
            assertThat(act(n1, "stop")).startsWith("DONE removed 192.0.2.12/24 from eth1");
        } finally {
            lab.cable("n1", true);
            n1.kill();
            client.kill();
        }
    }

    @Test
    void aRejoiningPeerTriggersANewAnnouncement() throws Exception {
        Lab.Agent n2 = lab.agent("n2", "node2");
        try {
            create(n2, "192.0.2.13", "arpCount=2 arpInterval=50ms");
            assertThat(act(n2, "start")).startsWith("DONE");
            String mac2 = n2.fact("mac.eth0");
            // the client still points at the node that lost the partition
            lab.ip("-n", lab.ns("client"), "neigh", "replace", "192.0.2.13", "lladdr", "02:00:00:00:00:01", "dev", "eth0",
                    "nud", "stale");
            n2.call("rejoin node1");
            assertThat(awaitNeighbour("192.0.2.13", mac2)).contains(mac2);
            assertThat(n2.events).anyMatch(e -> e.startsWith("note peer node1 rejoined"));
            assertThat(act(n2, "stop")).startsWith("DONE");
        } finally {
            n2.kill();
        }
    }

    @Test
    void badInputGivesClearErrors() throws Exception {
        Lab.Agent n2 = lab.agent("n2", "node2");
        Lab.Agent weak = lab.agent("n2", "weak", "setpriv", "--bounding-set=-net_admin,-net_raw", "--inh-caps=-all");
        try {
            assertThat(n2.call("create interface=nosuch0 address=192.0.2.14/24")).startsWith("ok");
            assertThat(act(n2, "start")).startsWith("ERROR").contains("nosuch0").contains("no such interface");
            assertThat(act(n2, "stop")).as("nothing to remove").startsWith("DONE");
            assertThat(n2.call("create interface=eth0 address=192.0.2.300/24"))
                    .startsWith("err").contains("'192.0.2.300' is not an IPv4 or IPv6 address");
            assertThat(n2.call("create interface=eth0 address=192.0.2.14/40"))
                    .startsWith("err").contains("prefix length '/40'");

            // a host outside the cluster holds the address: refused, naming its MAC
            lab.ip("-n", lab.ns("client"), "addr", "add", "192.0.2.15/24", "dev", "eth0");
            String clientMac = lab.ip("-n", lab.ns("client"), "-br", "link", "show", "dev", "eth0").trim().split("\\s+")[2];
            assertThat(n2.call("create interface=eth0 address=192.0.2.15/24 probeTimeout=200ms")).startsWith("ok");
            assertThat(act(n2, "start")).startsWith("ERROR address 192.0.2.15 is in use: MAC " + clientMac
                    + " (not a cluster node)");
            lab.ip("-n", lab.ns("client"), "addr", "del", "192.0.2.15/24", "dev", "eth0");

            assertThat(weak.call("create interface=eth0 address=192.0.2.14/24 probe=false")).startsWith("ok");
            assertThat(act(weak, "start")).startsWith("ERROR").contains("permission denied")
                    .contains("CAP_NET_ADMIN");
            assertThat(lab.ip("-n", lab.ns("n2"), "-4", "addr")).doesNotContain("192.0.2.14");
        } finally {
            n2.kill();
            weak.kill();
        }
    }

    /** The client's neighbour entry for {@code ip}, once it holds {@code mac}; polled for at most about 5 s. */
    private static String awaitNeighbour(String ip, String mac) throws Exception {
        String neigh = "";
        for (int i = 0; i < 100 && !neigh.contains(mac); i++) {
            neigh = lab.ip("-n", lab.ns("client"), "neigh", "show", ip);
            if (!neigh.contains(mac)) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
            }
        }
        return neigh;
    }

    /** Polls the quick check until it reports {@code health}; bounded to about 5 s. */
    private static String awaitCheck(Lab.Agent a, String health) throws Exception {
        String r = "";
        for (int i = 0; i < 50; i++) {
            r = act(a, "check");
            if (r.startsWith(health)) {
                return r;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
        }
        return r;
    }

    /** Issue 22 item 5: the broadcast address is set as 'ip addr add ... brd +' does (IPv4). */
    @Test
    void theBroadcastAddressIsSet() throws Exception {
        Lab.Agent n1 = lab.agent("n1", "node1");
        try {
            create(n1, "192.0.2.21", "probe=false");
            assertThat(act(n1, "start")).startsWith("DONE added 192.0.2.21/24 to eth0");
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr", "show", "dev", "eth0")).contains("inet 192.0.2.21/24 brd 192.0.2.255");
            assertThat(act(n1, "stop")).startsWith("DONE removed");
        } finally {
            n1.kill();
        }
    }

    /** Issue 22 item 5: the address on another interface of the node is an error naming it, and is never deleted. */
    @Test
    void anAddressOnAnotherInterfaceIsAnErrorNamingIt() throws Exception {
        lab.ip("-n", lab.ns("n1"), "addr", "add", "192.0.2.22/24", "dev", "eth1");
        Lab.Agent n1 = lab.agent("n1", "node1");
        try {
            create(n1, "192.0.2.22", "probe=false");
            String refused = act(n1, "start");
            assertThat(refused).startsWith("ERROR").contains("already on interface eth1").contains("ip addr del 192.0.2.22/24 dev eth1");
            String stop = act(n1, "stop");
            assertThat(stop).startsWith("DONE").contains("also on eth1").contains("left there");
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr", "show", "dev", "eth1")).contains("192.0.2.22/24");
            assertThat(lab.ip("-n", lab.ns("n1"), "-4", "addr", "show", "dev", "eth0")).doesNotContain("192.0.2.22");
        } finally {
            n1.kill();
        }
    }

    /** Issue 22 item 5: refreshInterval sends a gratuitous ARP every interval while the address is held, none after stop. */
    @Test
    void periodicGratuitousArpWhileHeld() throws Exception {
        Lab.Agent n1 = lab.agent("n1", "node1");
        Lab.Agent client = lab.agent("client", "client");
        try {
            create(n1, "192.0.2.23", "probe=false arpCount=1 refreshInterval=1s");
            assertThat(act(n1, "start")).startsWith("DONE added 192.0.2.23/24 to eth0").contains("refreshed every 1 s");
            int seen = Integer.parseInt(client.call("garps 192.0.2.23 3600").substring(6));
            assertThat(seen).as("announcements in 3.6 s at one a second").isBetween(2, 5);
            assertThat(act(n1, "stop")).startsWith("DONE removed");
            assertThat(client.call("garps 192.0.2.23 2500")).isEqualTo("garps 0");
        } finally {
            n1.kill();
            client.kill();
        }
    }

    /**
     * Issue 22 item 5: a host that answers ARP probes only after 400 ms. The fast probe (200 ms) misses it; the RFC 5227
     * timing (probes 1 to 2 s apart, then 2 s of listening) sees it and refuses the address, naming the MAC.
     */
    @Test
    void rfc5227ProbeTimingCatchesASlowResponder() throws Exception {
        Lab.Agent n2 = lab.agent("n2", "node2");
        Lab.Agent slow = lab.agent("client", "client");
        try {
            assertThat(slow.call("slowarp 192.0.2.24 400 60000")).isEqualTo("slowarp ready");
            String mac = lab.ip("-n", lab.ns("client"), "link", "show", "eth0").replaceAll("(?s).*link/ether ([0-9a-f:]{17}).*", "$1");
            create(n2, "192.0.2.24", "probeTimeout=200ms");
            assertThat(act(n2, "start")).as("the fast probe gives up before the slow answer").startsWith("DONE added");
            assertThat(act(n2, "stop")).startsWith("DONE removed");
            create(n2, "192.0.2.24", "probeMode=rfc5227");
            long t0 = System.nanoTime();
            String refused = act(n2, "start");
            long ms = (System.nanoTime() - t0) / 1_000_000L;
            assertThat(refused).startsWith("ERROR").contains("192.0.2.24 is in use").contains("MAC " + mac);
            assertThat(ms).as("refused at the first slow answer, within the RFC's longest probe").isLessThan(8_000);
            assertThat(lab.ip("-n", lab.ns("n2"), "-4", "addr")).doesNotContain("192.0.2.24");
        } finally {
            n2.kill();
            slow.kill();
        }
    }
}
