package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupState;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * Faults of the node process itself, as they happen in production: a second copy of a node started by mistake,
 * a state directory where the generations cannot be written, an engine too busy to answer a status call.
 */
class RealFaultsTest {
    private final InMemoryNetwork net = new InMemoryNetwork();
    private final InMemoryNetwork other = new InMemoryNetwork();
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private final List<ClusterNode> nodes = new CopyOnWriteArrayList<>();

    @TempDir
    Path stateDir;

    private ClusterNode build(String id, InMemoryNetwork network) throws Exception {
        ClusterNode n = Tandem.builder().configText(EmbeddingTest.CONFIG, true).localNode(id).membership(network.member(id))
                .stateDirectory(stateDir.resolve(id)).listener(events::add).build();
        nodes.add(n);
        return n;
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(ClusterNode::close);
        net.close();
        other.close();
        TestServiceType.FAILING_CHECKS.clear();
        TestServiceType.RUNNING.clear();
    }

    private static long threads(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals(name)).count();
    }

    @Test
    void aSecondCopyOfARunningNodeFailsBeforeTouchingAnything() throws Exception {
        ClusterNode node1 = build("node1", net);
        node1.start();
        build("node2", net).start();
        EmbeddingTest.await("svc online on node1", () -> node1.status().group("svc").localState() == GroupState.ONLINE);

        ClusterNode copy = build("node1", other);
        assertThatThrownBy(copy::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("node node1 already runs from the state directory")
                .hasMessageContaining("process " + ProcessHandle.current().pid() + " holds its lock")
                .hasMessageContaining("stop the other copy");

        // The copy ran no clean-up (which would stop the running node's service) and left no thread behind.
        Thread.sleep(300);
        assertThat(TestServiceType.RUNNING.get("node1")).isTrue();
        assertThat(node1.status().group("svc").localState()).isEqualTo(GroupState.ONLINE);
        assertThat(threads("tandem-engine-node1")).isEqualTo(1);
        assertThat(threads("tandem-pause-watch-node1")).isEqualTo(1);
        assertThat(events).noneMatch(e -> e.kind() == EventKind.NODE_STARTED && e.node().equals("node1")
                && events.stream().filter(x -> x.kind() == EventKind.NODE_STARTED && x.node().equals("node1")).count() > 1);
    }

    @Test
    void theLockIsFreedWhenTheNodeCloses() throws Exception {
        ClusterNode first = build("node1", net);
        first.start();
        first.close();
        ClusterNode again = build("node1", other);
        again.start(); // the lock went with the first copy
        assertThat(again.status().localNode()).isEqualTo("node1");
    }

    @Test
    void theStateDirectoryIsOwnerOnly() throws Exception {
        build("node1", net).start();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stateDir.resolve("node1")))).isEqualTo("rwx------");
        assertThat(StateDirectory.defaultFor("web cluster", "node1").toString()).endsWith("tandem/web_cluster/node1");
        assertThat(StateDirectory.defaultFor("c", "n").toString()).doesNotStartWith(System.getProperty("java.io.tmpdir"));
    }

    @Test
    void generationsThatCannotBeWrittenAreNotActedOn() throws Exception {
        // a directory where the temporary file must go: every write of the generations fails
        Path blocker = stateDir.resolve("node1").resolve("generations.properties.tmp");
        Files.createDirectories(blocker);
        Files.writeString(blocker.resolve("x"), "x");
        ClusterNode node1 = build("node1", net);
        node1.start();
        build("node2", net).start();
        EmbeddingTest.await("node1 stands down", () -> events.stream().anyMatch(e -> e.node().equals("node1")
                && e.kind() == EventKind.STAND_DOWN && e.message().contains("cannot make its generations durable")));
        EmbeddingTest.await("svc online on node2", () -> events.stream().anyMatch(e -> e.node().equals("node2")
                && e.kind() == EventKind.GROUP_STATE && e.message().contains("-> ONLINE")));
        assertThat(events).noneMatch(e -> e.node().equals("node1") && e.kind() == EventKind.RESOURCE_STARTED);

        Files.delete(blocker.resolve("x"));
        Files.delete(blocker);
        EmbeddingTest.await("node1 saves again", () -> events.stream().anyMatch(e -> e.node().equals("node1")
                && e.message().contains("saves its generations again")));
        assertThat(Files.readString(stateDir.resolve("node1").resolve("generations.properties"))).contains("svc=");
    }

    /**
     * A restarted node never claims a generation below what it remembered: inputs that reach its engine before it
     * boots (the probe of a service left running, node2's announcements) made a save of the generations the engine knew then (none) over the
     * remembered ones, before the boot read them.
     */
    @Test
    void aRestartedNodeClaimsAboveWhatItRemembered() throws Exception {
        ClusterNode node2 = build("node2", net);
        node2.start();
        Files.createDirectories(stateDir.resolve("node1"));
        Files.writeString(stateDir.resolve("node1").resolve("generations.properties"), "svc=7\n");
        TestServiceType.RUNNING.put("node1", true); // left running by the crash: its probe is an input before the boot
        ClusterNode node1 = build("node1", net);
        node1.start();
        EmbeddingTest.await("svc online", () -> events.stream().anyMatch(e -> e.kind() == EventKind.GROUP_STATE
                && e.message().contains("-> ONLINE")));
        assertThat(events).filteredOn(e -> e.kind() == EventKind.GROUP_CLAIMED && e.message().contains(" claims group svc"))
                .allSatisfy(e -> assertThat(Long.parseLong(e.message().replaceFirst(".*for generation (\\d+).*", "$1")))
                        .as(e.message()).isGreaterThan(7));
        assertThat(Files.readString(stateDir.resolve("node1").resolve("generations.properties")))
                .containsPattern("svc=([89]|\\d\\d)");
    }

    @Test
    void aStatusFromABusyEngineSaysItIsStale() throws Exception {
        NodeRuntime node1 = (NodeRuntime) build("node1", net);
        node1.start();
        EmbeddingTest.await("svc claimed", () -> node1.status().group("svc") != null && !node1.status().stale());
        Instant before = node1.status().time();
        CountDownLatch release = new CountDownLatch(1);
        node1.onLoop(() -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            Thread.sleep(50);
            events.clear();
            build("node2", net).start(); // gives node1's engine inputs it cannot handle now
            Thread.sleep(300);
            ClusterStatus s = node1.status();
            assertThat(s.stale()).isTrue();
            assertThat(s.time()).isBeforeOrEqualTo(Instant.now().minus(Duration.ofMillis(1500)));
            assertThat(s.age(Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        } finally {
            release.countDown();
        }
        EmbeddingTest.await("fresh again", () -> !node1.status().stale());
        assertThat(node1.status().time()).isAfter(before);
    }
}
