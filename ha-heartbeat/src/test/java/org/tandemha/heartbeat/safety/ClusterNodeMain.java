package org.tandemha.heartbeat.safety;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.Tandem;

/**
 * A whole Tandem node in its own JVM, for the namespace test: {@code ClusterNodeMain CONFIG NODE STATEDIR}. It
 * prints {@code READY <pid>}, then one line per cluster event ({@code EVENT <KIND> <event>}); the command
 * {@code status GROUP} on stdin prints {@code STATUS GROUP <active node> <generation>} as this node sees it. It exits
 * when its standard input closes, so it never outlives the test.
 */
public final class ClusterNodeMain {
    private ClusterNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        ClusterNode node;
        try {
            node = Tandem.builder().config(Path.of(args[0])).localNode(args[1]).stateDirectory(Path.of(args[2])).build();
        } catch (Exception e) {
            out.println("ERROR " + String.valueOf(e.getMessage()).replace('\n', ' '));
            System.exit(2);
            return;
        }
        node.subscribe(e -> {
            synchronized (out) {
                out.println("EVENT " + e.kind() + " " + e.toString().replace('\n', ' '));
            }
        });
        node.start();
        synchronized (out) {
            out.println("READY " + ProcessHandle.current().pid());
        }
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("status ")) {
                    String g = line.substring(7).trim();
                    org.tandemha.api.GroupStatus st = node.status().group(g);
                    synchronized (out) {
                        out.println("STATUS " + g + " " + (st == null ? "none 0" : st.activeNode() + " " + st.generation()));
                    }
                }
            }
        }
        node.close();
        System.exit(0);
    }
}
