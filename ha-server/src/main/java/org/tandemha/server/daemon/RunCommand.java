package org.tandemha.server.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Problem;
import org.tandemha.server.ServerSettings;
import org.tandemha.server.TandemServer;
import org.tandemha.server.cli.Args;

/**
 * {@code tandem run}: one node in the foreground, until SIGTERM (or SIGINT). The order: read and validate the
 * configuration (every problem at once, exit 2), build the node with every plugin on the class path, start it (it
 * takes its state directory's lock first: a second copy is refused with the lock file and the PID holding it,
 * exit 1), then serve its API ({@code TandemServer}, which writes {@code api-url} in the state directory for the CLI).
 * On SIGTERM the API closes, then the node (its groups stop top-down, peers hear it leave); exit 0.
 */
public final class RunCommand {
    private static final Logger LOG = LoggerFactory.getLogger("org.tandemha.server.run");
    static final String USAGE = """
            usage: tandem run --config FILE --node ID [--state-dir DIR] [--listen HOST:PORT]
            runs node ID of the cluster FILE describes, in the foreground, until SIGTERM or Ctrl-C (a clean stop:
            its groups stop top-down and the peers hear it leave).
              --state-dir DIR     its generations, lock, journal and API token (default /var/lib/tandem/CLUSTER/ID
                                  as root, else ~/.local/state/tandem/CLUSTER/ID); kept across reboots, mode 0700
              --listen HOST:PORT  the API's address, instead of server.listen of the file (two nodes on one machine)
            exit codes: 0 stopped cleanly, 1 the node could not start (e.g. it runs already), 2 a bad configuration
            """;

    private RunCommand() {
    }

    public static int main(List<String> args, PrintStream out, PrintStream err) throws Args.UsageException {
        Args a = Args.parse("run", args, Set.of("config", "node", "state-dir", "listen"), Set.of());
        if (a.help()) {
            out.print(USAGE);
            return 0;
        }
        if (!a.words().isEmpty()) {
            throw new Args.UsageException("run takes no arguments, got: " + String.join(" ", a.words()));
        }
        Path config = Path.of(a.require("run", "config", "FILE"));
        String nodeId = a.require("run", "node", "ID");
        JsonNode tree = ConfigFile.tree(config);
        Path stateDir = a.get("state-dir") != null ? Path.of(a.get("state-dir"))
                : ConfigFile.defaultStateDir(tree.path("cluster").asText("cluster"), nodeId);
        stateDir = stateDir.toAbsolutePath();
        MDC.put("node", nodeId);
        try {
            if (!Files.isDirectory(stateDir)) { // owner only, before the node writes anything in it
                Files.createDirectories(stateDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException | UnsupportedOperationException e) {
            err.println("tandem run: node " + nodeId + ": cannot create its state directory " + stateDir + ": " + e
                    + " (choose a writable local directory with --state-dir)");
            return 2;
        }

        ClusterNode node;
        ServerSettings settings;
        try {
            node = org.tandemha.api.Tandem.builder().config(config).localNode(nodeId).stateDirectory(stateDir).build();
            try {
                settings = ServerSettings.fromConfig(tree.path("server"), stateDir, config.toAbsolutePath().getParent());
            } catch (InvalidConfigException e) {
                node.close();
                throw e;
            }
        } catch (InvalidConfigException e) {
            err.println("tandem run: node " + nodeId + ": the configuration " + config + " has "
                    + e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems") + ":");
            for (Problem p : e.problems()) {
                err.println("  " + p.field() + ": " + p.message() + (p.fix() == null ? "" : "\n      fix: " + p.fix()));
            }
            err.println("(tandem validate --config " + config + " checks it without starting anything)");
            return 2;
        }
        if (a.get("listen") != null) {
            settings = settings.withListen(a.get("listen"));
        }
        settings = settings.withConfigFile(config); // the console's previews read the resources' timeouts
        try {
            node.start();
        } catch (RuntimeException e) {
            err.println("tandem run: " + e.getMessage());
            node.close();
            return 1;
        }
        TandemServer server;
        try {
            server = TandemServer.start(node, settings);
        } catch (IOException | RuntimeException e) {
            err.println("tandem run: node " + nodeId + ": cannot serve its API on " + settings.listen() + ": " + e.getMessage()
                    + " (another program or node uses that port? choose another with --listen or server.listen)");
            node.close();
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTerminate(stop::countDown);
        LOG.info("node {} of cluster {} running (pid {}); state in {}; API on {}", nodeId,
                tree.path("cluster").asText("?"), ProcessHandle.current().pid(), stateDir, server.uri());
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("node {}: stopping (signal received): API first, then the node's groups", nodeId);
        server.close();
        node.close();
        try {
            Files.deleteIfExists(stateDir.resolve("api-url"));
        } catch (IOException e) {
            // harmless: the next run writes it again
        }
        LOG.info("node {}: stopped", nodeId);
        return 0;
    }
}
