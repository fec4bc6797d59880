package org.tandemha.examples.embed;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;

/**
 * The hello cluster for tests: two nodes of {@link HelloCluster} in this JVM, over ha-core's in-memory network,
 * each with its state directory (and, if asked, its HTTP API on a free port, without JMX), the service on a free port.
 */
public final class HelloPair implements AutoCloseable {
    public final InMemoryNetwork net = new InMemoryNetwork();
    public final int httpPort;
    public final String config;
    public final Path root;
    public final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
    private final Map<String, TandemServer> servers = new LinkedHashMap<>();

    private HelloPair() throws IOException {
        httpPort = freePort();
        String bundled = HelloCluster.bundledConfig();
        if (!bundled.contains("port: 8080")) {
            throw new IllegalStateException("hello-cluster.yaml no longer says 'port: 8080'; update HelloPair");
        }
        config = bundled.replace("port: 8080", "port: " + httpPort);
        root = Files.createTempDirectory("hello-pair");
    }

    /** Starts node1 then node2 (each with its HTTP API if {@code api}) and waits for hello on node1. */
    public static HelloPair start(boolean api) throws Exception {
        HelloPair p = new HelloPair();
        try {
            for (String id : List.of("node1", "node2")) {
                ClusterNode n = HelloCluster.build(Tandem.builder().configText(p.config, true).membership(p.net.member(id))
                        .listener(p.events::add), id, p.stateDir(id));
                p.nodes.put(id, n);
                if (api) {
                    p.servers.put(id, TandemServer.start(n, new ServerSettings("127.0.0.1:0", null, null, null, null,
                            p.stateDir(id), true, false)));
                }
                n.start();
            }
            p.awaitActive("node1");
            return p;
        } catch (Exception | Error e) {
            p.close();
            throw e;
        }
    }

    public ClusterNode node(String id) {
        return nodes.get(id);
    }

    /** The node's HTTP API, if started; its admin token is in {@code stateDir(id)/api-token}. */
    public TandemServer server(String id) {
        return servers.get(id);
    }

    public Path stateDir(String id) {
        return root.resolve(id);
    }

    /** Stops one node (its HTTP API first), as a process that ends would. */
    public void stop(String id) {
        TandemServer a = servers.remove(id);
        if (a != null) {
            a.close();
        }
        ClusterNode n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    /** Waits until group hello is ONLINE on {@code id}, as {@code id} sees it. */
    public void awaitActive(String id) throws InterruptedException {
        await("hello online on " + id, () -> {
            GroupStatus g = nodes.get(id).status().group("hello");
            return g.localState() == GroupState.ONLINE && id.equals(g.activeNode());
        });
    }

    /** Waits for a condition, at most 20 s. */
    public static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** {@code GET http://127.0.0.1:port/} as a client of the service would, with a 2 s bound. */
    public String ask() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + httpPort + "/").openConnection(Proxy.NO_PROXY);
        c.setConnectTimeout(2000);
        c.setReadTimeout(2000);
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (String id : List.copyOf(nodes.keySet())) {
            stop(id);
        }
        for (TandemServer a : servers.values()) {
            a.close();
        }
        net.close();
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a temp directory left behind is harmless
        }
    }
}
