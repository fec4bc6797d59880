package org.tandemha.examples.sharedarray;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.Tandem;

/**
 * One node of the shared-array example cluster, as a process of its own (started by {@link SharedArrayCluster} in
 * the node's network namespace):
 *
 * <pre>
 * ip netns exec NS java -cp ... org.tandemha.examples.sharedarray.ArrayNode --config cluster.yaml --node node1 --state DIR
 * </pre>
 *
 * It prints one line per event ({@code EVENT <monotonic ns> <kind> <group|-> <text>}) and reads operator commands
 * on its standard input, one per line: {@code switchover GROUP NODE}, {@code switchback GROUP},
 * {@code path NAME on|off}, {@code status}, {@code stop}. Each command's result comes back as
 * {@code RESULT accepted|refused <message>}; {@code status} prints {@code GROUP <id> <active node> <local state>
 * <generation>} and {@code PEER <id> <state>} lines, then {@code STATUS-END}. End of input stops the node.
 */
public final class ArrayNode {
    private ArrayNode() {
    }

    public static void main(String[] args) throws IOException {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: ArrayNode --config FILE --node ID --state DIR\nOne node of the shared-array cluster, started by examples/shared-array/run.sh in its network namespace (root).");
            return;                                             // --help: usage, exit 0
        }
        String config = null;
        String me = null;
        String state = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--config" -> config = args[i + 1];
                case "--node" -> me = args[i + 1];
                case "--state" -> state = args[i + 1];
                default -> {
                    System.err.println("ArrayNode: unknown option " + args[i] + "; use --config FILE --node ID --state DIR");
                    System.exit(2);
                }
            }
        }
        if (config == null || me == null || state == null) {
            System.err.println("usage: ArrayNode --config FILE --node ID --state DIR");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        ClusterNode node;
        try {
            node = Tandem.builder().config(Path.of(config)).localNode(me).stateDirectory(Path.of(state))
                    .resourceType(new ArrayAppType())
                    .resourceType(new ArrayGateType())
                    .listener(e -> out.println(line(e)))
                    .build();
        } catch (InvalidConfigException e) {
            out.println("CONFIG-ERROR " + e.getMessage().replace('\n', ' '));
            System.exit(2);
            return;
        }
        try {
            node.start();
        } catch (IllegalStateException e) {
            out.println("START-ERROR " + e.getMessage().replace('\n', ' '));
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "array-node-stop"));
        out.println("READY " + me + " pid " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String cmd;
        while ((cmd = in.readLine()) != null) {
            String[] w = cmd.trim().split("\\s+");
            try {
                switch (w[0]) {
                    case "switchover" -> result(out, node.switchover(w[1], w[2]));
                    case "switchback" -> result(out, node.switchback(w[1]));
                    case "path" -> result(out, node.pathEnabled(w[1], "on".equals(w[2])));
                    case "clear" -> result(out, node.clear(w[1]));
                    // promote-dr GROUP DRNODE [confirm] [fence]: the operator's DR promotion (issue 19)
                    case "promote-dr" -> result(out, node.promoteDr(w[1], w[2], List.of(w).contains("confirm"),
                            List.of(w).contains("fence")));
                    case "status" -> status(out, node.status());
                    case "stop" -> {
                        node.close();
                        out.println("STOPPED " + me);
                        System.exit(0);
                    }
                    case "" -> { }
                    default -> out.println("RESULT refused unknown command '" + cmd + "'");
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                out.println("RESULT refused incomplete command '" + cmd + "'");
            }
        }
        node.close();
        System.exit(0);
    }

    static String line(ClusterEvent e) {
        return "EVENT " + System.nanoTime() + " " + e.kind() + " " + (e.group() == null ? "-" : e.group()) + " "
                + e.toString().replace('\n', ' ');
    }

    private static void result(PrintStream out, CompletableFuture<CommandResult> f) {
        try {
            CommandResult r = f.get(60, TimeUnit.SECONDS);
            out.println("RESULT " + (r.accepted() ? "accepted " : "refused ") + r.message().replace('\n', ' '));
        } catch (Exception e) {
            out.println("RESULT refused " + e);
        }
    }

    private static void status(PrintStream out, ClusterStatus s) {
        for (GroupStatus g : s.groups()) {
            out.println("GROUP " + g.group() + " " + (g.activeNode() == null ? "-" : g.activeNode()) + " " + g.localState() + " "
                    + g.generation());
        }
        for (NodeStatus n : s.nodes()) {
            out.println("PEER " + n.node() + " " + n.state());
        }
        out.println("STATUS-END");
    }
}
