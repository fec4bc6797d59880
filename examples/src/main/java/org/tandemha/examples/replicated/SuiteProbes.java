package org.tandemha.examples.replicated;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.examples.sharedarray.SharedArrayCluster;
import org.tandemha.examples.sharedarray.SharedArrayCluster.Line;
import org.tandemha.examples.sharedarray.SharedArrayCluster.NodeProc;

/**
 * What the replicated suites ({@link ReplicatedMain.Suite}, {@link DrSuite}, {@link QuorumSuite}) ask the client
 * ({@link ReplicaClient}) and read from the nodes' event lines; every wait is bounded by the caller's duration.
 */
final class SuiteProbes {
    private SuiteProbes() {
    }

    /** Sends a command to the client and waits for its answer line ({@code ANSWER ...}), or null after {@code wait}. */
    static Line send(NodeProc client, String command, String answer, Duration wait) throws InterruptedException {
        long from = System.nanoTime();
        client.send(command);
        return client.await(from, l -> l.startsWith(answer + " "), wait);
    }

    /** The replication role the client reads from the PostgreSQL server at {@code host}, or "no answer". */
    static String role(NodeProc client, String host) throws InterruptedException {
        Line l = send(client, "role " + host, "ROLE", Duration.ofSeconds(10));
        return l == null ? "no answer" : l.text().split(" ", 4)[3];
    }

    /** Whether the server at {@code host} reports {@code role} within {@code wait}. */
    static boolean awaitRole(NodeProc client, String host, String role, Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            if (role(client, host).equals(role)) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    /** Whether {@code node} logs a STANDBY_STATE event containing {@code text} since {@code from} within {@code wait}. */
    static boolean awaitStandbyEvent(SharedArrayCluster c, String node, long from, String text, Duration wait)
            throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            if (events(c, node, from, "STANDBY_STATE").stream().anyMatch(e -> e.contains(text))) {
                return true;
            }
            Thread.sleep(250);
        }
        return false;
    }

    /** The messages of {@code node}'s events of the given kinds since {@code from} (System.nanoTime). */
    static List<String> events(SharedArrayCluster c, String node, long from, String... kinds) {
        NodeProc n = c.node(node);
        List<String> o = new ArrayList<>();
        if (n == null) {
            return o;
        }
        for (Line l : n.linesSince(from)) {
            String t = l.text();
            if (!t.startsWith("EVENT ")) {
                continue;
            }
            for (String k : kinds) {
                if (t.contains(" " + k + " ")) {
                    String[] f = t.split(" ", 5);
                    o.add(f.length == 5 ? f[4] : t);
                    break;
                }
            }
        }
        return o;
    }
}
