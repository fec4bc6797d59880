package org.tandemha.heartbeat.safety;

import java.util.List;
import org.tandemha.heartbeat.NetnsLab;

/**
 * The network of the whole-node namespace tests: node1 and node2, each in its own namespace, joined by a dedicated
 * heartbeat link (198.51.100.1 and .2/24) and by a public network (192.0.2.1 and .2/24), a bridge in a third
 * namespace, the hub, at 192.0.2.100 (the witness and the gateway in {@link SafetyNamespaceTest}, the ping host in
 * {@link PingNamespaceTest}). Names start with a per-run prefix.
 */
final class TwoNodesAndHub {
    final String prefix;
    final String ns1;
    final String ns2;
    final String hub;
    /** The heartbeat link's ends in node1's and node2's namespaces. */
    final String hb1;
    final String hb2;

    TwoNodesAndHub(String tag) {
        prefix = NetnsLab.prefix(tag);
        ns1 = prefix + "-1";
        ns2 = prefix + "-2";
        hub = prefix + "-hub";
        hb1 = prefix + "h1";
        hb2 = prefix + "h2";
    }

    /** Creates the namespaces and links (skipped unless root, with {@code skipWhenNotRoot}). */
    NetnsLab open(String skipWhenNotRoot) {
        return NetnsLab.open(prefix, skipWhenNotRoot, List.of(ns1, ns2, hub), lab -> {
            lab.veth(ns1, hb1, "198.51.100.1/24", ns2, hb2, "198.51.100.2/24");
            String bridge = prefix + "br";
            lab.bridge(hub, bridge, "192.0.2.100/24");
            lab.bridgePort(ns1, prefix + "p1", "192.0.2.1/24", hub, bridge, prefix + "b1");
            lab.bridgePort(ns2, prefix + "p2", "192.0.2.2/24", hub, bridge, prefix + "b2");
        });
    }
}
