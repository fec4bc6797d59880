package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import org.tandemha.api.Durations;
import org.tandemha.api.Problem;

/**
 * Reads the cluster's policies of time and votes: {@code quorum}, {@code timing}, {@code watchdog} and
 * {@code realtime}.
 */
final class TimingReader extends ConfigFields {
    private static final List<String> QUORUM_KEYS = List.of("twoNodeWithoutArbiter", "lossGrace", "witnessVote");
    static final List<String> TIMING_KEYS = List.of("startupWait", "safetyRetryMin", "safetyRetryMax",
            "safetyTimeout", "pauseThreshold", "commandTimeout", "fenceTimeout", "pauseReport", "actionSlack");

    TimingReader(List<Problem> problems) {
        super(problems);
    }

    QuorumSpec quorum(JsonNode n) {
        QuorumSpec d = QuorumSpec.defaults();
        n = present(n);
        if (n == null || !object(n, "quorum")) {
            return d;
        }
        knownFields(n, "quorum", QUORUM_KEYS);
        return new QuorumSpec(bool(n, "twoNodeWithoutArbiter", "quorum.twoNodeWithoutArbiter", d.twoNodeWithoutArbiter()),
                duration(n, "lossGrace", "quorum.lossGrace", d.lossGrace()),
                bool(n, "witnessVote", "quorum.witnessVote", d.witnessVote()));
    }

    /**
     * The {@code coordination} section, or null when absent: {@code type} (zookeeper), {@code connect}
     * (host:port,...), {@code sessionTimeout} (default 10s, from 1s to 5m), {@code path} (default /tandem) and
     * {@code digest} (user:password for digest ACLs, optional).
     */
    CoordinationSpec coordination(JsonNode n) {
        n = present(n);
        if (n == null || !object(n, "coordination")) {
            return null;
        }
        knownFields(n, "coordination", List.of("type", "connect", "sessionTimeout", "path", "digest"));
        JsonNode type = present(n.get("type"));
        String t = type == null ? null : type.asText();
        if (t == null || !t.equals("zookeeper")) {
            problem("coordination.type", t == null ? "missing required field 'type'" : "unknown coordination type '" + t + "'",
                    "write type: zookeeper (the only coordination service Tandem supports), or remove the coordination section");
        }
        JsonNode connect = present(n.get("connect"));
        String c = connect == null ? null : connect.asText().trim();
        if (c == null || c.isEmpty()) {
            problem("coordination.connect", "missing required field 'connect'",
                    "add connect: \"zk1:2181,zk2:2181,zk3:2181\" (the ensemble's servers)");
        } else {
            for (String server : c.split(",")) {
                String hp = server.trim();
                int slash = hp.indexOf('/');
                if (slash >= 0) {
                    problem("coordination.connect", "'" + hp + "' has a chroot suffix", "put the root in coordination.path instead");
                    break;
                }
                String why = ConfigReader.checkAddress(hp);
                if (why != null) {
                    problem("coordination.connect", "server '" + hp + "': " + why, "write each server as host:port, comma-separated");
                    break;
                }
            }
        }
        Duration session = duration(n, "sessionTimeout", "coordination.sessionTimeout", CoordinationSpec.DEFAULT_SESSION_TIMEOUT);
        if (session.compareTo(Duration.ofSeconds(1)) < 0 || session.compareTo(Duration.ofMinutes(5)) > 0) {
            problem("coordination.sessionTimeout", "sessionTimeout " + Durations.format(session) + " is outside 1s..5m",
                    "use a session timeout from 1s to 5m (default 10s); ZooKeeper also bounds it by 2 to 20 ticks");
        }
        JsonNode pathNode = present(n.get("path"));
        String path = pathNode == null ? "/tandem" : pathNode.asText();
        if (!path.startsWith("/") || (path.length() > 1 && path.endsWith("/")) || path.contains("//")) {
            problem("coordination.path", "path '" + path + "' is not an absolute ZooKeeper path",
                    "write it like /tandem (starting with '/', no trailing '/')");
        }
        JsonNode digestNode = present(n.get("digest"));
        String digest = digestNode == null ? null : digestNode.asText();
        if (digest != null && (digest.indexOf(':') <= 0 || digest.indexOf(':') == digest.length() - 1)) {
            problem("coordination.digest", "digest must be user:password", "write digest: \"tandem:secret\", or remove it for open ACLs");
        }
        return new CoordinationSpec(t, c, session, path.equals("/") ? "" : path, digest);
    }

    /**
     * The {@code ping} section, or null when absent: {@code hosts} (required, at least one), {@code nodes} (a node's
     * own list: {@code {node2: [...]}}), {@code method} (icmp or tcp, default icmp), {@code port} (required for tcp),
     * {@code interval} (default 2s), {@code timeout} (default 1s, at most the interval), {@code dampen} (default 5s).
     */
    PingSpec ping(JsonNode n, List<String> nodeIds) {
        n = present(n);
        if (n == null || !object(n, "ping")) {
            return null;
        }
        knownFields(n, "ping", List.of("hosts", "nodes", "method", "port", "interval", "timeout", "dampen"));
        List<String> hosts = pingHosts(n.get("hosts"), "ping.hosts", true);
        java.util.Map<String, List<String>> byNode = new java.util.LinkedHashMap<>();
        JsonNode nodes = present(n.get("nodes"));
        if (nodes != null && object(nodes, "ping.nodes")) {
            nodes.fields().forEachRemaining(e -> {
                if (!nodeIds.contains(e.getKey())) {
                    problem("ping.nodes." + e.getKey(), "no node '" + e.getKey() + "' in the configuration",
                            "use one of " + String.join(", ", nodeIds));
                } else {
                    byNode.put(e.getKey(), pingHosts(e.getValue(), "ping.nodes." + e.getKey(), true));
                }
            });
        }
        JsonNode m = present(n.get("method"));
        String method = m == null ? "icmp" : m.asText();
        if (!method.equals("icmp") && !method.equals("tcp")) {
            problem("ping.method", "unknown method '" + method + "'", "write method: icmp (echo requests; root or CAP_NET_RAW)"
                    + " or method: tcp with a port");
        }
        int port = integer(n, "port", "ping.port", 0, 0, 65535);
        if (method.equals("tcp") && port == 0) {
            problem("ping.port", "method tcp needs a port", "add port: <a port the ping hosts answer on>, such as 22 or 443");
        }
        Duration interval = duration(n, "interval", "ping.interval", PingSpec.DEFAULT_INTERVAL);
        Duration timeout = duration(n, "timeout", "ping.timeout", PingSpec.DEFAULT_TIMEOUT);
        Duration dampen = duration(n, "dampen", "ping.dampen", PingSpec.DEFAULT_DAMPEN);
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            problem("ping.interval", "interval " + Durations.format(interval) + " is shorter than 100ms", "use 100ms or more (default 2s)");
        }
        if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(interval) > 0) {
            problem("ping.timeout", "timeout " + Durations.format(timeout) + " must be positive and at most the interval ("
                    + Durations.format(interval) + ")", "use a timeout no longer than the interval, e.g. interval: 2s, timeout: 1s");
        }
        return new PingSpec(hosts, byNode, method, port, interval, timeout, dampen);
    }

    private List<String> pingHosts(JsonNode n, String at, boolean required) {
        List<String> out = new java.util.ArrayList<>();
        for (JsonNode h : list(n, at, required, 1, "list the hosts to ping, e.g. [192.0.2.1, 192.0.2.2] (the gateway and"
                + " a few servers the clients use)")) {
            String s = h.isValueNode() ? h.asText().trim() : "";
            if (s.isEmpty() || !s.matches("[A-Za-z0-9_.:%-]{1,253}")) {
                problem(at, "'" + h + "' is not a host name or address", "write an address such as 192.0.2.1 or a host name");
            } else if (out.contains(s)) {
                problem(at, "'" + s + "' is listed twice", "list each host once");
            } else {
                out.add(s);
            }
        }
        return out;
    }

    WatchdogSpec watchdog(JsonNode n) {
        n = present(n);
        if (n == null || !object(n, "watchdog")) {
            return WatchdogSpec.none();
        }
        knownFields(n, "watchdog", List.of("device", "interval", "timeout"));
        JsonNode dev = present(n.get("device"));
        Duration interval = duration(n, "interval", "watchdog.interval", Duration.ofSeconds(1));
        Duration timeout = duration(n, "timeout", "watchdog.timeout", WatchdogSpec.DEFAULT_TIMEOUT);
        if (dev == null || !dev.isTextual() || dev.asText().isBlank()) {
            problem("watchdog.device", "the watchdog needs a device", "write device: /dev/watchdog (load softdog if the machine has none)");
            return WatchdogSpec.none();
        }
        if (timeout.compareTo(interval.multipliedBy(3)) < 0) {
            problem("watchdog.timeout", "timeout " + Durations.format(timeout) + " is shorter than three feeding intervals ("
                    + Durations.format(interval) + " each): a busy node would be reset", "make timeout at least three times"
                    + " interval, e.g. interval: 1s, timeout: 10s");
        }
        return new WatchdogSpec(dev.asText(), interval, timeout);
    }

    /**
     * The {@code realtime} section ({@link RealtimeSpec}): {@code priority} and {@code checkPriority} 0 to 99,
     * {@code policy} rr or fifo,
     * {@code lockMemory} and {@code required} true or false.
     */
    RealtimeSpec realtime(JsonNode n) {
        RealtimeSpec d = RealtimeSpec.none();
        n = present(n);
        if (n == null || !object(n, "realtime")) {
            return d;
        }
        knownFields(n, "realtime", List.of("priority", "checkPriority", "policy", "lockMemory", "required"));
        JsonNode p = present(n.get("priority"));
        int priority = rtPriority(p, "priority");
        JsonNode cp = present(n.get("checkPriority"));
        int checkPriority = rtPriority(cp, "checkPriority");
        String policy = d.policy();
        JsonNode pol = present(n.get("policy"));
        if (pol != null) {
            String v = pol.isTextual() ? pol.asText().trim().toLowerCase(java.util.Locale.ROOT) : "";
            if (!RealtimeSpec.POLICIES.contains(v)) {
                problem("realtime.policy", "unknown scheduling policy " + show(pol),
                        "write policy: rr (SCHED_RR, the default) or policy: fifo (SCHED_FIFO)");
            } else {
                policy = v;
                if (p == null && cp == null) {
                    problem("realtime.policy", "policy " + v + " is given without a priority, so it would not apply",
                            "add priority: 10 (1 to 99) and/or checkPriority: 5, or remove policy");
                }
            }
        }
        boolean lock = bool(n, "lockMemory", "realtime.lockMemory", d.lockMemory());
        boolean required = bool(n, "required", "realtime.required", d.required());
        return new RealtimeSpec(priority, policy, lock, required, checkPriority);
    }

    private int rtPriority(JsonNode p, String key) {
        if (p == null) {
            return 0;
        }
        if (!p.isIntegralNumber() || !p.canConvertToInt() || p.intValue() < 0 || p.intValue() > 99) {
            problem("realtime." + key, key + " " + show(p) + " is not a real-time priority",
                    "use a whole number from 1 to 99 (Linux SCHED_RR/SCHED_FIFO priorities; 10 is plenty to win over"
                            + " ordinary processes), or 0 / leave " + key + " out for normal scheduling");
            return 0;
        }
        return p.intValue();
    }

    /** The shortest pause report accepted (200ms): the pause detector looks at the clock every 100 ms. */
    static final Duration MIN_PAUSE_REPORT = Duration.ofMillis(200);
    /** The longest action slack accepted (1m): past it, a stuck action holds its group far beyond its own timeout. */
    static final Duration MAX_ACTION_SLACK = Duration.ofMinutes(1);

    TimingSpec timing(JsonNode n) {
        TimingSpec d = TimingSpec.defaults();
        n = present(n);
        if (n == null || !object(n, "timing")) {
            return d;
        }
        knownFields(n, "timing", TIMING_KEYS);
        Duration pauseThreshold = duration(n, "pauseThreshold", "timing.pauseThreshold", d.pauseThreshold());
        // Not given: 1s, or half the pause threshold when that is shorter (a pause threshold up to 1s stays valid).
        Duration pauseReportDefault = TimingSpec.defaultPauseReport(pauseThreshold);
        TimingSpec t = new TimingSpec(
                duration(n, "startupWait", "timing.startupWait", d.startupWait()),
                duration(n, "safetyRetryMin", "timing.safetyRetryMin", d.safetyRetryMin()),
                duration(n, "safetyRetryMax", "timing.safetyRetryMax", d.safetyRetryMax()),
                duration(n, "safetyTimeout", "timing.safetyTimeout", d.safetyTimeout()),
                pauseThreshold,
                duration(n, "commandTimeout", "timing.commandTimeout", d.commandTimeout()),
                duration(n, "fenceTimeout", "timing.fenceTimeout", d.fenceTimeout()),
                duration(n, "pauseReport", "timing.pauseReport", pauseReportDefault),
                duration(n, "actionSlack", "timing.actionSlack", d.actionSlack()));
        if (t.safetyRetryMin().compareTo(t.safetyRetryMax()) > 0) {
            problem("timing.safetyRetryMin", "safetyRetryMin (" + Durations.format(t.safetyRetryMin())
                            + ") is longer than safetyRetryMax (" + Durations.format(t.safetyRetryMax()) + ")",
                    "make safetyRetryMin at most safetyRetryMax");
        }
        if (present(n.get("pauseReport")) != null) {
            if (t.pauseReport().compareTo(t.pauseThreshold()) >= 0) {
                problem("timing.pauseReport", "pauseReport (" + Durations.format(t.pauseReport())
                                + ") is not shorter than pauseThreshold (" + Durations.format(t.pauseThreshold())
                                + "): a freeze between the two would neither move the node's deadlines nor stand it down",
                        "make pauseReport shorter than pauseThreshold (default 1s), or remove it");
            } else if (t.pauseReport().compareTo(MIN_PAUSE_REPORT) < 0) {
                problem("timing.pauseReport", "pauseReport (" + Durations.format(t.pauseReport())
                                + ") is shorter than 200ms: the pause detector looks at the clock every 100ms,"
                                + " so ordinary scheduling delays would be reported as pauses",
                        "use at least 200ms (default 1s), or remove it");
            }
        }
        if (t.actionSlack().compareTo(MAX_ACTION_SLACK) > 0) {
            problem("timing.actionSlack", "actionSlack (" + Durations.format(t.actionSlack())
                            + ") is longer than 1m: a stuck action would hold its group that long past its own timeout",
                    "use at most 1m (default 200ms); give a slow action a longer timeout instead");
        }
        return t;
    }
}
