package org.tandemha.heartbeat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;

/**
 * The {@code peer-probe} safety-check channel: an authenticated request/response to the silent peer over an address
 * that is not a heartbeat path (a third network, a management LAN). It answers {@code PEER_ALIVE} when the peer
 * answers, {@code UNKNOWN} otherwise; it never says {@code PEER_DEAD} by itself.
 *
 * <pre>{@code
 * arbiters:
 *   - type: peer-probe
 *     params:
 *       addresses: {node1: "203.0.113.1:7500", node2: "203.0.113.2:7500"}
 *       attempts: 3          # optional, probes sent within the timeout
 *       timeout: 1s          # optional, the longest a probe may take, so that the next arbiter gets its turn
 * }</pre>
 *
 * Every node answers probes on its own address from the moment the arbiter is built (one daemon thread, one UDP
 * socket).
 */
public final class PeerProbeArbiterFactory implements ArbiterFactory {

    /** For {@link java.util.ServiceLoader}. */
    public PeerProbeArbiterFactory() {
    }

    @Override
    public String type() {
        return "peer-probe";
    }

    @Override
    public Arbiter create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        Map<String, String> raw = r.map("addresses");
        int attempts = r.integer("attempts", 3, 1, 20);
        java.time.Duration timeout = r.duration("timeout", java.time.Duration.ofSeconds(1));
        if (raw.isEmpty()) {
            r.problem("addresses", "peer-probe needs each node's probe address",
                    "add addresses: {node1: \"203.0.113.1:7500\", node2: \"203.0.113.2:7500\"} (a network that is not a heartbeat path)");
        }
        if (cluster.key() == null || cluster.key().length < 16) {
            r.problem(null, "the cluster key is too short for authenticated probes", "set a key of 16 bytes or more");
        }
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            boolean known = cluster.nodes().stream().anyMatch(n -> n.id().equals(e.getKey()));
            if (!known) {
                r.problem("addresses", "'" + e.getKey() + "' is not a node of the cluster", "use the node ids under nodes:");
                continue;
            }
            String a = e.getValue();
            int colon = a.lastIndexOf(':');
            try {
                int port = Integer.parseInt(a.substring(colon + 1).trim());
                if (colon <= 0 || port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
                addresses.put(e.getKey(), new InetSocketAddress(InetAddress.getByName(a.substring(0, colon).trim()), port));
            } catch (Exception ex) {
                r.problem("addresses", "address of " + e.getKey() + " '" + a + "' is not host:port",
                        "write it like \"203.0.113.2:7500\"");
            }
        }
        if (!raw.isEmpty() && !addresses.containsKey(cluster.localNode()) && r.problems().isEmpty()) {
            r.problem("addresses", "this node '" + cluster.localNode() + "' has no probe address",
                    "add " + cluster.localNode() + ": \"host:port\" under addresses");
        }
        for (ClusterConfig.Path p : cluster.paths()) {
            for (ClusterConfig.Node n : cluster.nodes()) {
                String hb = n.addresses() == null ? null : n.addresses().get(p.name());
                String probe = raw.get(n.id());
                if (hb != null && probe != null && hb.trim().equals(probe.trim())) {
                    r.problem("addresses", "the probe address of " + n.id() + " is its heartbeat address on path '"
                            + p.name() + "'", "use an address on another network: a probe over a heartbeat path adds nothing");
                }
            }
        }
        r.finish();
        try {
            return new PeerProbeArbiter(cluster.cluster(), cluster.localNode(), cluster.key(), addresses, attempts, timeout);
        } catch (SocketException e) {
            throw new InvalidConfigException(config.path() + ".params.addresses",
                    "cannot bind the probe address " + addresses.get(cluster.localNode()) + ": " + e.getMessage(),
                    "use an address configured on this host and a free port");
        }
    }
}
