package org.tandemha.ip;

import com.sun.jna.LastErrorException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A packet socket (AF_PACKET, SOCK_DGRAM) bound to one interface and one EtherType: the kernel writes and strips
 * the Ethernet header. Not thread-safe; close it after use.
 */
final class PacketSocket implements AutoCloseable {
    private static final int PACKET_OUTGOING = 4;

    /** A frame received: its payload length, the sender's MAC. */
    record Frame(int length, byte[] sourceMac) {
    }

    private final LibC libc;
    private final int fd;
    private final int ifindex;
    private final int ethertype;

    private PacketSocket(LibC libc, int fd, int ifindex, int ethertype) {
        this.libc = libc;
        this.fd = fd;
        this.ifindex = ifindex;
        this.ethertype = ethertype;
    }

    static PacketSocket open(int ifindex, String ifname, int ethertype) throws NetException {
        LibC libc = LibC.load();
        int fd;
        try {
            // protocol 0: receives nothing until bound to the interface below
            fd = libc.socket(LibC.AF_PACKET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw NetException.of(e.getErrorCode(), "cannot open a packet socket on " + ifname, null);
        }
        PacketSocket s = new PacketSocket(libc, fd, ifindex, ethertype);
        try {
            libc.bind(fd, s.address(new byte[6]), 20);
        } catch (LastErrorException e) {
            s.close();
            throw NetException.of(e.getErrorCode(), "cannot bind a packet socket to " + ifname, null);
        }
        return s;
    }

    private byte[] address(byte[] mac) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        b.putShort((short) LibC.AF_PACKET);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) ethertype).order(ByteOrder.nativeOrder());
        b.putInt(ifindex).putShort((short) 0).put((byte) 0).put((byte) mac.length).put(mac);
        return b.array();
    }

    void send(byte[] payload, byte[] destMac, String what) throws NetException {
        try {
            libc.sendto(fd, payload, payload.length, 0, address(destMac), 20);
        } catch (LastErrorException e) {
            throw NetException.of(e.getErrorCode(), what, null);
        }
    }

    /** Waits up to {@code timeoutMillis} for an incoming frame (our own outgoing ones are skipped); null on timeout. */
    Frame receive(byte[] buf, long timeoutMillis) throws NetException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        byte[] pfd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(fd).putShort((short) LibC.POLLIN).array();
        while (true) {
            long left = (deadline - System.nanoTime() + 999_999L) / 1_000_000L;
            if (left <= 0) {
                return null;
            }
            try {
                pfd[6] = 0;
                pfd[7] = 0;
                if (libc.poll(pfd, 1, (int) left) <= 0) {
                    continue;
                }
                byte[] from = new byte[20];
                int[] fromLen = {20};
                int n = (int) libc.recvfrom(fd, buf, buf.length, 0, from, fromLen);
                if ((from[10] & 0xff) == PACKET_OUTGOING) {
                    continue;
                }
                return new Frame(n, Arrays.copyOfRange(from, 12, 12 + Math.min(8, from[11] & 0xff)));
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINTR && e.getErrorCode() != LibC.EAGAIN) {
                    throw NetException.of(e.getErrorCode(), "cannot receive on a packet socket", null);
                }
            }
        }
    }

    @Override
    public void close() {
        libc.close(fd);
    }
}
