package org.tandemha.ip;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Builds and reads the link-layer payloads this module sends: ARP (RFC 826, probes as in RFC 5227) and IPv6
 * neighbour discovery (RFC 4861). Pure functions, tested without a network. The link-layer header is left to
 * the kernel (packet sockets of type SOCK_DGRAM).
 */
final class Packets {
    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86DD;
    static final int ARP_REQUEST = 1;
    static final int ARP_REPLY = 2;
    static final int ND_NEIGHBOR_SOLICIT = 135;
    static final int ND_NEIGHBOR_ADVERT = 136;
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    private static final byte[] ZERO4 = new byte[4];
    private static final byte[] ZERO6 = new byte[6];

    private Packets() {
    }

    /** A gratuitous ARP request (RFC 5227 section 3: an ARP announcement): sender and target are the address. */
    static byte[] arpAnnouncement(byte[] mac, InetAddress ip) {
        return arp(ARP_REQUEST, mac, ip.getAddress(), ZERO6, ip.getAddress());
    }

    /** An ARP probe (RFC 5227 section 2.1.1): sender address zero, so that no cache learns from it. */
    static byte[] arpProbe(byte[] mac, InetAddress ip) {
        return arp(ARP_REQUEST, mac, ZERO4, ZERO6, ip.getAddress());
    }

    private static byte[] arp(int op, byte[] sha, byte[] spa, byte[] tha, byte[] tpa) {
        return ByteBuffer.allocate(28).putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4)
                .putShort((short) op).put(sha).put(spa).put(tha).put(tpa).array();
    }

    /**
     * Who claims {@code ip} in this ARP packet: the sender MAC of a reply or request whose sender address is
     * {@code ip}, or null.
     */
    static byte[] arpClaimant(byte[] packet, int length, InetAddress ip) {
        if (length < 28) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(packet, 0, length);
        if (b.getShort(0) != 1 || b.getShort(2) != 0x0800 || b.get(4) != 6 || b.get(5) != 4) {
            return null;
        }
        int op = b.getShort(6);
        if (op != ARP_REPLY && op != ARP_REQUEST) {
            return null;
        }
        byte[] spa = Arrays.copyOfRange(packet, 14, 18);
        if (!Arrays.equals(spa, ip.getAddress())) {
            return null;
        }
        return Arrays.copyOfRange(packet, 8, 14);
    }

    /** The solicited-node multicast address of {@code ip} (RFC 4291 section 2.7.1). */
    static byte[] solicitedNode(InetAddress ip) {
        byte[] a = ip.getAddress();
        byte[] s = new byte[16];
        s[0] = (byte) 0xff;
        s[1] = 0x02;
        s[11] = 1;
        s[12] = (byte) 0xff;
        s[13] = a[13];
        s[14] = a[14];
        s[15] = a[15];
        return s;
    }

    /** The Ethernet multicast address of an IPv6 multicast address (RFC 2464 section 7). */
    static byte[] multicastMac(byte[] ipv6) {
        return new byte[] {0x33, 0x33, ipv6[12], ipv6[13], ipv6[14], ipv6[15]};
    }

    static final byte[] ALL_NODES = {(byte) 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    /**
     * An unsolicited neighbour advertisement (RFC 4861 section 7.2.6) to all nodes, with the override flag and the
     * target link-layer address, from the address itself. Returns the whole IPv6 packet.
     */
    static byte[] unsolicitedAdvert(byte[] mac, Inet6Address ip) {
        ByteBuffer icmp = ByteBuffer.allocate(32);
        icmp.put((byte) ND_NEIGHBOR_ADVERT).put((byte) 0).putShort((short) 0).putInt(0x20000000).put(ip.getAddress())
                .put((byte) 2).put((byte) 1).put(mac);
        return ipv6(ip.getAddress(), ALL_NODES, icmp.array());
    }

    /**
     * A duplicate address detection probe (RFC 4862 section 5.4.2): a neighbour solicitation from the unspecified
     * address to the solicited-node group, without a source link-layer option.
     */
    static byte[] dadSolicit(Inet6Address ip) {
        ByteBuffer icmp = ByteBuffer.allocate(24);
        icmp.put((byte) ND_NEIGHBOR_SOLICIT).put((byte) 0).putShort((short) 0).putInt(0).put(ip.getAddress());
        return ipv6(new byte[16], solicitedNode(ip), icmp.array());
    }

    private static byte[] ipv6(byte[] src, byte[] dst, byte[] icmp) {
        int sum = checksum(src, dst, icmp);
        icmp[2] = (byte) (sum >> 8);
        icmp[3] = (byte) sum;
        return ByteBuffer.allocate(40 + icmp.length).putInt(0x60000000).putShort((short) icmp.length).put((byte) 58)
                .put((byte) 255).put(src).put(dst).put(icmp).array();
    }

    /** The ICMPv6 checksum over the pseudo-header (RFC 8200 section 8.1) and the message. */
    static int checksum(byte[] src, byte[] dst, byte[] icmp) {
        long sum = 0;
        ByteBuffer pseudo = ByteBuffer.allocate(40 + icmp.length + (icmp.length & 1));
        pseudo.put(src).put(dst).putInt(icmp.length).put(new byte[3]).put((byte) 58).put(icmp);
        pseudo.flip();
        while (pseudo.remaining() >= 2) {
            sum += pseudo.getShort() & 0xffff;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /**
     * Who claims {@code ip} in this IPv6 packet: for a neighbour advertisement of that target, its target
     * link-layer option (or null if it has none, returned as an empty array), else null.
     */
    static byte[] advertClaimant(byte[] packet, int length, InetAddress ip) {
        if (length < 40 + 24 || (packet[0] & 0xf0) != 0x60 || packet[6] != 58) {
            return null;
        }
        if ((packet[40] & 0xff) != ND_NEIGHBOR_ADVERT) {
            return null;
        }
        if (!Arrays.equals(Arrays.copyOfRange(packet, 48, 64), ip.getAddress())) {
            return null;
        }
        int at = 64;
        while (at + 8 <= length) {
            int type = packet[at] & 0xff;
            int len = (packet[at + 1] & 0xff) * 8;
            if (len == 0) {
                break;
            }
            if (type == 2 && len >= 8) {
                return Arrays.copyOfRange(packet, at + 2, at + 8);
            }
            at += len;
        }
        return new byte[0];
    }
}
