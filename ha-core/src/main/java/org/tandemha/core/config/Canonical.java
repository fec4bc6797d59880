package org.tandemha.core.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A canonical rendering of a parsed configuration, the same whatever the file's syntax (YAML or JSON), key order,
 * spacing or comments, and its fingerprint. Two nodes that read the same configuration get the same fingerprint.
 */
final class Canonical {
    private Canonical() {
    }

    /** The first 16 hex characters of the SHA-256 of {@link #render}. */
    static String fingerprint(ClusterSpec spec) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(render(spec).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** The canonical text. It contains the key in hex: never print it. */
    static String render(ClusterSpec s) {
        StringBuilder b = new StringBuilder(1024);
        b.append("tandem-config/1\n");
        line(b, "cluster", s.cluster());
        line(b, "key", s.key() == null ? "" : HexFormat.of().formatHex(s.key()));
        for (ClusterSpec.NodeSpec n : s.nodes()) {
            b.append("node ");
            value(b, n.id());
            b.append(' ');
            value(b, n.addresses());
            b.append('\n');
        }
        for (ClusterSpec.PathSpec p : s.paths()) {
            b.append("path ");
            value(b, List.of(p.name(), p.transport(), p.priority(), p.interval(), p.misses()));
            value(b, p.options());
            b.append('\n');
        }
        plugins(b, "arbiter", s.arbiters());
        plugins(b, "fencer", s.fencers());
        if (s.watchdog().enabled()) {
            b.append("watchdog ").append(s.watchdog().device()).append(' ').append(s.watchdog().interval().toNanos())
                    .append(' ').append(s.watchdog().timeout().toNanos()).append('\n');
        }
        if (s.coordinated()) {
            CoordinationSpec c = s.coordination();
            b.append("coordination ");
            // not connect: nodes may reach the same ensemble by different addresses
            value(b, List.of(c.type(), c.sessionTimeout(), c.path(), c.digest() == null ? "" : c.digest()));
            b.append('\n');
        }
        QuorumSpec q = s.quorum();
        b.append("quorum ");
        value(b, List.of(q.twoNodeWithoutArbiter(), q.lossGrace(), q.witnessVote()));
        b.append('\n');
        TimingSpec t = s.timing();
        b.append("timing ");
        value(b, List.of(t.startupWait(), t.safetyRetryMin(), t.safetyRetryMax(), t.safetyTimeout(), t.pauseThreshold(),
                t.commandTimeout(), t.fenceTimeout()));
        // Added later: rendered only when set, so that the fingerprint of a configuration without them is unchanged.
        if (!t.pauseReport().equals(TimingSpec.DEFAULT_PAUSE_REPORT) || !t.actionSlack().equals(TimingSpec.DEFAULT_ACTION_SLACK)) {
            value(b, List.of(t.pauseReport(), t.actionSlack()));
        }
        b.append('\n');
        if (s.ping() != null) { // (added later: configurations without it keep their fingerprint)
            PingSpec p = s.ping();
            b.append("ping ");
            value(b, List.of(p.hosts(), new java.util.TreeMap<>(p.byNode()).toString(), p.method(), p.port(), p.interval(),
                    p.timeout(), p.dampen()));
            b.append('\n');
        }
        for (GroupSpec g : s.groups()) {
            b.append("group ");
            value(b, List.of(g.id(), g.nodes(), g.switchback().name(), g.settle(), g.maxRecoveries(), g.recoveryWindow()));
            if (g.promotable()) {
                value(b, "promotable"); // (ordinary groups keep the fingerprint they had)
            }
            if (g.dr().present()) { // (groups without a DR site keep their fingerprint)
                value(b, List.of("dr", g.dr().nodes(), g.dr().autoPromote(), new java.util.TreeMap<>(g.dr().sites()).toString()));
            }
            b.append('\n');
            for (ResourceSpec r : g.resources()) {
                b.append("  resource ");
                value(b, List.of(r.id(), r.type(), r.path(), r.dependsOn(), r.startTimeout(), r.stopTimeout(),
                        r.recoverTimeout(), r.quickInterval(), r.quickTimeout(), r.deepInterval(), r.deepTimeout()));
                value(b, r.params());
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static void plugins(StringBuilder b, String kind, List<PluginSpec> plugins) {
        for (PluginSpec p : plugins) {
            b.append(kind).append(' ');
            value(b, List.of(p.id(), p.type(), p.path()));
            value(b, p.params());
            b.append('\n');
        }
    }

    private static void line(StringBuilder b, String name, String v) {
        b.append(name).append(' ');
        value(b, v);
        b.append('\n');
    }

    private static void value(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c < 0x20) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            b.append('"');
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : new TreeMap<>(m).entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                value(b, String.valueOf(e.getKey()));
                b.append(':');
                value(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                value(b, l.get(i));
            }
            b.append(']');
        } else if (v instanceof Duration d) {
            b.append(d.toNanos()).append("ns");
        } else {
            b.append(v); // numbers and booleans
        }
    }
}
