package org.tandemha.server.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;
import org.tandemha.api.ResourceStatus;

/**
 * Renders a {@link ClusterStatus} as a compact text table, read at a glance: nodes, heartbeat paths, groups and
 * their resources. A pure function of the snapshot: ages ("80 ms ago") are counted from the snapshot's own time.
 *
 * <pre>
 * cluster hello, seen from node1 at 2026-11-24T12:11:44.011Z
 *
 * NODE   STATE      DETAIL
 * node1  LOCAL      running
 * node2  REACHABLE  heard
 *
 * PATH      PEER   STATE  RTT     LOSS  LAST HEARTBEAT
 * loopback  node2  UP     1.3 ms  0.0%  51 ms ago
 *
 * GROUP  STATE   ACTIVE ON  GEN  MODE     BLOCKED ON  DETAIL
 * hello  ONLINE  node1      1    managed  -           online, generation 1
 *
 * RESOURCE    TYPE        HERE     FAILURES  LAST CHECK
 * hello/http  hello-http  running  0         OK: answers on 127.0.0.1:8080 (1.2 ms, 508 ms ago)
 * </pre>
 *
 * With a {@code ping} section the node table has a PING column: how many of its ping hosts each node reaches, as it
 * last announced, of how many it pings ("2/3"; "?/3" before its first count).
 *
 * With {@code color}, a path's state is shown with ANSI colors: UP green, DOWN red.
 */
public final class StatusTable {
    static final String GREEN = "\u001b[32m";
    static final String RED = "\u001b[31m";
    static final String RESET = "\u001b[0m";

    private StatusTable() {
    }

    /** The table, lines ending with {@code \n}; {@code color} adds ANSI colors for a terminal. */
    public static String render(ClusterStatus status, boolean color) {
        Instant now = status.time();
        StringBuilder out = new StringBuilder();
        out.append("cluster ").append(status.cluster()).append(", seen from ").append(status.localNode());
        if (now != null) {
            out.append(" at ").append(now.truncatedTo(ChronoUnit.MILLIS));
        }
        if (status.stale()) {
            out.append(" (STALE: the node's engine is too busy to answer; nodes and groups are as of that time)");
        }
        out.append('\n');

        boolean ping = status.nodes().stream().anyMatch(n -> n.pingHosts() > 0);
        Table nodes = ping ? new Table("NODE", "STATE", "PING", "DETAIL") : new Table("NODE", "STATE", "DETAIL");
        for (NodeStatus n : status.nodes()) {
            if (ping) {
                nodes.row(cell(n.node()), cell(n.state()), cell(ping(n)), cell(n.detail()));
            } else {
                nodes.row(cell(n.node()), cell(n.state()), cell(n.detail()));
            }
        }
        nodes.appendTo(out, "no nodes");

        Table paths = new Table("PATH", "PEER", "STATE", "RTT", "LOSS", "LAST HEARTBEAT");
        for (PathStatus p : status.paths()) {
            String colorCode = !color ? null : p.state() == PathState.UP ? GREEN : p.state() == PathState.DOWN ? RED : null;
            paths.row(cell(p.name()), cell(p.peer()), new Cell(String.valueOf(p.state()), colorCode), cell(rtt(p.rtt())),
                    cell(String.format(Locale.ROOT, "%.1f%%", p.lossPercent())), cell(ago(p.lastSeen(), now, "never")));
        }
        paths.appendTo(out, "no heartbeat paths");

        Table groups = new Table("GROUP", "STATE", "ACTIVE ON", "GEN", "MODE", "BLOCKED ON", "DETAIL");
        Table resources = new Table("RESOURCE", "TYPE", "HERE", "FAILURES", "LAST CHECK");
        for (GroupStatus g : status.groups()) {
            groups.row(cell(g.group()), cell(g.localState()), cell(g.activeNode() == null ? "nowhere" : g.activeNode()),
                    cell(Long.toString(g.generation())), cell(g.managed() ? "managed" : "maintenance"),
                    cell(g.blockedOn() == null || g.blockedOn().isEmpty() ? null : String.join(",", g.blockedOn())),
                    cell(g.detail()));
            for (ResourceStatus r : g.resources()) {
                resources.row(cell(g.group() + "/" + r.id()), cell(r.type()), cell(r.running() ? "running" : "stopped"),
                        cell(Integer.toString(r.failures())), cell(check(r.lastCheck(), r.lastCheckAt(), now)));
            }
        }
        groups.appendTo(out, "no groups");
        if (!resources.rows.isEmpty()) {
            resources.appendTo(out, null);
        }
        return out.toString();
    }

    /** How many of its ping hosts a node reaches: "2/3", "?/3" before it announced a count, "-" if it pings none. */
    static String ping(NodeStatus n) {
        if (n.pingHosts() <= 0) {
            return "-";
        }
        return (n.pingKnown() ? Integer.toString(n.pingReachable()) : "?") + "/" + n.pingHosts();
    }

    /** A round-trip time as a person reads it: "0.4 ms", "250 ms", or "-". */
    public static String rtt(Duration rtt) {
        if (rtt == null) {
            return "-";
        }
        double ms = rtt.toNanos() / 1e6;
        return ms < 10 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%d ms", Math.round(ms));
    }

    /** "80 ms ago" below 10 s, then "12 s ago", "3 min ago". */
    public static String ago(Instant then, Instant now, String never) {
        if (then == null) {
            return never;
        }
        if (now == null) {
            return then.toString();
        }
        long ms = Math.max(0, Duration.between(then, now).toMillis());
        if (ms < 10_000) {
            return ms + " ms ago";
        }
        if (ms < 600_000) {
            return ms / 1000 + " s ago";
        }
        return ms / 60_000 + " min ago";
    }

    private static String check(CheckResult c, Instant at, Instant now) {
        if (c == null) {
            return "not checked yet";
        }
        List<String> facts = new ArrayList<>();
        if (!c.duration().isZero()) {
            facts.add(rtt(c.duration()));
        }
        if (at != null) {
            facts.add(ago(at, now, null));
        }
        return c + (facts.isEmpty() ? "" : " (" + String.join(", ", facts) + ")");
    }

    private static Cell cell(Object text) {
        String s = text == null ? "" : String.valueOf(text).replace('\n', ' ').strip();
        return new Cell(s.isEmpty() ? "-" : s, null);
    }

    /** One cell: its text, and an optional ANSI color that does not count towards the width. */
    private record Cell(String text, String color) {
    }

    /** Left-aligned columns two spaces apart; the last column is not padded. */
    private static final class Table {
        private final String[] header;
        final List<Cell[]> rows = new ArrayList<>();

        Table(String... header) {
            this.header = header;
        }

        void row(Cell... cells) {
            rows.add(cells);
        }

        void appendTo(StringBuilder out, String ifEmpty) {
            out.append('\n');
            if (rows.isEmpty()) {
                out.append(ifEmpty).append('\n');
                return;
            }
            int[] width = new int[header.length];
            for (int i = 0; i < header.length; i++) {
                width[i] = header[i].length();
                for (Cell[] r : rows) {
                    width[i] = Math.max(width[i], r[i].text().length());
                }
            }
            List<Cell[]> all = new ArrayList<>();
            Cell[] h = new Cell[header.length];
            for (int i = 0; i < header.length; i++) {
                h[i] = new Cell(header[i], null);
            }
            all.add(h);
            all.addAll(rows);
            for (Cell[] r : all) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < r.length; i++) {
                    Cell c = r[i];
                    line.append(c.color() == null ? c.text() : c.color() + c.text() + RESET);
                    if (i < r.length - 1) {
                        line.append(" ".repeat(width[i] - c.text().length() + 2));
                    }
                }
                out.append(line).append('\n');
            }
        }
    }
}
