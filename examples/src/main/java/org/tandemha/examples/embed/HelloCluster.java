package org.tandemha.examples.embed;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeBuilder;
import org.tandemha.api.Tandem;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;

/**
 * The embedding example: {@link HelloService} made active/standby. Run one process per node:
 *
 * <pre>
 * java -cp ... org.tandemha.examples.embed.HelloCluster node1 [cluster.yaml]
 * java -cp ... org.tandemha.examples.embed.HelloCluster node2 [cluster.yaml]
 * </pre>
 *
 * Without a file it uses the bundled {@code hello-cluster.yaml} (two nodes, UDP heartbeats on 127.0.0.1, which
 * needs {@code ha-heartbeat} on the class path). Each node keeps its files in {@code /tmp/tandem-hello-<node>},
 * with the admin token of its HTTP API ({@code api-token}, for {@code tandem status}) and its audit log.
 */
public final class HelloCluster {
    private HelloCluster() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: HelloCluster NODE [CONFIG.yaml]\nOne node of the hello cluster (the embedding example): NODE is node1 or node2 with the bundled configuration;\na CONFIG.yaml of your own replaces it. Ctrl-C or kill stops the group in order. See README, \"The embedding example\".");
            return;                                             // --help: usage, exit 0
        }
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: HelloCluster NODE [CONFIG.yaml]   (NODE: node1 or node2 with the bundled config)");
            System.exit(2);
        }
        // README-BEGIN
        String me = args[0];
        NodeBuilder builder = args.length == 2 ? Tandem.builder().config(Path.of(args[1]))
                : Tandem.builder().configText(bundledConfig(), true);
        Path stateDir = Path.of(System.getProperty("java.io.tmpdir"), "tandem-hello-" + me);
        ClusterNode node;
        try {
            node = build(builder, me, stateDir);
        } catch (InvalidConfigException e) {
            System.err.println(e.getMessage());                // every problem, each with its field and fix
            System.exit(2);
            return;
        }
        try {
            node.start();                                       // the group starts where the cluster decides
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());                // e.g. this node already runs: nothing was touched
            System.exit(2);
        }
        TandemServer server = TandemServer.start(node,          // HTTP API, /metrics and JMX (module ha-server)
                ServerSettings.defaults(stateDir).withListen("127.0.0.1:0"));
        System.out.println(me + ": API on " + server.uri() + ", token in " + server.generatedTokenFile());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { // Ctrl-C or kill: stop the group in order
            server.close();
            node.close();
            stopped.countDown();
        }));
        stopped.await();
        // README-END
    }

    // README-BEGIN
    /**
     * Builds one node (not yet started). {@code builder} holds the configuration (and, in tests, an in-memory
     * membership); the type {@code hello-http} is found through {@link java.util.ServiceLoader}.
     */
    public static ClusterNode build(NodeBuilder builder, String me, Path stateDir) throws InvalidConfigException {
        return builder.localNode(me)
                .stateDirectory(stateDir)
                .build();                                     // bad configuration: every problem, with its fix
    }
    // README-END

    /** The bundled configuration, {@code hello-cluster.yaml}. */
    public static String bundledConfig() throws IOException {
        try (InputStream in = HelloCluster.class.getResourceAsStream("hello-cluster.yaml")) {
            if (in == null) {
                throw new IOException("hello-cluster.yaml is missing from the class path; rebuild the examples module");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
