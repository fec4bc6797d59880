package org.tandemha.heartbeat.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Verdict;
import org.tandemha.core.testing.FakeNodeContext;

/** The witness server and the witness arbiter over real loopback sockets. */
@Timeout(60)
class WitnessTest {
    static final byte[] KEY = "witness-test-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    static ClusterConfig cluster(String local, byte[] key) {
        return new ClusterConfig("test", local, key, List.of(
                new ClusterConfig.Node("node1", Map.of("hb", "127.0.0.1:7401")),
                new ClusterConfig.Node("node2", Map.of("hb", "127.0.0.1:7402"))),
                List.of(new ClusterConfig.Path("hb", "udp", 1, Duration.ofMillis(100), 3, Map.of())));
    }

    static NodeContext context(String node) {
        return context(node, new java.util.concurrent.CopyOnWriteArrayList<>());
    }

    /** A node context that collects what {@code reportFenced} was told. */
    static NodeContext context(String node, List<String> reported) {
        return new FakeNodeContext(node, Path.of("target")) {
            @Override
            public void reportFenced(String reason) {
                reported.add(reason);
            }
        };
    }

    static PluginConfig params(Map<String, Object> p) {
        return new PluginConfig("witness", "witness", "arbiters[1]", p);
    }

    static Arbiter arbiter(String node, InetSocketAddress w, byte[] key) throws InvalidConfigException {
        return arbiter(node, w, key, new java.util.concurrent.CopyOnWriteArrayList<>());
    }

    static Arbiter arbiter(String node, InetSocketAddress w, byte[] key, List<String> fenced) throws InvalidConfigException {
        ArbiterFactory f = ServiceLoader.load(ArbiterFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(a -> a.type().equals("witness")).findFirst().orElseThrow();
        return f.create(params(Map.of("address", "127.0.0.1:" + w.getPort(), "reportInterval", "100ms")),
                cluster(node, key), context(node, fenced));
    }

    /** Polls (bounded) until the witness's answer is what we want; returns the last answer. */
    static Verdict askUntil(Arbiter a, String peer, long gen, Verdict.Answer want, long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Verdict v;
        do {
            v = a.ask(peer, gen, Duration.ofSeconds(1));
            if (v.answer() == want) {
                return v;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        return v;
    }

    static WitnessServer server(Path state) throws Exception {
        return new WitnessServer("test", KEY, new InetSocketAddress("127.0.0.1", 0), Duration.ofMillis(300), state).start();
    }

    @Test
    void aliveThenDeadThenOneGrantPerGeneration() throws Exception {
        try (WitnessServer w = server(dir.resolve("witness.state"))) {
            Arbiter a1 = arbiter("node1", w.address(), KEY);
            Arbiter a2 = arbiter("node2", w.address(), KEY);
            try {
                a1.start();
                a2.start();
                Verdict alive = askUntil(a1, "node2", 4, Verdict.Answer.PEER_ALIVE, 5_000);
                assertThat(alive.answer()).as(alive.reason()).isEqualTo(Verdict.Answer.PEER_ALIVE);
                assertThat(alive.reason()).matches("witness heard node2 \\d+\\.\\d s ago");
                assertThat(alive.generation()).isEqualTo(4);

                a2.close(); // node2 stops reporting: after its lease it is dead, and node1 gets the takeover
                Verdict dead = askUntil(a1, "node2", 4, Verdict.Answer.PEER_DEAD, 5_000);
                assertThat(dead.answer()).as(dead.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
                assertThat(dead.reason()).contains("witness has not heard node2 for").endsWith("takeover granted to node1 for generation 4");
                assertThat(dead.generation()).isEqualTo(4);
                assertThat(a1.ask("node2", 4, Duration.ofSeconds(1)).reason()).as("asking again: the same grant")
                        .endsWith("takeover granted to node1 for generation 4");

                // node2 restarted (a new incarnation) asks at the old generation while node1 reports: the takeover
                // was from its old incarnation, which runs nothing now: node1 is simply alive (a paused
                // node2, the same incarnation, is told it lost: aPausedNodeWhoseTakeoverWasGrantedAwayIsToldToStandDown)
                Arbiter back = arbiter("node2", w.address(), KEY);
                try {
                    back.start();
                    Verdict alive2 = askUntil(back, "node1", 4, Verdict.Answer.PEER_ALIVE, 5_000);
                    assertThat(alive2.answer()).as(alive2.reason()).isEqualTo(Verdict.Answer.PEER_ALIVE);
                } finally {
                    back.close();
                }
                assertThat(w.grants()).containsExactly(Map.entry(4L, "node1"));
            } finally {
                a1.close();
                a2.close();
            }
        }
        // a restarted witness remembers the grant: node2 asking about a silent node1 gets a new, higher generation
        assertThat(Files.readString(dir.resolve("witness.state"))).contains("grant 4 node1");
        try (WitnessServer w = server(dir.resolve("witness.state"))) {
            Arbiter a2 = arbiter("node2", w.address(), KEY);
            try {
                a2.start();
                Verdict first = a2.ask("node1", 4, Duration.ofSeconds(1));
                assertThat(first.answer()).as(first.reason()).isIn(Verdict.Answer.UNKNOWN, Verdict.Answer.PEER_DEAD);
                Verdict v = askUntil(a2, "node1", 4, Verdict.Answer.PEER_DEAD, 5_000);
                assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
                assertThat(v.reason()).endsWith("takeover granted to node2 for generation 5");
                assertThat(v.generation()).isEqualTo(5);
            } finally {
                a2.close();
            }
        }
    }

    @Test
    void aPausedNodeWhoseTakeoverWasGrantedAwayIsToldToStandDown() throws Exception {
        List<String> fenced1 = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> fenced2 = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (WitnessServer w = server(null)) {
            Arbiter a1 = arbiter("node1", w.address(), KEY, fenced1);
            Arbiter a2 = arbiter("node2", w.address(), KEY, fenced2);
            try {
                a1.start();
                a2.start();
                assertThat(askUntil(a2, "node1", 6, Verdict.Answer.PEER_ALIVE, 5_000).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
                ((WitnessArbiter) a1).pauseReports(true); // node1 freezes (same process, same incarnation)
                Verdict v = askUntil(a2, "node1", 6, Verdict.Answer.PEER_DEAD, 5_000);
                assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
                ((WitnessArbiter) a1).pauseReports(false); // node1 wakes up and reports again
                await(() -> !fenced1.isEmpty(), 5_000);
                assertThat(fenced1).singleElement().asString()
                        .startsWith("the witness granted the takeover to node2 for generation 6 after node1 had not reported for");
                Thread.sleep(300); // a few more reports: the notice is acted on once
                assertThat(fenced1).hasSize(1);
                assertThat(fenced2).isEmpty();
            } finally {
                a1.close();
                a2.close();
            }
        }
    }

    @Test
    void aNodeStandingAsideIsDeadToTheWitnessUntilItTakesPartAgain() throws Exception {
        List<String> fenced1 = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (WitnessServer w = server(null)) {
            Arbiter a1 = arbiter("node1", w.address(), KEY, fenced1);
            Arbiter a2 = arbiter("node2", w.address(), KEY);
            try {
                a1.start();
                a2.start();
                assertThat(askUntil(a2, "node1", 3, Verdict.Answer.PEER_ALIVE, 5_000).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
                // node2 cannot hear node1 (a one-way cut); node1 stopped its groups and stands aside: no more reports
                a1.standAside(true);
                Verdict v = askUntil(a2, "node1", 3, Verdict.Answer.PEER_DEAD, 5_000);
                assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
                assertThat(v.reason()).endsWith("takeover granted to node2 for generation 3");
                // the cut healed: node1 reports again, is told once that it lost (it runs nothing), and is alive again
                a1.standAside(false);
                await(() -> !fenced1.isEmpty(), 5_000);
                assertThat(fenced1).singleElement().asString().startsWith("the witness granted the takeover to node2");
                assertThat(askUntil(a2, "node1", 3, Verdict.Answer.PEER_ALIVE, 5_000).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
            } finally {
                a1.close();
                a2.close();
            }
        }
    }

    @Test
    void aDeadWitnessIsUnknown() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            port = s.getLocalPort(); // closed again: nothing answers there
        }
        Arbiter a = arbiter("node1", new InetSocketAddress("127.0.0.1", port), KEY);
        try {
            a.start();
            Verdict v = a.ask("node2", 1, Duration.ofMillis(300));
            assertThat(v.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
            assertThat(v.reason()).isEqualTo("witness 127.0.0.1:" + port + " did not answer within 300 ms");
        } finally {
            a.close();
        }
    }

    @Test
    void aWitnessWithAnotherKeyIsNotBelieved() throws Exception {
        byte[] other = KEY.clone();
        other[3] ^= 1;
        try (WitnessServer w = server(null)) {
            Arbiter a = arbiter("node1", w.address(), other);
            try {
                Verdict v = a.ask("node2", 1, Duration.ofMillis(300));
                assertThat(v.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
                assertThat(v.reason()).contains("did not answer");
            } finally {
                a.close();
            }
            assertThat(w.grants()).isEmpty();
        }
    }

    @Test
    void closeStopsTheReports() throws Exception {
        try (WitnessServer w = server(null)) {
            Arbiter a1 = arbiter("node1", w.address(), KEY);
            Arbiter a2 = arbiter("node2", w.address(), KEY);
            try {
                a2.start();
                assertThat(askUntil(a1, "node2", 1, Verdict.Answer.PEER_ALIVE, 5_000).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
                a2.close();
                Verdict v = askUntil(a1, "node2", 1, Verdict.Answer.PEER_DEAD, 5_000);
                assertThat(v.answer()).as(v.reason()).isEqualTo(Verdict.Answer.PEER_DEAD);
            } finally {
                a1.close();
                a2.close();
            }
        }
    }

    @Test
    void badConfigurationIsReported() {
        WitnessArbiterFactory f = new WitnessArbiterFactory();
        assertThatThrownBy(() -> f.create(params(Map.of("adress", "x")), cluster("node1", KEY), context("node1")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("arbiters[1].params.address")
                .hasMessageContaining("required parameter 'address' is missing")
                .hasMessageContaining("unknown parameter 'adress'");
        assertThatThrownBy(() -> f.create(params(Map.of("address", "203.0.113.5", "reportInterval", "1s", "lease", "1500ms")),
                cluster("node1", KEY), context("node1")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("'203.0.113.5' is not host:port")
                .hasMessageContaining("lease (1.5 s) is shorter than two report intervals");
        assertThatThrownBy(() -> f.create(params(Map.of("address", "127.0.0.1:7401")), cluster("node1", KEY), context("node1")))
                .hasMessageContaining("is a heartbeat address of node1");
        assertThatThrownBy(() -> f.create(params(Map.of("address", "203.0.113.5:7600", "reportInterval", "soon")),
                cluster("node1", KEY), context("node1")))
                .hasMessageContaining("reportInterval");
        assertThatThrownBy(() -> f.create(params(Map.of("address", "203.0.113.5:7600")), cluster("node1", new byte[4]), context("node1")))
                .hasMessageContaining("the cluster key is too short");
    }

    @Test
    void witnessMainReportsEveryProblem() throws Exception {
        List<String> problems = new ArrayList<>();
        assertThat(WitnessMain.parse(new String[] {"--cluster", "demo", "--key", "hex:0011", "--bind", "nowhere", "--lease", "0s", "--nope", "x"}, problems)).isNull();
        assertThat(String.join("\n", problems))
                .contains("unknown option '--nope'")
                .contains("key: 2 bytes; at least 16 are required")
                .contains("bind: 'nowhere' is not host:port")
                .contains("lease: must be longer than zero");
        Path file = dir.resolve("witness.yaml");
        Files.writeString(file, "cluster: demo\nkey: \"hex:00112233445566778899aabbccddeeff\"\nbind: \"127.0.0.1:0\"\nlease: 2s\nstateFile: w.state\ncolour: red\n");
        problems.clear();
        assertThat(WitnessMain.parse(new String[] {"--config", file.toString()}, problems)).isNull();
        assertThat(problems).singleElement().asString().contains("unknown field 'colour'");
        Files.writeString(file, "cluster: demo\nkey: \"hex:00112233445566778899aabbccddeeff\"\nbind: \"127.0.0.1:0\"\nlease: 2s\nstateFile: w.state\n");
        problems.clear();
        WitnessMain.Settings s = WitnessMain.parse(new String[] {"--config", file.toString()}, problems);
        assertThat(problems).isEmpty();
        assertThat(s.cluster()).isEqualTo("demo");
        assertThat(s.key()).hasSize(16);
        assertThat(s.lease()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.stateFile()).isEqualTo(dir.resolve("w.state"));
    }

    @Test
    void witnessMainReadsTheRealtimeSectionWithTheNodesKeysAndWording() throws Exception {
        Path file = dir.resolve("witness-rt.yaml");
        String base = "cluster: demo\nkey: \"hex:00112233445566778899aabbccddeeff\"\nbind: \"127.0.0.1:0\"\n";
        Files.writeString(file, base + "realtime: {priority: 10, policy: fifo, lockMemory: true}\n");
        List<String> problems = new ArrayList<>();
        WitnessMain.Settings s = WitnessMain.parse(new String[] {"--config", file.toString()}, problems);
        assertThat(problems).isEmpty();
        assertThat(s.realtime()).isEqualTo(new org.tandemha.core.config.RealtimeSpec(10, "fifo", true, false, 0));
        Files.writeString(file, base + "realtime: {priority: 150, policy: deadline, checkPriority: 5, colour: red}\n");
        assertThat(WitnessMain.parse(new String[] {"--config", file.toString()}, problems)).isNull();
        assertThat(String.join("\n", problems))
                .contains("realtime.priority: priority '150' is not a real-time priority")
                .contains("realtime.policy: unknown scheduling policy")
                .contains("realtime.checkPriority: the witness runs no checks")
                .contains("colour");
        problems.clear();
        s = WitnessMain.parse(new String[] {"--cluster", "demo", "--key", "hex:00112233445566778899aabbccddeeff", "--bind",
                "127.0.0.1:0", "--realtime", "{priority: 7, required: true}"}, problems);
        assertThat(problems).isEmpty();
        assertThat(s.realtime().priority()).isEqualTo(7);
        assertThat(s.realtime().policy()).isEqualTo("rr");
        assertThat(s.realtime().required()).isTrue();
        assertThat(WitnessMain.parse(new String[] {"--cluster", "demo", "--key", "hex:00112233445566778899aabbccddeeff",
                "--bind", "127.0.0.1:0", "--realtime", "{priority: 7"}, problems)).isNull();
        assertThat(problems).singleElement().asString().startsWith("--realtime: not a map");
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void theWitnessAnswersFromARealtimeThreadOrSaysWhyNot() throws Exception {
        WitnessServer w = new WitnessServer("test", KEY, new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(1), null)
                .realtime(new org.tandemha.core.config.RealtimeSpec(3, "rr", false, true, 0));
        try {
            w.start();
            // permitted (root, CAP_SYS_NICE or RLIMIT_RTPRIO): the answering thread runs SCHED_RR 3
            assertThat(w.realtimeApplied()).containsExactly("SCHED_RR 3");
        } catch (IllegalStateException e) {
            // not permitted, and required: no start, and the sentence names the witness, the setting and the fix
            assertThat(e.getMessage()).startsWith("witness for cluster test: realtime.priority: SCHED_RR 3")
                    .contains("not permitted").contains("RLIMIT_RTPRIO").contains("realtime.required: true");
        } finally {
            w.close();
        }
    }

    @Test
    void aCorruptStateFileIsRefusedWithTheFix() throws Exception {
        Path state = dir.resolve("bad.state");
        Files.writeString(state, "seen 3\ngrant x node1\n");
        WitnessServer w = new WitnessServer("test", KEY, new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(1), state);
        assertThatThrownBy(w::start).hasMessageContaining("line 2").hasMessageContaining("fix or remove the file");
        w.close();
    }

    static void await(BooleanSupplier c, long ms) throws InterruptedException {
        long end = System.nanoTime() + ms * 1_000_000;
        while (!c.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }
}
