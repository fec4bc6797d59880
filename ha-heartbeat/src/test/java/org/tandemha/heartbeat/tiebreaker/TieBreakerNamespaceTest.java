package org.tandemha.heartbeat.tiebreaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tandemha.heartbeat.NetnsLab.must;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.heartbeat.NetnsLab;

/**
 * The tie-breaker for real: a node namespace and a "gateway" namespace (192.0.2.254) joined by a veth link. Real
 * ICMP (as root) and TCP (a closed port answers with a reset) see the gateway; with the node's link down, both
 * say this node is cut off. Needs root; skipped otherwise.
 */
@Timeout(120)
class TieBreakerNamespaceTest {
    static final String P = NetnsLab.prefix("tt");
    static final String NODE = P + "-n";
    static final String GW = P + "-g";
    static final String LINK_N = P + "n";
    static final String LINK_G = P + "g";
    static NetnsLab lab;

    @BeforeAll
    static void namespaces() {
        lab = NetnsLab.open(P, "skipped: the tie-breaker namespace test needs root (CI runs it as root)", List.of(NODE, GW),
                l -> l.veth(NODE, LINK_N, "192.0.2.1/24", GW, LINK_G, "192.0.2.254/24"));
    }

    @AfterAll
    static void cleanup() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void reachableGatewayThenCutOff() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", NODE,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx48m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), TieBreakerProbeMain.class.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(100);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    lines.offer(s);
                }
            } catch (java.io.IOException e) {
                // gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        try (OutputStream in = p.getOutputStream()) {
            assertThat(lines.poll(30, TimeUnit.SECONDS)).isEqualTo("READY");
            assertThat(ask(in, lines, "192.0.2.254 icmp")).startsWith("VERDICT UNKNOWN gateway 192.0.2.254 reachable from node1 (echo answered");
            assertThat(ask(in, lines, "192.0.2.254:7 tcp")).startsWith("VERDICT UNKNOWN gateway 192.0.2.254:7 reachable from node1")
                    .contains("refused the connection");
            must("-n", NODE, "link", "set", LINK_N, "down");
            assertThat(ask(in, lines, "192.0.2.254 icmp")).startsWith("VERDICT WE_LOST gateway 192.0.2.254 unreachable from node1")
                    .endsWith("this node is cut off");
            assertThat(ask(in, lines, "192.0.2.254:7 tcp")).startsWith("VERDICT WE_LOST gateway 192.0.2.254:7 unreachable from node1")
                    .endsWith("this node is cut off");
        } finally {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    static String ask(OutputStream in, BlockingQueue<String> lines, String line) throws Exception {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        String v = lines.poll(20, TimeUnit.SECONDS);
        assertThat(v).as("an answer to '%s'", line).isNotNull();
        return v;
    }
}
