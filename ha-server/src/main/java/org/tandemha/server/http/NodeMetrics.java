package org.tandemha.server.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;
import org.tandemha.api.ResourceStatus;

/**
 * The node's Prometheus metrics (the {@code io.prometheus} client library), in a registry of their own. Gauges are
 * read from one status snapshot taken per scrape; counters and the takeover histogram count events.
 *
 * <pre>
 * tandem_path_up{path,peer}                          1 if heartbeats arrive on the path, else 0
 * tandem_path_state{path,peer,state}                 1 for the path's state (UP, DOWN, UNKNOWN), 0 for the others
 * tandem_path_rtt_seconds{path,peer}                 round-trip time (absent until measured)
 * tandem_path_loss_ratio{path,peer}                  heartbeat loss, 0..1
 * tandem_peer_reachable{peer}                        1 if the peer is heard on some path
 * tandem_group_state{group,state}                    1 for the group's state on this node, 0 for the others
 * tandem_group_online{group}                         1 if the group runs here
 * tandem_group_generation{group}                     the group's generation (grows at each takeover)
 * tandem_group_managed{group}                        0 in maintenance
 * tandem_resource_running{group,resource}            1 if running here
 * tandem_resource_check_duration_seconds{group,resource}  the last check's latency
 * tandem_resource_check_failures{group,resource}     consecutive failed checks now
 * tandem_resource_check_failed_total{group,resource} failed checks (CHECK_FAILED events)
 * tandem_takeovers_total{group,kind}                 finished takeovers, kind failover or switchover
 * tandem_takeover_duration_seconds{kind}             their durations (histogram)
 * tandem_safety_checks_total{verdict}                safety checks, by verdict (PEER_DEAD, PEER_ALIVE, UNKNOWN, WE_LOST)
 * tandem_events_total{kind}                          events, by kind
 * tandem_status_age_seconds                          age of the engine's status view
 * tandem_status_stale                                1 if the engine could not refresh its view
 * </pre>
 * The Prometheus client's classes (about 110) are loaded at the first scrape, not before: an idle node that nobody
 * scrapes does not carry them (examples/bench/run.sh server). Until then the events are tallied here and the
 * counters start from those tallies.
 */
public final class NodeMetrics implements Consumer<ClusterEvent> {
    /** Takeover durations kept for the histogram until the first scrape (takeovers are rare; beyond it, counted only). */
    private static final int MAX_PENDING_DURATIONS = 10_000;

    private final ClusterNode node;
    // before the first scrape: the tallies (guarded by this)
    private final Map<String, Long> eventCounts = new HashMap<>();
    private final Map<List<String>, Long> checkFailedCounts = new HashMap<>();
    private final Map<List<String>, Long> takeoverCounts = new HashMap<>();
    private final List<Map.Entry<String, Double>> takeoverDurations = new ArrayList<>();
    private final Map<String, Long> safetyCounts = new HashMap<>();
    /** The registry, once scraped (guarded by this). */
    private Registry registry;
    private volatile ClusterStatus current;
    private volatile Instant currentAt = Instant.EPOCH;
    private volatile Instant takenAt = Instant.EPOCH;

    public NodeMetrics(ClusterNode node) {
        this.node = node;
    }

    private ClusterStatus s() {
        ClusterStatus s = current;
        return s != null ? s : node.status();
    }

    /** Counts an event. */
    @Override
    public synchronized void accept(ClusterEvent e) {
        if (e.kind() == null) {
            return;
        }
        if (registry != null) {
            registry.accept(e);
            return;
        }
        eventCounts.merge(e.kind().name(), 1L, Long::sum);
        switch (e.kind()) {
            case CHECK_FAILED -> {
                if (e.group() != null && e.resource() != null) {
                    checkFailedCounts.merge(List.of(e.group(), e.resource()), 1L, Long::sum);
                }
            }
            case FAILOVER_FINISHED, SWITCHOVER_FINISHED -> {
                String kind = e.kind() == org.tandemha.api.EventKind.FAILOVER_FINISHED ? "failover" : "switchover";
                takeoverCounts.merge(List.of(e.group() == null ? "" : e.group(), kind), 1L, Long::sum);
                Double seconds = seconds(e);
                if (seconds != null && takeoverDurations.size() < MAX_PENDING_DURATIONS) {
                    takeoverDurations.add(Map.entry(kind, seconds));
                }
            }
            case SAFETY_CHECK -> safetyCounts.merge(e.details().getOrDefault("verdict", "UNKNOWN"), 1L, Long::sum);
            default -> { }
        }
    }

    /** A takeover event's duration in seconds, or null. */
    static Double seconds(ClusterEvent e) {
        String ms = e.details().get("durationMs");
        if (ms == null) {
            return null;
        }
        try {
            return Double.parseDouble(ms) / 1000.0;
        } catch (NumberFormatException ignored) {
            return null; // a detail this version does not understand: counted, not timed
        }
    }

    /** The registry: made at the first scrape, from the tallies so far. */
    private synchronized Registry registry() {
        if (registry == null) {
            Registry r = new Registry(this);
            eventCounts.forEach((k, n) -> r.events.labelValues(k).inc(n));
            checkFailedCounts.forEach((k, n) -> r.checkFailed.labelValues(k.get(0), k.get(1)).inc(n));
            takeoverCounts.forEach((k, n) -> r.takeovers.labelValues(k.get(0), k.get(1)).inc(n));
            takeoverDurations.forEach(d -> r.takeoverDuration.labelValues(d.getKey()).observe(d.getValue()));
            safetyCounts.forEach((k, n) -> r.safetyChecks.labelValues(k).inc(n));
            eventCounts.clear();
            checkFailedCounts.clear();
            takeoverCounts.clear();
            takeoverDurations.clear();
            safetyCounts.clear();
            registry = r;
        }
        return registry;
    }

    /** The text format's content type. */
    public String contentType() {
        return registry().writer.getContentType();
    }

    /** Scrapes every metric from one fresh status snapshot, in the Prometheus text format. */
    public byte[] scrape() throws IOException {
        Registry r = registry();
        synchronized (r) {
            Instant asked = Instant.now();
            current = node.status();
            currentAt = Instant.now();
            takenAt = asked;
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
                r.writer.write(out, r.registry.scrape());
                return out.toByteArray();
            } finally {
                current = null;
            }
        }
    }

    /** The Prometheus side: loaded with the first scrape. */
    private static final class Registry {
        private final PrometheusRegistry registry = new PrometheusRegistry();
        private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        private final Counter checkFailed;
        private final Counter takeovers;
        private final Histogram takeoverDuration;
        private final Counter safetyChecks;
        private final Counter events;

        Registry(NodeMetrics m) {
            gauge("tandem_path_up", "1 if heartbeats arrive on the path, else 0", cb -> {
                for (PathStatus p : m.s().paths()) {
                    cb.call(p.state() == PathState.UP ? 1 : 0, p.name(), p.peer());
                }
            }, "path", "peer");
            gauge("tandem_path_state", "1 for the path's state, 0 for the other states", cb -> {
                for (PathStatus p : m.s().paths()) {
                    for (PathState st : PathState.values()) {
                        cb.call(p.state() == st ? 1 : 0, p.name(), p.peer(), st.name());
                    }
                }
            }, "path", "peer", "state");
            gauge("tandem_path_rtt_seconds", "heartbeat round-trip time on the path", cb -> {
                for (PathStatus p : m.s().paths()) {
                    if (p.rtt() != null) {
                        cb.call(p.rtt().toNanos() / 1e9, p.name(), p.peer());
                    }
                }
            }, "path", "peer");
            gauge("tandem_path_loss_ratio", "heartbeat loss on the path, 0 to 1", cb -> {
                for (PathStatus p : m.s().paths()) {
                    cb.call(p.lossPercent() / 100.0, p.name(), p.peer());
                }
            }, "path", "peer");
            gauge("tandem_peer_reachable", "1 if the peer is heard on at least one path", cb -> {
                ClusterStatus s = m.s();
                for (NodeStatus n : s.nodes()) {
                    if (n.state() != NodeState.LOCAL) {
                        cb.call(n.state() == NodeState.REACHABLE ? 1 : 0, n.node());
                    }
                }
            }, "peer");
            gauge("tandem_node_ping_reachable", "how many of its ping hosts the node reaches, as it last announced"
                    + " (nodes with a ping section that have announced a count)", cb -> {
                for (NodeStatus n : m.s().nodes()) {
                    if (n.pingKnown()) {
                        cb.call(n.pingReachable(), n.node());
                    }
                }
            }, "node");
            gauge("tandem_node_ping_hosts", "how many ping hosts the node pings (nodes with a ping section)", cb -> {
                for (NodeStatus n : m.s().nodes()) {
                    if (n.pingHosts() > 0) {
                        cb.call(n.pingHosts(), n.node());
                    }
                }
            }, "node");
            gauge("tandem_group_state", "1 for the group's state on this node, 0 for the other states", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    for (GroupState st : GroupState.values()) {
                        cb.call(g.localState() == st ? 1 : 0, g.group(), st.name());
                    }
                }
            }, "group", "state");
            gauge("tandem_group_online", "1 if the group runs on this node", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    cb.call(g.localState() == GroupState.ONLINE ? 1 : 0, g.group());
                }
            }, "group");
            gauge("tandem_group_generation", "the group's generation: grows at each takeover", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    cb.call(g.generation(), g.group());
                }
            }, "group");
            gauge("tandem_group_managed", "0 while the group is in maintenance", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    cb.call(g.managed() ? 1 : 0, g.group());
                }
            }, "group");
            gauge("tandem_resource_running", "1 if the resource runs on this node", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    for (ResourceStatus r : g.resources()) {
                        cb.call(r.running() ? 1 : 0, g.group(), r.id());
                    }
                }
            }, "group", "resource");
            gauge("tandem_resource_check_duration_seconds", "how long the resource's last check took", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    for (ResourceStatus r : g.resources()) {
                        CheckResult c = r.lastCheck();
                        if (c != null && c.duration() != null) {
                            cb.call(c.duration().toNanos() / 1e9, g.group(), r.id());
                        }
                    }
                }
            }, "group", "resource");
            gauge("tandem_resource_check_failures", "the resource's consecutive failed checks", cb -> {
                for (GroupStatus g : m.s().groups()) {
                    for (ResourceStatus r : g.resources()) {
                        cb.call(r.failures(), g.group(), r.id());
                    }
                }
            }, "group", "resource");
            gauge("tandem_status_age_seconds", "age of the engine's status view when scraped", cb -> {
                ClusterStatus s = m.s();
                java.time.Duration age = StatusJson.viewAge(s, m.takenAt, m.currentAt);
                cb.call(age == null ? 0 : age.toNanos() / 1e9);
            });
            gauge("tandem_status_stale", "1 if the engine could not refresh its status view", cb -> cb.call(m.s().stale() ? 1 : 0));
            checkFailed = Counter.builder().name("tandem_resource_check_failed").help("failed resource checks")
                    .labelNames("group", "resource").register(registry);
            takeovers = Counter.builder().name("tandem_takeovers").help("finished takeovers of a group by this node")
                    .labelNames("group", "kind").register(registry);
            takeoverDuration = Histogram.builder().name("tandem_takeover_duration_seconds")
                    .help("how long a takeover took, from its start to the group online")
                    .classicOnly().classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
                    .labelNames("kind").register(registry);
            safetyChecks = Counter.builder().name("tandem_safety_checks").help("safety checks run, by verdict")
                    .labelNames("verdict").register(registry);
            events = Counter.builder().name("tandem_events").help("events, by kind").labelNames("kind").register(registry);
        }

        private void gauge(String name, String help, Consumer<GaugeWithCallback.Callback> body, String... labels) {
            GaugeWithCallback.builder().name(name).help(help).labelNames(labels).callback(body).register(registry);
        }

        void accept(ClusterEvent e) {
            events.labelValues(e.kind().name()).inc();
            switch (e.kind()) {
                case CHECK_FAILED -> {
                    if (e.group() != null && e.resource() != null) {
                        checkFailed.labelValues(e.group(), e.resource()).inc();
                    }
                }
                case FAILOVER_FINISHED, SWITCHOVER_FINISHED -> {
                    String kind = e.kind() == org.tandemha.api.EventKind.FAILOVER_FINISHED ? "failover" : "switchover";
                    takeovers.labelValues(e.group() == null ? "" : e.group(), kind).inc();
                    Double seconds = seconds(e);
                    if (seconds != null) {
                        takeoverDuration.labelValues(kind).observe(seconds);
                    }
                }
                case SAFETY_CHECK -> safetyChecks.labelValues(e.details().getOrDefault("verdict", "UNKNOWN")).inc();
                default -> { }
            }
        }
    }
}
