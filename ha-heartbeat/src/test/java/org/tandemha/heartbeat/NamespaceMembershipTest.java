package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tandemha.heartbeat.NetnsLab.must;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes in two network namespaces joined by two veth links, a "heartbeat" link (198.51.100.0/24) and a "public"
 * link (192.0.2.0/24). Node paths: {@code heartbeat} (UDP) on the first link, {@code public} (UDP) and
 * {@code pubtcp} (TCP) and {@code pubmc} (multicast) on the second. Each node is a child JVM started with
 * {@code ip netns exec}. Needs root; skipped otherwise.
 */
@Timeout(180)
class NamespaceMembershipTest {
    static final String P = NetnsLab.prefix("th");
    static final String NS1 = P + "-a";
    static final String NS2 = P + "-b";
    static final String HB1 = P + "ah";
    static final String HB2 = P + "bh";
    static final String PUB1 = P + "ap";
    static final String PUB2 = P + "bp";
    static NetnsLab lab;

    @BeforeAll
    static void namespaces() {
        lab = NetnsLab.open(P, "skipped: network namespace tests need root (CI runs them as root)", List.of(NS1, NS2), l -> {
            l.veth(NS1, HB1, "198.51.100.1/24", NS2, HB2, "198.51.100.2/24");
            l.veth(NS1, PUB1, "192.0.2.1/24", NS2, PUB2, "192.0.2.2/24");
        });
    }

    @AfterAll
    static void cleanup() {
        if (lab != null) {
            lab.close();
        }
    }

    static List<String> specs() {
        return List.of("path:heartbeat:udp:1:100:3", "path:public:udp:2:100:3", "path:pubtcp:tcp:3:100:3",
                "path:pubmc:multicast:4:100:3:group=239.192.74.1",
                "node:node1:heartbeat@198.51.100.1:7400,public@192.0.2.1:7400,pubtcp@192.0.2.1:7401,pubmc@192.0.2.1:7402",
                "node:node2:heartbeat@198.51.100.2:7400,public@192.0.2.2:7400,pubtcp@192.0.2.2:7401,pubmc@192.0.2.2:7402");
    }

    @Test
    void linkDownIsAPathDownBothLinksDownIsUnreachable() throws Exception {
        Path logs = Files.createDirectories(Path.of("target", "ns-logs"));
        Files.deleteIfExists(logs.resolve("node1.log"));
        Files.deleteIfExists(logs.resolve("node2.log"));
        try (ChildNode n1 = new ChildNode(NS1, logs.resolve("node1.log"), "node1", specs());
             ChildNode n2 = new ChildNode(NS2, logs.resolve("node2.log"), "node2", specs())) {
            n1.await(s -> s.startsWith("READY"), 0, 30_000, "node1 ready");
            n2.await(s -> s.startsWith("READY"), 0, 30_000, "node2 ready");
            n2.command("announce web=ONLINE");
            n1.await(s -> s.startsWith("REACHABLE node2"), 0, 10_000, "node2 reachable from node1");
            n2.await(s -> s.startsWith("REACHABLE node1"), 0, 10_000, "node1 reachable from node2");
            for (String p : List.of("heartbeat", "public", "pubtcp", "pubmc")) {
                n1.await(s -> s.startsWith("PATH " + p + " node2 UP"), 0, 10_000, p + " up on node1");
                n2.await(s -> s.startsWith("PATH " + p + " node1 UP"), 0, 10_000, p + " up on node2");
            }
            n1.await(s -> s.equals("STATE node2 web=ONLINE"), 0, 10_000, "node2's state");

            // the heartbeat link goes down: that path is down, the peer stays reachable
            int m1 = n1.mark();
            int m2 = n2.mark();
            must("-n", NS1, "link", "set", HB1, "down");
            n1.await(s -> s.startsWith("PATH heartbeat node2 DOWN"), m1, 5_000, "heartbeat path down on node1");
            n2.await(s -> s.startsWith("PATH heartbeat node1 DOWN"), m2, 5_000, "heartbeat path down on node2");
            n1.command("send node2 hello over public");
            n2.await(s -> s.equals("MESSAGE node1 hello over public"), m2, 5_000, "message over the public link");
            assertThat(n1.count("UNREACHABLE", m1)).isZero();
            assertThat(n2.count("UNREACHABLE", m2)).isZero();
            assertThat(n1.count("PATH public", m1)).as("public stays up").isZero();

            // the public link too: the peer is unreachable
            must("-n", NS2, "link", "set", PUB2, "down");
            ChildNode.Line gone = n1.await(s -> s.startsWith("UNREACHABLE node2"), m1, 5_000, "node2 unreachable");
            assertThat(gone.text()).contains("silent on every path");
            // within interval x misses + one interval of the last heartbeat heard on any path (measured by the
            // detector when it decided), unless the child's heartbeat thread was starved and widened its patience
            java.util.regex.Matcher lastSeen = java.util.regex.Pattern.compile("last seen (\\d+) ms ago").matcher(gone.text());
            long silence = Long.MAX_VALUE;
            while (lastSeen.find()) {
                silence = Math.min(silence, Long.parseLong(lastSeen.group(1)));
            }
            boolean stalled = Files.readString(logs.resolve("node1.log")).contains("was stalled");
            assertThat(silence).as(gone.text()).isLessThanOrEqualTo(stalled ? 1400 : 400);
            n2.await(s -> s.startsWith("UNREACHABLE node1"), m2, 5_000, "node1 unreachable");

            // links back: reachable again
            m1 = n1.mark();
            m2 = n2.mark();
            must("-n", NS1, "link", "set", HB1, "up");
            must("-n", NS2, "link", "set", PUB2, "up");
            n1.await(s -> s.startsWith("REACHABLE node2"), m1, 10_000, "node2 reachable again");
            n2.await(s -> s.startsWith("REACHABLE node1"), m2, 10_000, "node1 reachable again");
        }
    }
}
