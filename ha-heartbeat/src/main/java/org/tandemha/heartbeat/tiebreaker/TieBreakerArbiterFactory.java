package org.tandemha.heartbeat.tiebreaker;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;

/**
 * The {@code tiebreaker} safety-check channel: probes a configured address (the gateway of the network the peer and
 * the clients share) from this node, to tell "I am cut off" from "my peer is gone".
 *
 * <ul>
 *   <li>gateway unreachable: {@code WE_LOST} ("gateway 192.0.2.254 unreachable from node1: this node is cut off"):
 *       this node stands down;</li>
 *   <li>gateway reachable: {@code UNKNOWN} by default ("the peer is gone or cut off; asking the next arbiter"), so
 *       that the next arbiter (a witness, the shared disk) decides; with {@code peerDeadWhenReachable: true},
 *       {@code PEER_DEAD}. That is for clusters with no witness and no shared disk, and risks split brain when the
 *       peer is alive but cut off only from this node on every heartbeat path while still serving clients.</li>
 * </ul>
 *
 * <pre>{@code
 * arbiters:
 *   - type: tiebreaker
 *     params:
 *       address: "192.0.2.254"      # host, or host:port for tcp
 *       method: icmp                # icmp (default without a port; real ICMP needs root) or tcp (default with a port)
 *       attempts: 3                 # optional: probes; one answer is enough
 *       timeout: 1s                 # optional: the longest the probes may take together
 *       peerDeadWhenReachable: false
 *   - {type: witness, params: {address: "203.0.113.5:7600"}}
 * }</pre>
 *
 * With TCP, a refused connection counts as an answer (the host sent a reset), so any port works on a host that
 * refuses rather than drops; a firewall that silently drops makes the gateway look unreachable: check the
 * configuration with the peer up before relying on it.
 */
public final class TieBreakerArbiterFactory implements ArbiterFactory {

    /** For {@link java.util.ServiceLoader}. */
    public TieBreakerArbiterFactory() {
    }

    @Override
    public String type() {
        return "tiebreaker";
    }

    @Override
    public Arbiter create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String address = r.string("address");
        String method = r.string("method", null);
        int attempts = r.integer("attempts", 3, 1, 20);
        Duration timeout = r.duration("timeout", Duration.ofSeconds(1));
        boolean peerDead = r.bool("peerDeadWhenReachable", false);
        String host = null;
        int port = -1;
        if (address != null) {
            String a = address.trim();
            int colon = a.lastIndexOf(':');
            boolean bracketed = a.startsWith("[");
            if (bracketed && a.contains("]")) {
                host = a.substring(1, a.indexOf(']'));
                String rest = a.substring(a.indexOf(']') + 1);
                if (rest.startsWith(":")) {
                    port = port(rest.substring(1), r, address);
                } else if (!rest.isEmpty()) {
                    r.problem("address", "'" + address + "' is not host or host:port", "write it like \"192.0.2.254\" or \"192.0.2.254:22\"");
                }
            } else if (colon > 0 && a.indexOf(':') == colon) {
                host = a.substring(0, colon);
                port = port(a.substring(colon + 1), r, address);
            } else {
                host = a; // a name, an IPv4 address, or a bare IPv6 address
            }
            if (host != null && host.isBlank()) {
                r.problem("address", "'" + address + "' has no host", "write it like \"192.0.2.254\"");
                host = null;
            }
        }
        if (method == null) {
            method = port > 0 ? "tcp" : "icmp";
        } else if (!method.equalsIgnoreCase("tcp") && !method.equalsIgnoreCase("icmp")) {
            r.problem("method", "'method' is '" + method + "', not tcp or icmp", "use tcp (with a port) or icmp");
        }
        method = method.toLowerCase(java.util.Locale.ROOT);
        if (method.equals("tcp") && port < 0 && host != null) {
            r.problem("address", "method tcp needs a port in the address '" + address + "'",
                    "write it like \"192.0.2.254:22\" (a refused port counts as an answer too)");
        }
        if (method.equals("icmp") && port > 0) {
            r.problem("address", "method icmp takes no port, but the address '" + address + "' has one",
                    "remove the port, or use method: tcp");
        }
        InetAddress ip = null;
        if (host != null) {
            try {
                ip = InetAddress.getByName(host);
            } catch (Exception e) {
                r.problem("address", "cannot resolve '" + host + "': " + e.getMessage(),
                        "use an IP address (a name that does not resolve when the network is cut would make this node stand down)");
            }
        }
        r.finish();
        String shown = ip.getHostAddress() + (method.equals("tcp") ? ":" + port : "");
        TieBreakerArbiter.Prober prober = method.equals("tcp")
                ? TieBreakerArbiter.tcp(new InetSocketAddress(ip, port))
                : TieBreakerArbiter.icmp(ip);
        return new TieBreakerArbiter(cluster.localNode(), shown, prober, attempts, timeout, peerDead);
    }

    private static int port(String s, PluginConfig.Reader r, String address) {
        try {
            int p = Integer.parseInt(s.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        r.problem("address", "the port in '" + address + "' is not a number from 1 to 65535", "write it like \"192.0.2.254:22\"");
        return -1;
    }
}
