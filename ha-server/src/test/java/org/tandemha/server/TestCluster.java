package org.tandemha.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;
import org.tandemha.core.testing.TwoNodeConfig;

/**
 * Two real nodes in one JVM over ha-core's in-memory network, protecting group {@code svc} (one resource of
 * ha-core's test type {@code test-service}); svc starts on node1.
 */
public final class TestCluster implements AutoCloseable {
    public static final String CONFIG = TwoNodeConfig.service("web");

    private final InMemoryNetwork net = new InMemoryNetwork();
    private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
    private final Path dir;

    private TestCluster(Path dir) {
        this.dir = dir;
    }

    /** Starts node1 and node2 and waits until svc runs on node1 and node2 knows it. */
    public static TestCluster start(Path dir) throws Exception {
        TestCluster c = new TestCluster(dir);
        try {
            for (String id : new String[] {"node1", "node2"}) {
                ClusterNode n = Tandem.builder().configText(CONFIG, true).localNode(id).membership(c.net.member(id))
                        .stateDirectory(dir.resolve(id)).build();
                n.start();
                c.nodes.put(id, n);
            }
            await("svc online on node1", () -> c.node("node1").status().group("svc").localState() == GroupState.ONLINE);
            await("node2 hears node1 hold svc", () -> "node1".equals(c.node("node2").status().group("svc").activeNode()));
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    public ClusterNode node(String id) {
        return nodes.get(id);
    }

    /** Cuts every heartbeat between the two nodes (both still run: to each, the other fell silent). */
    public void partition(String a, String b) {
        net.partition(a, b);
    }

    public Path stateDir(String id) {
        return dir.resolve(id);
    }

    /** What an operator would call the group's state: where it runs, its generation, managed or not. */
    public String svc() {
        GroupStatus g = node("node1").status().group("svc");
        return g.activeNode() + " gen " + g.generation() + (g.managed() ? " managed" : " maintenance");
    }

    public static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        nodes.values().forEach(ClusterNode::close);
        net.close();
    }
}
