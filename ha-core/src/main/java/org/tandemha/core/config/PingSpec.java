package org.tandemha.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code ping} section: a reachability monitor like Pacemaker's {@code ocf:pacemaker:ping}. Every node measures
 * how many of its ping hosts answer, every {@code interval} (each within {@code timeout}), and announces the count
 * once it has held for {@code dampen} (Pacemaker's {@code dampen}: a blip does not move anything). Among the nodes
 * that may run a group, those that reach more hosts come first; a group moves off a node that reaches fewer hosts
 * than a peer that may run it (unless an administrator put it there).
 *
 * @param hosts    the hosts every node pings (addresses or names), unless {@code byNode} gives a node its own list
 * @param byNode   a node's own list, replacing {@code hosts} for that node
 * @param method   {@code icmp} (an echo request as root or with CAP_NET_RAW; otherwise the JDK falls back to a TCP
 *                 connection to port 7, where a refusal also counts as an answer) or {@code tcp} (a connection to
 *                 {@code port}: accepted or refused counts as an answer, silence or "unreachable" does not)
 * @param port     the TCP port ({@code method: tcp} only)
 * @param interval how often each node measures
 * @param timeout  how long a host may take to answer
 * @param dampen   how long a new count must hold before it is announced
 */
public record PingSpec(List<String> hosts, Map<String, List<String>> byNode, String method, int port, Duration interval,
                       Duration timeout, Duration dampen) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_DAMPEN = Duration.ofSeconds(5);
    /** The fact under which a node announces how many of its ping hosts answer. */
    public static final String FACT = "ping.reachable";

    public PingSpec {
        hosts = List.copyOf(hosts);
        byNode = byNode == null ? Map.of() : Map.copyOf(byNode);
    }

    /** The hosts {@code node} pings. */
    public List<String> hostsOf(String node) {
        return byNode.getOrDefault(node, hosts);
    }
}
