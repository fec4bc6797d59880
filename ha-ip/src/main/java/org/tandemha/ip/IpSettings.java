package org.tandemha.ip;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;

/**
 * The validated parameters of one {@code ip} resource.
 *
 * @param iface        the interface that carries the address
 * @param address      the address (IPv4 or IPv6)
 * @param prefix       its prefix length
 * @param labelSuffix  IPv4 only: the label after the colon ({@code vip} gives {@code eth0:vip}); null for none
 * @param backup       an interface on the same node to move the address to when {@code iface} loses carrier; null
 * @param arpCount     announcements sent after each takeover (gratuitous ARP or unsolicited neighbour advertisement)
 * @param arpInterval  the time between two announcements; the first goes at once
 * @param probe        whether to check that nobody answers for the address before taking it
 * @param probeTimeout how long to listen for an answer to the probe
 * @param peers        extra node ids whose published MACs the probe recognises (every other node of the cluster is
 *                     recognised without it)
 * @param reannounce   after a takeover from a dead or fenced peer (whose kernel may still answer for the address),
 *                     whether to keep announcing the address until that peer is back or {@code reannounceFor} passed
 * @param reannounceInterval the time between two such re-announcements
 * @param reannounceFor      how long at most to keep re-announcing after one takeover
 * @param refreshInterval    while the address is held here, one announcement every this long (keeps switches'
 *                           and clients' caches fresh); {@link Duration#ZERO}: off (the default)
 * @param rfc5227            probe with RFC 5227's timing (section 2.1.1: a random wait of up to PROBE_WAIT 1 s, then
 *                           PROBE_NUM 3 probes PROBE_MIN 1 s to PROBE_MAX 2 s apart, then ANNOUNCE_WAIT 2 s of
 *                           listening), for networks with slow responders; else the fast probe of
 *                           {@code probeTimeout}
 */
record IpSettings(String iface, InetAddress address, int prefix, String labelSuffix, String backup, int arpCount,
                  Duration arpInterval, boolean probe, Duration probeTimeout, List<String> peers, boolean reannounce,
                  Duration reannounceInterval, Duration reannounceFor, Duration refreshInterval, boolean rfc5227) {

    /** RFC 5227 section 1.1's constants. */
    static final Duration PROBE_WAIT = Duration.ofSeconds(1);
    static final int PROBE_NUM = 3;
    static final Duration PROBE_MIN = Duration.ofSeconds(1);
    static final Duration PROBE_MAX = Duration.ofSeconds(2);
    static final Duration ANNOUNCE_WAIT = Duration.ofSeconds(2);
    /** The longest an RFC 5227 probe takes: PROBE_WAIT + (PROBE_NUM - 1) x PROBE_MAX + ANNOUNCE_WAIT. */
    static final Duration RFC5227_LONGEST = PROBE_WAIT.plus(PROBE_MAX.multipliedBy(PROBE_NUM - 1)).plus(ANNOUNCE_WAIT);

    /** The IPv4 broadcast address of the subnet ({@code ip addr add ... brd +}), or null (IPv6, /31, /32). */
    byte[] broadcast() {
        if (!ipv4() || prefix > 30) {
            return null;
        }
        byte[] a = address.getAddress();
        int v = ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
        int b = v | (int) (0xffffffffL >>> prefix);
        return new byte[] {(byte) (b >>> 24), (byte) (b >>> 16), (byte) (b >>> 8), (byte) b};
    }

    static final int DEFAULT_ARP_COUNT = 5;
    static final Duration DEFAULT_ARP_INTERVAL = Duration.ofMillis(200);
    static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofMillis(25);
    static final Duration DEFAULT_REANNOUNCE_INTERVAL = Duration.ofSeconds(1);
    static final Duration DEFAULT_REANNOUNCE_FOR = Duration.ofMinutes(10);
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.@-]{1,15}");
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final int IFNAMSIZ = 16;

    boolean ipv4() {
        return address instanceof Inet4Address;
    }

    /** The address as written by an operator: {@code 192.0.2.10/24}, {@code 2001:db8::10/64}. */
    String text() {
        return host() + "/" + prefix;
    }

    /** The address without its prefix, IPv6 in its short form (RFC 5952): {@code 2001:db8::10}. */
    String host() {
        return hostText(address);
    }

    static String hostText(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestAt = -1;
        int bestLen = 1; // a single zero group stays as 0
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestAt = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(g[i]));
        }
        return out.toString();
    }

    /** The kernel label for the address on {@code ifname}, or null. */
    String labelFor(String ifname) {
        return labelSuffix == null || !ipv4() ? null : ifname + ":" + labelSuffix;
    }

    static IpSettings read(PluginConfig config) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String iface = r.string("interface");
        if (iface != null && !IFNAME.matcher(iface).matches()) {
            r.problem("interface", "'" + iface + "' is not a valid interface name (1 to 15 letters, digits, '-', '_',"
                    + " '.' or '@')", "write the name as 'ip link' shows it, such as eth0");
            iface = null;
        }
        String backup = r.string("backupInterface", null);
        if (backup != null && !IFNAME.matcher(backup).matches()) {
            r.problem("backupInterface", "'" + backup + "' is not a valid interface name", "write the name as 'ip link'"
                    + " shows it, such as eth1");
            backup = null;
        }
        if (backup != null && backup.equals(iface)) {
            r.problem("backupInterface", "the backup interface is the same as 'interface' (" + iface + ")",
                    "name another interface, or remove backupInterface");
            backup = null;
        }
        InetAddress address = null;
        int prefix = -1;
        String text = r.string("address");
        if (text != null) {
            String t = text.trim();
            int slash = t.indexOf('/');
            if (slash < 0) {
                r.problem("address", "'" + t + "' has no prefix length", "write it with one, such as 192.0.2.10/24 or"
                        + " 2001:db8::10/64");
            } else {
                address = parseAddress(t.substring(0, slash));
                if (address == null) {
                    r.problem("address", "'" + t.substring(0, slash) + "' is not an IPv4 or IPv6 address",
                            "write an address such as 192.0.2.10/24 or 2001:db8::10/64");
                } else if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isMulticastAddress()) {
                    r.problem("address", "'" + t + "' is a " + (address.isMulticastAddress() ? "multicast"
                            : address.isLoopbackAddress() ? "loopback" : "wildcard") + " address, not one a service can"
                            + " float on", "use a unicast address of the service's subnet");
                    address = null;
                }
                int max = address instanceof Inet6Address ? 128 : 32;
                String p = t.substring(slash + 1);
                try {
                    prefix = p.matches("\\d{1,3}") ? Integer.parseInt(p) : -1;
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > max) {
                    r.problem("address", "the prefix length '/" + p + "' in '" + t + "' is not a number from 0 to " + max,
                            "write it like 192.0.2.10/24");
                    prefix = -1;
                }
            }
        }
        String label = r.string("label", null);
        String suffix = null;
        if (label != null) {
            suffix = label.contains(":") ? label.substring(label.lastIndexOf(':') + 1) : label;
            if (address instanceof Inet6Address) {
                r.problem("label", "labels exist for IPv4 addresses only", "remove 'label' for an IPv6 address");
            } else if (suffix.isEmpty() || !suffix.matches("[A-Za-z0-9_.-]+")) {
                r.problem("label", "'" + label + "' is not a valid label", "write a short word such as vip, which"
                        + " gives eth0:vip");
            } else {
                for (String ifn : new String[] {iface, backup}) {
                    if (ifn != null && (ifn + ":" + suffix).length() >= IFNAMSIZ) {
                        r.problem("label", "the label '" + ifn + ":" + suffix + "' is longer than 15 characters",
                                "use a shorter label");
                    }
                }
            }
        }
        int arpCount = r.integer("arpCount", DEFAULT_ARP_COUNT, 0, 100);
        Duration arpInterval = r.duration("arpInterval", DEFAULT_ARP_INTERVAL);
        if (arpInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            r.problem("arpInterval", "'arpInterval' is longer than a minute", "use a value such as 200ms");
        }
        boolean probe = r.bool("probe", true);
        Duration probeTimeout = r.duration("probeTimeout", DEFAULT_PROBE_TIMEOUT);
        if (probeTimeout.compareTo(Duration.ofSeconds(10)) > 0) {
            r.problem("probeTimeout", "'probeTimeout' is longer than 10 s, which delays every takeover",
                    "use a value such as 25ms (a LAN answers within a millisecond)");
        }
        List<String> peers = r.strings("peers", List.of());
        boolean reannounce = r.bool("reannounce", true);
        Duration reannounceInterval = r.duration("reannounceInterval", DEFAULT_REANNOUNCE_INTERVAL);
        if (reannounceInterval.compareTo(Duration.ofMillis(100)) < 0) {
            r.problem("reannounceInterval", "'reannounceInterval' is shorter than 100ms, which floods the segment with"
                    + " announcements for minutes", "use a value such as 1s");
        } else if (reannounceInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            r.problem("reannounceInterval", "'reannounceInterval' is longer than a minute: clients would reach the dead"
                    + " node's stale address for that long", "use a value such as 1s");
        }
        Duration reannounceFor = r.duration("reannounceFor", DEFAULT_REANNOUNCE_FOR);
        if (reannounceFor.compareTo(Duration.ofDays(1)) > 0) {
            r.problem("reannounceFor", "'reannounceFor' is longer than a day", "use a value such as 10m; to stop"
                    + " re-announcing altogether, write reannounce: false");
        }
        Duration refresh = r.duration("refreshInterval", Duration.ZERO);
        if (!refresh.isZero() && refresh.compareTo(Duration.ofSeconds(1)) < 0) {
            r.problem("refreshInterval", "'refreshInterval' is shorter than 1 s, which floods the segment",
                    "use a value such as 30s, or 0s (the default) for no periodic announcement");
        }
        String mode = r.oneOf("probeMode", "fast", "fast", "rfc5227");
        boolean rfc5227 = "rfc5227".equals(mode);
        if (rfc5227 && !probe) {
            r.problem("probeMode", "probeMode rfc5227 with probe: false", "remove one of them");
        }
        r.finish();
        return new IpSettings(iface, address, prefix, suffix, backup, arpCount, arpInterval, probe, probeTimeout, peers,
                reannounce, reannounceInterval, reannounceFor, refresh, rfc5227);
    }

    /** Parses a literal address without any name lookup; null if it is not one. */
    static InetAddress parseAddress(String s) {
        try {
            var m4 = IPV4.matcher(s);
            if (m4.matches()) {
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(m4.group(i + 1));
                    if (v > 255) {
                        return null;
                    }
                    b[i] = (byte) v;
                }
                return InetAddress.getByAddress(b);
            }
            if (s.contains(":") && IPV6.matcher(s).matches()) {
                // a literal with a colon is parsed, never looked up
                InetAddress a = InetAddress.getByName("[" + s + "]");
                return a instanceof Inet6Address ? a : null;
            }
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
        return null;
    }
}
