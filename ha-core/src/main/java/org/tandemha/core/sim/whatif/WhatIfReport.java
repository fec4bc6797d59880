package org.tandemha.core.sim.whatif;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a what-if run found: the transcript (each event, then every decision it led to, with time and reason), the
 * final placement, the downtime per group, and the simulator's safety violations (two owners of a group), as text
 * for an operator ({@link #text}) or JSON for tools ({@link #json}).
 *
 * @param transcript the scenario files' transcript format: {@code at TIME EVENT}, then {@code   TIME NODE KIND
 *                   GROUP/RESOURCE: message} lines and {@code   => command: done|refused: message} answers
 * @param after      the final state: a line per node, then per group (states, generation, where it really runs)
 * @param endMs      the end of the run, in ms since its start
 */
public record WhatIfReport(String header, List<String> transcript, List<String> after, Map<String, Downtime> downtime,
                           Map<String, Replication> replication, List<SimDriver.Decision> decisions,
                           List<String> commandAnswers, List<String> violations, long endMs) {
    /**
     * A promotable group's copies at the end of the run.
     *
     * @param primaries    the live unfenced nodes where it runs as the primary (more than one: a split brain)
     * @param copies       every node's copy, in the group's node order
     * @param maxPrimaries the most primaries at once during the run (the simulator's invariant: at most one)
     * @param twoPrimaries the first time there were two, with where (null: never)
     */
    public record Replication(List<String> primaries, List<Copy> copies, int maxPrimaries, String twoPrimaries) {
        /** {@code primary node2; node1 standby, copy 2:17804, 341 bytes behind the primary; node2 primary, copy 2:18145}. */
        public String describe() {
            StringBuilder sb = new StringBuilder(primaries.isEmpty() ? "no primary"
                    : (primaries.size() == 1 ? "primary " : "TWO PRIMARIES ") + String.join(" and ", primaries));
            for (Copy c : copies) {
                sb.append("; ").append(c.node()).append(' ').append(c.role()).append(", copy ").append(c.position());
                if (!c.role().equals("primary") && c.behind() > 0) {
                    sb.append(", ").append(c.behind()).append(" bytes behind the primary");
                } else if (!c.role().equals("primary") && c.behind() == 0) {
                    sb.append(", up to date");
                } else if (!c.role().equals("primary") && primaries.size() == 1) {
                    sb.append(", on another timeline than the primary");
                }
            }
            if (twoPrimaries != null) {
                sb.append("; two primaries at once during the run: ").append(twoPrimaries);
            }
            return sb.toString();
        }
    }

    /**
     * One node's copy of a promotable group's data.
     *
     * @param role     {@code primary}, {@code standby} (running), {@code standby starting|stopping|failed},
     *                 {@code none} (not running there), {@code down} or {@code process down}
     * @param position {@code timeline:offset}
     * @param behind   how many bytes behind the primary's copy on the same timeline (-1: no single primary, or another
     *                 timeline)
     */
    public record Copy(String node, String role, String position, long behind) {
    }

    /**
     * One group's time without an owner after it first ran.
     *
     * @param totalMs      the sum of the intervals, plus the time since {@code offlineSince} when it is offline at the end
     * @param intervals    [from, to] in ms since the start
     * @param offlineSince when it went offline for good (-1: it runs at the end)
     * @param everRan      whether it ran at all during the run
     * @param maxOwners    the most nodes it ran on at once (more than 1 is a split brain)
     */
    public record Downtime(long totalMs, List<long[]> intervals, long offlineSince, boolean everRan, int maxOwners) {
        /** A sentence: {@code 0.4s (offline from 10.0s to 10.4s)}. */
        public String describe() {
            if (!everRan) {
                return "never ran";
            }
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%.3fs", totalMs / 1000.0));
            if (intervals.isEmpty() && offlineSince < 0) {
                return "none (it ran throughout)";
            }
            sb.append(" (");
            String sep = "";
            for (long[] iv : intervals) {
                sb.append(sep).append("offline from ").append(sec(iv[0])).append(" to ").append(sec(iv[1]))
                        .append(String.format(Locale.ROOT, " (%d ms)", iv[1] - iv[0]));
                sep = ", ";
            }
            if (offlineSince >= 0) {
                sb.append(sep).append("offline since ").append(sec(offlineSince)).append(", still offline at the end");
            }
            return sb.append(')').toString();
        }
    }

    static String sec(long ms) {
        return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    /** The report for an operator. */
    public String text() {
        StringBuilder sb = new StringBuilder(header).append('\n');
        for (String l : transcript) {
            sb.append(l).append('\n');
        }
        sb.append("final placement (at ").append(sec(endMs)).append("):\n");
        for (String l : after) {
            sb.append("  ").append(l).append('\n');
        }
        if (!replication.isEmpty()) {
            sb.append("replication (promotable groups):\n");
            replication.forEach((g, r) -> sb.append("  ").append(g).append(": ").append(r.describe()).append('\n'));
        }
        sb.append("expected downtime per group:\n");
        downtime.forEach((g, d) -> sb.append("  ").append(g).append(": ").append(d.describe()).append('\n'));
        for (String v : violations) {
            sb.append("SAFETY VIOLATION: ").append(v).append('\n');
        }
        return sb.toString();
    }

    /** The report for tools. */
    public String json() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = m.createObjectNode();
        o.put("summary", header);
        o.put("endMs", endMs);
        ArrayNode ds = o.putArray("decisions");
        for (SimDriver.Decision d : decisions) {
            ObjectNode x = ds.addObject();
            x.put("atMs", d.atMs());
            x.put("node", d.node());
            x.put("kind", d.kind());
            x.put("group", d.group());
            x.put("resource", d.resource());
            x.put("message", d.message());
        }
        ArrayNode cs = o.putArray("commands");
        commandAnswers.forEach(cs::add);
        ArrayNode tr = o.putArray("transcript");
        transcript.forEach(tr::add);
        ArrayNode fin = o.putArray("finalPlacement");
        after.forEach(fin::add);
        ObjectNode dn = o.putObject("downtime");
        downtime.forEach((g, d) -> {
            ObjectNode x = dn.putObject(g);
            x.put("totalMs", d.totalMs());
            x.put("offlineAtEnd", d.offlineSince() >= 0);
            x.put("maxOwners", d.maxOwners());
            ArrayNode iv = x.putArray("intervals");
            for (long[] i : d.intervals()) {
                iv.addArray().add(i[0]).add(i[1]);
            }
        });
        ObjectNode rep = o.putObject("replication");
        replication.forEach((g, r) -> {
            ObjectNode x = rep.putObject(g);
            ArrayNode ps = x.putArray("primaries");
            r.primaries().forEach(ps::add);
            x.put("maxPrimaries", r.maxPrimaries());
            x.put("twoPrimaries", r.twoPrimaries());
            ArrayNode cs2 = x.putArray("copies");
            for (Copy c : r.copies()) {
                ObjectNode y = cs2.addObject().put("node", c.node()).put("role", c.role()).put("position", c.position());
                if (c.behind() >= 0) {
                    y.put("behind", c.behind());
                }
            }
        });
        ArrayNode vs = o.putArray("violations");
        violations.forEach(vs::add);
        try {
            return m.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the what-if report as JSON: " + e.getMessage(), e);
        }
    }
}
