package org.tandemha.ip;

import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * The {@code ip} resource type: a floating IPv4 or IPv6 address that moves with its group.
 *
 * <pre>
 * - id: vip
 *   type: ip
 *   params:
 *     interface: eth0              # required
 *     address: 192.0.2.10/24       # required, with its prefix length
 *     label: vip                   # IPv4 only: shows as eth0:vip
 *     backupInterface: eth1        # local recovery target when eth0 loses carrier
 *     arpCount: 5                  # announcements after a takeover (gratuitous ARP / unsolicited NA)
 *     arpInterval: 200ms           # between announcements; the first goes at once
 *     probe: true                  # refuse to start if another host answers for the address
 *     probeTimeout: 25ms           # how long to listen for such an answer
 *     peers: [node1]               # optional: more nodes whose published MACs the probe recognises (the
 *                                  # cluster's other nodes always are)
 *     reannounce: true             # after a takeover from a dead peer, keep announcing (its kernel may still answer)
 *     reannounceInterval: 1s       # how often, until that peer is back or the address stops
 *     reannounceFor: 10m           # how long at most
 * </pre>
 *
 * Start probes the address (RFC 5227 ARP probe or RFC 4862 solicitation), adds it, and announces it; an answer
 * from a peer that the safety check declared dead or fenced does not block it, and the address is then re-announced
 * until that peer is back (a crashed daemon leaves the address on its node, whose kernel answers for it). Stop removes the address from every
 * interface of the node, so the stop the engine runs at node start-up clears a stale address left by a crash. The
 * quick check wants the address present and the link carrying it up with carrier; the recoverer moves it to the
 * backup interface. Needs CAP_NET_ADMIN and CAP_NET_RAW, and works in the network namespace of the calling thread.
 */
public final class IpAddressType implements ResourceType {
    /** The type name. */
    public static final String NAME = "ip";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        IpAddress ip = new IpAddress(config.id(), IpSettings.read(config), context);
        return new ResourceParts(ip, ip, ip);
    }
}
