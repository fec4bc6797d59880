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
                           List<SimDriver.Decision> decisions, List<String> commandAnswers, List<String> violations,
                           long endMs) {
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
        ArrayNode vs = o.putArray("violations");
        violations.forEach(vs::add);
        try {
            return m.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the what-if report as JSON: " + e.getMessage(), e);
        }
    }
}
