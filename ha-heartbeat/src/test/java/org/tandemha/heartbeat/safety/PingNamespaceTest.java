package org.tandemha.heartbeat.safety;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.heartbeat.NetnsLab;

/**
 * The reachability monitor ({@code ping}, like Pacemaker's {@code ocf:pacemaker:ping}) with whole nodes: two Tandem
 * nodes, each a child JVM in its own network namespace, joined by a heartbeat link (198.51.100.0/24) and by a
 * public network (192.0.2.0/24, a bridge in a third namespace whose address 192.0.2.100 plays the gateway, the one
 * ping host). Group {@code web} runs on node1; nftables in node1's namespace then drops everything to the gateway:
 * node1 reaches 0 hosts, node2 still 1, and the group moves to node2 once the count has held for {@code dampen}.
 * Needs root (skipped otherwise; CI runs it as root). Namespaces carry a per-run prefix and are always deleted.
 */
@Timeout(180)
class PingNamespaceTest {
    static final TwoNodesAndHub NET = new TwoNodesAndHub("tp");
    static final String KEY = "hex:50696e674e616d65737061636554657374212122232425262728292a2b2c2d2e";
    static NetnsLab lab;

    @BeforeAll
    static void namespaces() {
        lab = NET.open("skipped: the namespace ping test needs root (CI runs it as root)");
    }

    @AfterAll
    static void cleanup() {
        if (lab != null) {
            lab.close();
        }
    }

    static String config() {
        return """
                cluster: pingtest
                key: "%s"
                nodes:
                  - id: node1
                    addresses: {heartbeat: "198.51.100.1:7401"}
                  - id: node2
                    addresses: {heartbeat: "198.51.100.2:7401"}
                paths:
                  - {name: heartbeat, transport: udp, priority: 1, interval: 100ms, misses: 5}
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 3s}
                ping: {hosts: [192.0.2.100], method: icmp, interval: 300ms, timeout: 200ms, dampen: 1s}
                groups:
                  - id: web
                    nodes: [node1, node2]
                    resources:
                      - {id: svc, type: test-service, quickCheck: {interval: 1s, timeout: 1s}}
                """.formatted(KEY);
    }

    @Test
    void aGroupMovesToTheNodeThatStillReachesTheGateway() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "ns-ping"));
        Files.writeString(dir.resolve("cluster.yaml"), config());
        for (String f : List.of("node1.log", "node2.log")) {
            Files.deleteIfExists(dir.resolve(f));
        }
        SafetyNamespaceTest.deleteTree(dir.resolve("state-node1"));
        SafetyNamespaceTest.deleteTree(dir.resolve("state-node2"));
        try (Child n1 = SafetyNamespaceTest.node("node1", NET.ns1, dir)) {
            n1.await(s -> s.startsWith("READY"), 0, 30_000, "node1 ready");
            n1.await(s -> s.startsWith("EVENT RESOURCE_STARTED") && s.contains("web/svc"), 0, 30_000, "web started on node1");
            try (Child n2 = SafetyNamespaceTest.node("node2", NET.ns2, dir)) {
                n2.await(s -> s.startsWith("READY"), 0, 30_000, "node2 ready");
                SafetyNamespaceTest.awaitSeenOnline(n2, "node1");
                Thread.sleep(1500); // (both counts announced and settled: nothing moves while both reach the gateway)
                int m1 = n1.mark();
                int m2 = n2.mark();
                assertThat(n1.since(0)).noneMatch(s -> s.startsWith("EVENT SWITCHOVER_STARTED"));

                long cutAt = System.nanoTime();
                lab.nft(NET.ns1, "add table inet " + NET.prefix);
                lab.nft(NET.ns1, "add chain inet " + NET.prefix + " out { type filter hook output priority 0 ; }");
                lab.nft(NET.ns1, "add rule inet " + NET.prefix + " out ip daddr 192.0.2.100 drop");

                String move = n1.await(s -> s.startsWith("EVENT SWITCHOVER_STARTED") && s.contains("web"), m1, 30_000,
                        "web leaving node1");
                assertThat(move).contains("node2 reaches 1 of its ping hosts, node1 only 0");
                n2.await(s -> s.startsWith("EVENT RESOURCE_STARTED") && s.contains("web/svc"), m2, 30_000, "web started on node2");
                SafetyNamespaceTest.awaitSeenOnline(n2, "node2");
                System.out.println("gateway dropped on node1 to web started on node2: "
                        + (System.nanoTime() - cutAt) / 1_000_000 + " ms (ping every 300 ms, dampen 1 s)");
                assertThat(n1.since(m1)).anyMatch(s -> s.startsWith("EVENT RESOURCE_STOPPED") && s.contains("web/svc"));
            }
        }
    }
}
