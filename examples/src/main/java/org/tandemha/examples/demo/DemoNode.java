package org.tandemha.examples.demo;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Tandem;
import org.tandemha.server.cli.StatusTable;

/**
 * One node of the demo cluster, in a JVM of its own, driven by {@link Demo} through stdin and stdout (see
 * {@link DemoLines} for the protocol):
 *
 * <pre>
 * java -cp ... org.tandemha.examples.demo.DemoNode CONFIG.yaml NODE STATE_DIR
 * </pre>
 *
 * It builds the node with {@link Tandem#builder()}, prints every event as one line, and carries out the commands it
 * reads. When stdin closes (the orchestrator is gone) it stops its groups and exits.
 */
public final class DemoNode {
    private static final long COMMAND_TIMEOUT_S = 30;

    private final PrintStream out;
    private final ClusterNode node;
    private final DemoControl control;

    private DemoNode(PrintStream out, ClusterNode node, DemoControl control) {
        this.out = out;
        this.node = node;
        this.control = control;
    }

    public static void main(String[] args) throws IOException {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: DemoNode CONFIG.yaml NODE STATE_DIR\nOne node of the demo cluster (started by Demo): events and answers on standard output, commands on standard input.");
            return;                                             // --help: usage, exit 0
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        if (args.length != 3) {
            out.println("FATAL\tusage: DemoNode CONFIG.yaml NODE STATE_DIR");
            System.exit(2);
        }
        DemoControl control = new DemoControl();
        ClusterNode node;
        try {
            node = Tandem.builder().config(Path.of(args[0])).localNode(args[1]).stateDirectory(Path.of(args[2]))
                    .service(DemoControl.class, control)
                    .listener(e -> {
                        String line = DemoLines.event(e);
                        synchronized (out) {
                            out.println(line);
                        }
                    })
                    .build();
        } catch (InvalidConfigException e) {
            out.println("FATAL\t" + DemoLines.clean(e.getMessage()));
            System.exit(2);
            return;
        }
        DemoNode me = new DemoNode(out, node, control);
        AtomicBoolean closed = new AtomicBoolean();
        Runnable close = () -> {
            if (closed.compareAndSet(false, true)) {
                node.close();
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(close, "demo-node-close"));
        node.start();
        synchronized (out) {
            out.println("READY\t" + node.nodeId() + "\t" + ProcessHandle.current().pid());
        }
        me.serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        // stdin closed or "quit": stop the groups in order, bounded, then leave
        Thread guard = new Thread(() -> {
            try {
                Thread.sleep(15_000);
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException ignored) {
                // closed in time
            }
        }, "demo-node-exit-guard");
        guard.setDaemon(true);
        guard.start();
        close.run();
        System.exit(0);
    }

    private void serve(BufferedReader in) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w.length < 2) {
                continue;
            }
            String id = w[0];
            if (w[1].equals("quit")) {
                result(id, true, "closing node " + node.nodeId());
                return;
            }
            try {
                handle(id, w);
            } catch (RuntimeException e) {
                result(id, false, "command failed: " + e);
            }
        }
    }

    private void handle(String id, String[] w) {
        switch (w[1]) {
            case "status" -> status(id, w.length > 2 && w[2].equals("color"));
            case "switchover" -> {
                if (w.length != 4) {
                    result(id, false, "usage: switchover GROUP NODE");
                } else {
                    await(id, node.switchover(w[2], w[3]));
                }
            }
            case "switchback" -> {
                if (w.length != 3) {
                    result(id, false, "usage: switchback GROUP");
                } else {
                    await(id, node.switchback(w[2]));
                }
            }
            case "path" -> {
                if (w.length != 4 || !List.of("on", "off").contains(w[3])) {
                    result(id, false, "usage: path NAME on|off");
                } else {
                    await(id, node.pathEnabled(w[2], w[3].equals("on")));
                }
            }
            case "fail-deep-check" -> {
                control.failNextHealthCheck();
                result(id, true, "the next GET /health answers 503: the next deep check fails once");
            }
            default -> result(id, false, "unknown command '" + w[1] + "'");
        }
    }

    private void status(String id, boolean color) {
        ClusterStatus s = node.status();
        String table = StatusTable.render(s, color);
        StringBuilder groups = new StringBuilder();
        for (GroupStatus g : s.groups()) {
            groups.append(groups.length() == 0 ? "" : " ").append("group=").append(g.group()).append(",state=")
                    .append(g.localState()).append(",active=").append(g.activeNode() == null ? "-" : g.activeNode())
                    .append(",gen=").append(g.generation());
        }
        synchronized (out) {
            for (String l : table.split("\n", -1)) {
                out.println("TABLE\t" + id + "\t" + l.replace('\t', ' '));
            }
            out.println("RESULT\t" + id + "\tok\t" + DemoLines.clean(groups.toString()));
        }
    }

    private void await(String id, CompletableFuture<CommandResult> f) {
        try {
            CommandResult r = f.get(COMMAND_TIMEOUT_S, TimeUnit.SECONDS);
            result(id, r.accepted(), r.message());
        } catch (TimeoutException e) {
            result(id, false, "no answer within " + COMMAND_TIMEOUT_S + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result(id, false, "interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            result(id, false, "failed: " + e.getCause());
        }
    }

    private void result(String id, boolean ok, String message) {
        synchronized (out) {
            out.println("RESULT\t" + id + "\t" + (ok ? "ok" : "refused") + "\t" + DemoLines.clean(message));
        }
    }
}
