package org.tandemha.heartbeat.witness;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Durations;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.heartbeat.SealedExchange;

/**
 * The {@code witness} safety-check channel: asks a {@link WitnessServer} (run with {@link WitnessMain}, or embedded)
 * whether the silent peer still reports to it. The witness answers {@code PEER_ALIVE} (it heard the peer within the
 * lease), {@code PEER_DEAD} (it did not, and granted this node the takeover for a generation), or {@code WE_LOST}
 * (it granted the takeover to the peer, which is alive: this node stands down). No answer: {@code UNKNOWN}.
 *
 * <pre>{@code
 * arbiters:
 *   - type: witness
 *     params:
 *       address: "203.0.113.5:7600"   # the witness, on a network both nodes reach (not a heartbeat path)
 *       reportInterval: 100ms         # optional (default: the fastest heartbeat path's interval, at least 50ms)
 *       lease: 300ms                  # optional (default: that path's interval x misses, at least 2 reports;
 *                                     #   3 x reportInterval without paths): a node silent this long is dead
 *       timeout: 2s                   # optional: the longest a question may take
 *       attempts: 3                   # optional: requests sent within that time
 * }</pre>
 *
 * The node reports from {@link Arbiter#start()} to {@link Arbiter#close()} (one daemon thread). If the witness
 * granted the takeover from this node while it was silent (a pause, or cut off from the witness and its peer), the
 * answer to its next report says so and the node stands down, even if another arbiter finds the peer alive.
 */
public final class WitnessArbiterFactory implements ArbiterFactory {

    /** For {@link java.util.ServiceLoader}. */
    public WitnessArbiterFactory() {
    }

    @Override
    public String type() {
        return "witness";
    }

    @Override
    public Arbiter create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String address = r.string("address");
        // By default the node reports as often as its fastest heartbeat path beats, with a lease as long as that
        // path's timeout (interval x misses, at least 2 reports): the witness learns of a silence when the peer does.
        ClusterConfig.Path fastest = cluster.paths() == null ? null : cluster.paths().stream()
                .filter(p -> p.interval() != null && p.misses() > 0)
                .min(java.util.Comparator.comparing(ClusterConfig.Path::interval)).orElse(null);
        Duration defaultInterval = fastest == null ? Duration.ofSeconds(1)
                : fastest.interval().compareTo(Duration.ofMillis(50)) < 0 ? Duration.ofMillis(50) : fastest.interval();
        Duration interval = r.duration("reportInterval", defaultInterval);
        Duration defaultLease = fastest == null ? interval.multipliedBy(3)
                : max(fastest.interval().multipliedBy(fastest.misses()), interval.multipliedBy(2));
        Duration lease = r.duration("lease", defaultLease);
        Duration timeout = r.duration("timeout", Duration.ofSeconds(2));
        int attempts = r.integer("attempts", 3, 1, 20);
        if (lease.compareTo(interval.multipliedBy(2)) < 0) {
            r.problem("lease", "the lease (" + Durations.format(lease) + ") is shorter than two report intervals ("
                    + Durations.format(interval.multipliedBy(2)) + "): one lost report would make this node look dead",
                    "make lease at least 2 x reportInterval (3 x is the default)");
        }
        if (interval.compareTo(Duration.ofMillis(50)) < 0) {
            r.problem("reportInterval", "reportInterval " + Durations.format(interval) + " is shorter than 50 ms",
                    "use 50ms or more (1s is the default)");
        }
        if (cluster.key() == null || cluster.key().length < 16) {
            r.problem(null, "the cluster key is too short for the witness", "set a key of 16 bytes or more");
        }
        InetSocketAddress witness = address == null ? null : parse(address, 1);
        if (address != null && witness == null) {
            r.problem("address", "'" + address + "' is not host:port", "write it like \"203.0.113.5:7600\"");
        }
        if (witness != null) {
            for (ClusterConfig.Node n : cluster.nodes()) {
                if (n.addresses() != null && n.addresses().values().stream().anyMatch(a -> a.trim().equals(address.trim()))) {
                    r.problem("address", "the witness address " + address + " is a heartbeat address of " + n.id(),
                            "give the witness its own host and port");
                }
            }
        }
        r.finish();
        WitnessArbiter a = new WitnessArbiter(new SealedExchange(cluster.cluster(), cluster.key(), cluster.localNode()), witness,
                interval, lease, timeout, attempts, context::reportFenced);
        String device = "witness " + witness.getHostString() + ":" + witness.getPort();
        a.onVote(up -> context.quorumVote(device, up));
        return a;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** {@code host:port} (IPv6 in brackets) with a port from {@code minPort} to 65535, or {@code null}. */
    static InetSocketAddress parse(String a, int minPort) {
        String s = a.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(s.substring(colon + 1));
            if (port < minPort || port > 65535 || host.isEmpty()) {
                return null;
            }
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (Exception e) {
            return null;
        }
    }
}
