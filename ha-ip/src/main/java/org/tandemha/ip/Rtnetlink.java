package org.tandemha.ip;

import com.sun.jna.LastErrorException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A route netlink socket (rtnetlink) of the calling thread's network namespace: reads links and addresses, adds and
 * removes addresses, and waits for link-state changes. One instance per operation or per thread; not thread-safe.
 */
final class Rtnetlink implements AutoCloseable {
    static final int RTM_NEWLINK = 16;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_REQUEST = 1;
    private static final int NLM_F_MULTI = 2;
    private static final int NLM_F_ACK = 4;
    private static final int NLM_F_DUMP = 0x300;
    private static final int NLM_F_EXCL = 0x200;
    private static final int NLM_F_CREATE = 0x400;
    private static final int NLM_F_CAPPED = 0x100;
    private static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int NETLINK_ROUTE = 0;
    private static final int RTMGRP_LINK = 1;
    private static final int IFA_ADDRESS = 1;
    private static final int IFA_LOCAL = 2;
    private static final int IFA_LABEL = 3;
    private static final int IFA_BROADCAST = 4;
    private static final int IFA_FLAGS = 8;
    static final int IFA_F_NODAD = 0x02;
    private static final int IFLA_ADDRESS = 1;
    private static final int IFLA_IFNAME = 3;
    private static final int IFLA_CARRIER = 33;
    static final int IFF_UP = 0x1;
    static final int IFF_LOWER_UP = 0x10000;

    /** One network interface. */
    record Link(int index, String name, int flags, boolean carrier, byte[] mac) {
        boolean adminUp() {
            return (flags & IFF_UP) != 0;
        }

        /** Up and with carrier: frames can leave. */
        boolean usable() {
            return adminUp() && carrier && (flags & IFF_LOWER_UP) != 0;
        }

        String macText() {
            return Rtnetlink.macText(mac);
        }

        String state() {
            return !adminUp() ? "administratively down" : usable() ? "up with carrier" : "up, no carrier";
        }
    }

    /** One address on an interface. */
    record Addr(int index, InetAddress address, int prefix, String label) {
    }

    private final LibC libc;
    private final int fd;
    private int seq = (int) (System.nanoTime() & 0x3fffffff);

    private Rtnetlink(LibC libc, int fd) {
        this.libc = libc;
        this.fd = fd;
    }

    /** Opens a socket for requests. */
    static Rtnetlink open() throws NetException {
        return open(0);
    }

    /** Opens a socket that also receives link-state notifications. */
    static Rtnetlink openLinkMonitor() throws NetException {
        return open(RTMGRP_LINK);
    }

    private static Rtnetlink open(int groups) throws NetException {
        LibC libc = LibC.load();
        int fd;
        try {
            fd = libc.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
        } catch (LastErrorException e) {
            throw NetException.of(e.getErrorCode(), "cannot open a netlink socket", null);
        }
        Rtnetlink nl = new Rtnetlink(libc, fd);
        try {
            try {
                libc.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, intBytes(1), 4);
            } catch (LastErrorException ignored) {
                // older kernels: plain errno only
            }
            ByteBuffer sa = le(12).putShort((short) LibC.AF_NETLINK).putShort((short) 0).putInt(0).putInt(groups);
            libc.bind(fd, sa.array(), 12);
        } catch (LastErrorException e) {
            nl.close();
            throw NetException.of(e.getErrorCode(), "cannot bind a netlink socket", null);
        }
        return nl;
    }

    /** The interface with this name. */
    Link link(String name, long timeoutMillis) throws NetException {
        ByteBuffer b = request(RTM_GETLINK, NLM_F_REQUEST, 16 + attrSize(name.length() + 1));
        b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        putAttr(b, IFLA_IFNAME, cString(name));
        List<ByteBuffer> msgs = transact(b, false, timeoutMillis, "cannot read interface '" + name + "'");
        for (ByteBuffer m : msgs) {
            if (m.getShort(4) == RTM_NEWLINK) {
                return parseLink(m);
            }
        }
        throw new NetException(LibC.ENODEV, "cannot read interface '" + name + "': no such interface");
    }

    /** Every interface of this namespace. */
    List<Link> links(long timeoutMillis) throws NetException {
        ByteBuffer b = request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 16);
        b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        List<Link> out = new ArrayList<>();
        for (ByteBuffer m : transact(b, true, timeoutMillis, "cannot list interfaces")) {
            if (m.getShort(4) == RTM_NEWLINK) {
                out.add(parseLink(m));
            }
        }
        return out;
    }

    /** Every address of one family in this namespace. */
    List<Addr> addresses(int family, long timeoutMillis) throws NetException {
        ByteBuffer b = request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 8);
        b.put((byte) family).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0);
        List<Addr> out = new ArrayList<>();
        for (ByteBuffer m : transact(b, true, timeoutMillis, "cannot list addresses")) {
            if (m.getShort(4) == RTM_NEWADDR) {
                Addr a = parseAddr(m);
                if (a != null) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /**
     * Adds an address. IPv6 addresses skip the kernel's duplicate address detection: the resource probes itself,
     * and a tentative address would not answer for a second or more.
     *
     * @throws NetException with errno EEXIST if it is there already
     */
    void addAddress(Link link, InetAddress address, int prefix, String label, long timeoutMillis) throws NetException {
        addAddress(link, address, prefix, label, null, timeoutMillis);
    }

    /** Adds an address; {@code broadcast} (IPv4 only, may be null) is set as {@code ip addr add ... brd} does. */
    void addAddress(Link link, InetAddress address, int prefix, String label, byte[] broadcast, long timeoutMillis)
            throws NetException {
        byte[] raw = address.getAddress();
        boolean v4 = raw.length == 4;
        boolean brd = v4 && broadcast != null;
        int size = 8 + attrSize(raw.length) * 2 + (v4 && label != null ? attrSize(label.length() + 1) : 0)
                + (v4 ? 0 : attrSize(4)) + (brd ? attrSize(4) : 0);
        ByteBuffer b = request(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, size);
        b.put((byte) (v4 ? LibC.AF_INET : LibC.AF_INET6)).put((byte) prefix).put((byte) (v4 ? 0 : IFA_F_NODAD))
                .put((byte) 0).putInt(link.index());
        putAttr(b, IFA_LOCAL, raw);
        putAttr(b, IFA_ADDRESS, raw);
        if (brd) {
            putAttr(b, IFA_BROADCAST, broadcast);
        }
        if (v4 && label != null) {
            putAttr(b, IFA_LABEL, cString(label));
        }
        if (!v4) {
            putAttr(b, IFA_FLAGS, intBytes(IFA_F_NODAD));
        }
        transact(b, false, timeoutMillis, "cannot add " + IpSettings.hostText(address) + "/" + prefix + " to " + link.name());
    }

    /**
     * Removes an address from an interface.
     *
     * @return false if it was not there
     */
    boolean deleteAddress(int index, String ifname, InetAddress address, int prefix, long timeoutMillis)
            throws NetException {
        byte[] raw = address.getAddress();
        boolean v4 = raw.length == 4;
        ByteBuffer b = request(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, 8 + attrSize(raw.length) * 2);
        b.put((byte) (v4 ? LibC.AF_INET : LibC.AF_INET6)).put((byte) prefix).put((byte) 0).put((byte) 0).putInt(index);
        putAttr(b, IFA_LOCAL, raw);
        putAttr(b, IFA_ADDRESS, raw);
        try {
            transact(b, false, timeoutMillis, "cannot remove " + IpSettings.hostText(address) + "/" + prefix + " from " + ifname);
            return true;
        } catch (NetException e) {
            if (e.errno() == LibC.EADDRNOTAVAIL || e.errno() == LibC.ENOENT || e.errno() == LibC.ENODEV) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Waits for a link notification on a socket from {@link #openLinkMonitor()}.
     *
     * @return the links that changed (empty on timeout)
     */
    List<Link> awaitLinkChange(long timeoutMillis) throws NetException {
        byte[] buf = new byte[65536];
        List<Link> out = new ArrayList<>();
        int n = receive(buf, timeoutMillis);
        if (n <= 0) {
            return out;
        }
        for (ByteBuffer m : split(buf, n)) {
            if (m.getShort(4) == RTM_NEWLINK) {
                out.add(parseLink(m));
            }
        }
        return out;
    }

    @Override
    public void close() {
        libc.close(fd);
    }

    // ---- message plumbing

    private ByteBuffer request(int type, int flags, int bodySize) {
        ByteBuffer b = le(16 + bodySize);
        b.putInt(16 + bodySize).putShort((short) type).putShort((short) flags).putInt(++seq).putInt(0);
        return b;
    }

    /** Sends a request and gathers the answers up to the ack (or the end of a dump); maps an error to a message. */
    private List<ByteBuffer> transact(ByteBuffer req, boolean dump, long timeoutMillis, String what) throws NetException {
        int mySeq = req.getInt(8);
        byte[] sa = le(12).putShort((short) LibC.AF_NETLINK).array();
        try {
            libc.sendto(fd, req.array(), req.capacity(), 0, sa, 12);
        } catch (LastErrorException e) {
            throw NetException.of(e.getErrorCode(), what, null);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        List<ByteBuffer> out = new ArrayList<>();
        byte[] buf = new byte[65536];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new NetException(LibC.EAGAIN, what + ": the kernel did not answer within " + timeoutMillis + " ms");
            }
            int n = receive(buf, left);
            if (n <= 0) {
                continue;
            }
            boolean needAck = (req.getShort(6) & NLM_F_ACK) != 0;
            for (ByteBuffer m : split(buf, n)) {
                if (m.getInt(8) != mySeq) {
                    continue;
                }
                int type = m.getShort(4) & 0xffff;
                if (type == NLMSG_ERROR) {
                    int err = -m.getInt(16);
                    if (err == 0) {
                        return out;
                    }
                    throw NetException.of(err, what, extAckMessage(m));
                }
                if (type == NLMSG_DONE) {
                    return out;
                }
                out.add(m);
                if (!dump && !needAck && (m.getShort(6) & NLM_F_MULTI) == 0) {
                    return out;
                }
            }
        }
    }

    private int receive(byte[] buf, long timeoutMillis) throws NetException {
        byte[] pfd = le(8).putInt(fd).putShort((short) LibC.POLLIN).array();
        try {
            int r = libc.poll(pfd, 1, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutMillis)));
            if (r <= 0) {
                return 0;
            }
            return (int) libc.recvfrom(fd, buf, buf.length, 0, null, null);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EINTR || e.getErrorCode() == LibC.EAGAIN) {
                return 0;
            }
            throw NetException.of(e.getErrorCode(), "cannot read from netlink", null);
        }
    }

    private static List<ByteBuffer> split(byte[] buf, int n) {
        List<ByteBuffer> out = new ArrayList<>();
        int at = 0;
        while (at + 16 <= n) {
            int len = ByteBuffer.wrap(buf, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (len < 16 || at + len > n) {
                break;
            }
            byte[] one = new byte[len];
            System.arraycopy(buf, at, one, 0, len);
            out.add(ByteBuffer.wrap(one).order(ByteOrder.nativeOrder()));
            at += align(len);
        }
        return out;
    }

    private static String extAckMessage(ByteBuffer m) {
        int flags = m.getShort(6) & 0xffff;
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int at = 20 + ((flags & NLM_F_CAPPED) != 0 ? 16 : align(m.getInt(20)));
        while (at + 4 <= m.capacity()) {
            int len = m.getShort(at) & 0xffff;
            int type = m.getShort(at + 2) & 0x3fff;
            if (len < 4 || at + len > m.capacity()) {
                break;
            }
            if (type == NLMSGERR_ATTR_MSG) {
                return cStringAt(m, at + 4, len - 4);
            }
            at += align(len);
        }
        return null;
    }

    private static Link parseLink(ByteBuffer m) {
        int index = m.getInt(20);
        int flags = m.getInt(24);
        String name = "";
        byte[] mac = new byte[0];
        boolean carrier = (flags & IFF_LOWER_UP) != 0;
        int at = 32;
        int end = m.getInt(0);
        while (at + 4 <= end) {
            int len = m.getShort(at) & 0xffff;
            int type = m.getShort(at + 2) & 0x3fff;
            if (len < 4 || at + len > end) {
                break;
            }
            switch (type) {
                case IFLA_IFNAME -> name = cStringAt(m, at + 4, len - 4);
                case IFLA_ADDRESS -> {
                    mac = new byte[len - 4];
                    m.get(at + 4, mac);
                }
                case IFLA_CARRIER -> carrier = m.get(at + 4) != 0;
                default -> {
                }
            }
            at += align(len);
        }
        return new Link(index, name, flags, carrier, mac);
    }

    private static Addr parseAddr(ByteBuffer m) {
        int family = m.get(16);
        int prefix = m.get(17) & 0xff;
        int index = m.getInt(20);
        byte[] local = null;
        byte[] address = null;
        String label = null;
        int at = 24;
        int end = m.getInt(0);
        while (at + 4 <= end) {
            int len = m.getShort(at) & 0xffff;
            int type = m.getShort(at + 2) & 0x3fff;
            if (len < 4 || at + len > end) {
                break;
            }
            if (type == IFA_LOCAL || type == IFA_ADDRESS) {
                byte[] v = new byte[len - 4];
                m.get(at + 4, v);
                if (type == IFA_LOCAL) {
                    local = v;
                } else {
                    address = v;
                }
            } else if (type == IFA_LABEL) {
                label = cStringAt(m, at + 4, len - 4);
            }
            at += align(len);
        }
        byte[] raw = local != null ? local : address;
        if (raw == null || (family == LibC.AF_INET && raw.length != 4) || (family == LibC.AF_INET6 && raw.length != 16)) {
            return null;
        }
        try {
            return new Addr(index, InetAddress.getByAddress(raw), prefix, label);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    // ---- encoding helpers

    static String macText(byte[] mac) {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private static byte[] intBytes(int v) {
        return le(4).putInt(v).array();
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }

    private static int attrSize(int payload) {
        return align(4 + payload);
    }

    private static void putAttr(ByteBuffer b, int type, byte[] payload) {
        int start = b.position();
        b.putShort((short) (4 + payload.length)).putShort((short) type).put(payload);
        b.position(start + attrSize(payload.length));
    }

    private static byte[] cString(String s) {
        byte[] raw = s.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[raw.length + 1];
        System.arraycopy(raw, 0, out, 0, raw.length);
        return out;
    }

    private static String cStringAt(ByteBuffer m, int at, int max) {
        int n = 0;
        while (n < max && m.get(at + n) != 0) {
            n++;
        }
        byte[] raw = new byte[n];
        m.get(at, raw);
        return new String(raw, StandardCharsets.US_ASCII);
    }
}
