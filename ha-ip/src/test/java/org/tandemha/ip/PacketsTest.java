package org.tandemha.ip;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** ARP and neighbour discovery payloads, byte by byte. Pure; no network. */
class PacketsTest {
    private static final byte[] MAC = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

    @Test
    void gratuitousArpIsARequestFromAndForTheAddress() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.10");
        byte[] p = Packets.arpAnnouncement(MAC, ip);
        ByteBuffer b = ByteBuffer.wrap(p);
        assertThat(p).hasSize(28);
        assertThat(b.getShort(0)).isEqualTo((short) 1); // Ethernet
        assertThat(b.getShort(2)).isEqualTo((short) 0x0800);
        assertThat(b.getShort(6)).isEqualTo((short) Packets.ARP_REQUEST);
        assertThat(Arrays.copyOfRange(p, 8, 14)).isEqualTo(MAC);
        assertThat(Arrays.copyOfRange(p, 14, 18)).isEqualTo(ip.getAddress());
        assertThat(Arrays.copyOfRange(p, 18, 24)).isEqualTo(new byte[6]);
        assertThat(Arrays.copyOfRange(p, 24, 28)).isEqualTo(ip.getAddress());
        // an announcement claims the address
        assertThat(Packets.arpClaimant(p, p.length, ip)).isEqualTo(MAC);
    }

    @Test
    void arpProbeHasAZeroSenderSoNobodyLearnsFromIt() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.10");
        byte[] p = Packets.arpProbe(MAC, ip);
        assertThat(Arrays.copyOfRange(p, 14, 18)).isEqualTo(new byte[4]);
        assertThat(Arrays.copyOfRange(p, 24, 28)).isEqualTo(ip.getAddress());
        assertThat(Packets.arpClaimant(p, p.length, ip)).as("a probe claims nothing").isNull();
    }

    @Test
    void arpReplyClaimantAndJunk() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.10");
        byte[] reply = ByteBuffer.allocate(28).putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4)
                .putShort((short) 2).put(MAC).put(ip.getAddress()).put(new byte[6]).put(new byte[4]).array();
        assertThat(Packets.arpClaimant(reply, 28, ip)).isEqualTo(MAC);
        assertThat(Packets.arpClaimant(reply, 27, ip)).as("truncated").isNull();
        assertThat(Packets.arpClaimant(reply, 28, InetAddress.getByName("192.0.2.11"))).isNull();
        assertThat(Packets.arpClaimant(new byte[28], 28, ip)).isNull();
    }

    @Test
    void unsolicitedAdvertisement() throws Exception {
        Inet6Address ip = (Inet6Address) InetAddress.getByName("2001:db8::10");
        byte[] p = Packets.unsolicitedAdvert(MAC, ip);
        assertThat(p).hasSize(72);
        assertThat(p[0] & 0xf0).isEqualTo(0x60);
        assertThat(p[6]).isEqualTo((byte) 58);
        assertThat(p[7] & 0xff).as("hop limit").isEqualTo(255);
        assertThat(Arrays.copyOfRange(p, 8, 24)).isEqualTo(ip.getAddress());
        assertThat(Arrays.copyOfRange(p, 24, 40)).isEqualTo(Packets.ALL_NODES);
        assertThat(p[40] & 0xff).isEqualTo(136);
        assertThat(p[44] & 0xff).as("override flag only").isEqualTo(0x20);
        assertThat(Arrays.copyOfRange(p, 66, 72)).isEqualTo(MAC);
        assertThat(verify(p)).isTrue();
        assertThat(Packets.advertClaimant(p, p.length, ip)).isEqualTo(MAC);
        assertThat(Packets.multicastMac(Packets.ALL_NODES)).isEqualTo(new byte[] {0x33, 0x33, 0, 0, 0, 1});
    }

    @Test
    void dadSolicitationGoesFromUnspecifiedToTheSolicitedNodeGroup() throws Exception {
        Inet6Address ip = (Inet6Address) InetAddress.getByName("2001:db8::12:3456");
        byte[] p = Packets.dadSolicit(ip);
        assertThat(Arrays.copyOfRange(p, 8, 24)).isEqualTo(new byte[16]);
        assertThat(InetAddress.getByAddress(Arrays.copyOfRange(p, 24, 40)).getHostAddress())
                .isEqualTo("ff02:0:0:0:0:1:ff12:3456");
        assertThat(Packets.multicastMac(Packets.solicitedNode(ip)))
                .isEqualTo(new byte[] {0x33, 0x33, (byte) 0xff, 0x12, 0x34, 0x56});
        assertThat(p[40] & 0xff).isEqualTo(135);
        assertThat(p).as("no source link-layer option from the unspecified address").hasSize(64);
        assertThat(verify(p)).isTrue();
        assertThat(Packets.advertClaimant(p, p.length, ip)).as("a solicitation claims nothing").isNull();
    }

    @Property(tries = 200)
    void checksumOfAnyAdvertisementVerifies(@ForAll @Size(16) byte[] addr, @ForAll @Size(6) byte[] mac) throws Exception {
        addr[0] = 0x20; // keep it a unicast address
        Inet6Address ip = (Inet6Address) InetAddress.getByAddress(addr);
        assertThat(verify(Packets.unsolicitedAdvert(mac, ip))).isTrue();
        assertThat(verify(Packets.dadSolicit(ip))).isTrue();
    }

    /** RFC 1071: the one's complement sum over pseudo-header and message, checksum included, is 0xffff. */
    private static boolean verify(byte[] packet) {
        byte[] icmp = Arrays.copyOfRange(packet, 40, packet.length);
        long sum = 0;
        ByteBuffer b = ByteBuffer.allocate(40 + icmp.length + 1);
        b.put(packet, 8, 32).putInt(icmp.length).put(new byte[3]).put((byte) 58).put(icmp);
        int len = 40 + icmp.length;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b.get(i) & 0xff) << 8) | (b.get(i + 1) & 0xff);
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return sum == 0xffff;
    }
}
