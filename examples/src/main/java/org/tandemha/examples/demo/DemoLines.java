package org.tandemha.examples.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.tandemha.api.ClusterEvent;

/**
 * The line protocol between {@link DemoNode} (stdout) and {@link Demo}: one record per line, fields separated by
 * tabs. Free text has its tabs and line breaks replaced by spaces.
 *
 * <pre>
 * READY   node  pid
 * EVENT   node  seq  epochMillis  KIND  LEVEL  group|-  resource|-  k=v;k=v  message
 * TABLE   commandId  one line of the status table
 * RESULT  commandId  ok|refused  message
 * FATAL   message
 * </pre>
 *
 * Commands on the node's stdin: {@code <id> <command>}, with command one of {@code status [color]},
 * {@code switchover GROUP NODE}, {@code switchback GROUP}, {@code path NAME on|off}, {@code fail-deep-check},
 * {@code quit}.
 */
final class DemoLines {
    private DemoLines() {
    }

    static String clean(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    static String event(ClusterEvent e) {
        StringBuilder d = new StringBuilder();
        new TreeMap<>(e.details()).forEach((k, v) -> d.append(d.length() == 0 ? "" : ";")
                .append(clean(k).replace(';', ',').replace('=', ':')).append('=').append(clean(v).replace(';', ',')));
        return String.join("\t", "EVENT", e.node(), Long.toString(e.sequence()), Long.toString(e.time().toEpochMilli()),
                e.kind().name(), e.level().name(), clean(e.group()), clean(e.resource()), d.length() == 0 ? "-" : d.toString(),
                clean(e.message()));
    }

    /** An event as the orchestrator sees it. */
    record Event(String node, long sequence, long epochMillis, String kind, String level, String group, String resource,
                 Map<String, String> details, String message, long receivedNanos) {
        String detail(String key) {
            return details.get(key);
        }

        @Override
        public String toString() {
            return "[" + node + "] " + kind + (group == null ? "" : " " + group + (resource == null ? "" : "/" + resource))
                    + ": " + message;
        }
    }

    /** Parses an EVENT line; {@code null} if it is not one. */
    static Event parseEvent(String line, long receivedNanos) {
        String[] f = line.split("\t", 10);
        if (f.length != 10 || !f[0].equals("EVENT")) {
            return null;
        }
        try {
            Map<String, String> details = new LinkedHashMap<>();
            if (!f[8].equals("-")) {
                for (String kv : f[8].split(";")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        details.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
            }
            return new Event(f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4], f[5], f[6].equals("-") ? null : f[6],
                    f[7].equals("-") ? null : f[7], Map.copyOf(details), f[9], receivedNanos);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
