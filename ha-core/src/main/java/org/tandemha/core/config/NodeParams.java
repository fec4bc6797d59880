package org.tandemha.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ${node}} placeholder in resource parameters: the configuration is one file, the same on every node (its
 * fingerprint is computed from the text as written), but some parameters differ per node, such as the data directory
 * of a replicated database when the nodes share a file system (a lab, or a shared mount). In any text value of a
 * resource's {@code params} (also inside lists and maps; not in map keys), {@code ${node}} is replaced by the id of
 * the node that builds the resource, after the fingerprint is computed: {@code dataDirectory: /srv/pg/${node}} is
 * {@code /srv/pg/node1} on node1 and {@code /srv/pg/node2} on node2.
 *
 * <p>Only {@code ${node}} is expanded; other {@code ${...}} text is left as written (a shell command's variables).
 * A near miss that was surely meant as the placeholder ({@code ${NODE}}, {@code ${nodeId}}, {@code ${node_id}},
 * {@code ${ node }}) is a configuration error, reported by {@link #nearMisses}.
 */
public final class NodeParams {
    /** The placeholder, as written in a configuration. */
    public static final String NODE = "${node}";
    private static final Pattern NEAR = Pattern.compile("\\$\\{\\s*(node[A-Za-z_]*|NODE[A-Za-z_]*|Node[A-Za-z_]*)\\s*}");

    private NodeParams() {
    }

    /** The parameters with every {@code ${node}} in their text values replaced by {@code node}. */
    public static Map<String, Object> expand(Map<String, Object> params, String node) {
        if (params == null || params.isEmpty() || !mentions(params)) {
            return params;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) expandValue(params, node);
        return out;
    }

    private static boolean mentions(Object v) {
        if (v instanceof String s) {
            return s.contains(NODE);
        }
        if (v instanceof Map<?, ?> m) {
            return m.values().stream().anyMatch(NodeParams::mentions);
        }
        if (v instanceof List<?> l) {
            return l.stream().anyMatch(NodeParams::mentions);
        }
        return false;
    }

    private static Object expandValue(Object v, String node) {
        if (v instanceof String s) {
            return s.replace(NODE, node);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, expandValue(x, node)));
            return java.util.Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) {
                out.add(expandValue(x, node));
            }
            return java.util.Collections.unmodifiableList(out);
        }
        return v;
    }

    /**
     * The placeholders in the text values of {@code params} that look like {@code ${node}} but are not it (such as
     * {@code ${NODE}} or {@code ${nodeId}}), each with the parameter's path under {@code at}.
     */
    public static List<String[]> nearMisses(Map<String, Object> params, String at) {
        List<String[]> out = new ArrayList<>();
        scan(params, at, out);
        return out;
    }

    private static void scan(Object v, String at, List<String[]> out) {
        if (v instanceof String s) {
            Matcher m = NEAR.matcher(s);
            while (m.find()) {
                if (!m.group().equals(NODE)) {
                    out.add(new String[] {at, m.group()});
                }
            }
        } else if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> scan(x, at + "." + k, out));
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                scan(l.get(i), at + "[" + i + "]", out);
            }
        }
    }
}
