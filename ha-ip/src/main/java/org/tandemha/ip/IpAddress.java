package org.tandemha.ip;

import java.net.Inet6Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PeerAware;
import org.tandemha.api.Recoverer;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;

/**
 * A floating address: start adds it to an interface (after probing that nobody else answers for it) and announces
 * it; stop removes it from every interface of this node. Everything goes through rtnetlink and packet sockets of
 * the calling thread's network namespace; no external command runs.
 *
 * <p>Announcements after a takeover (gratuitous ARP for IPv4, unsolicited neighbour advertisements for IPv6): the
 * first goes before start returns, the others follow on a shared daemon thread, {@code arpInterval} apart. A stop
 * cancels the ones still pending. They are sent again whenever a peer rejoins.
 *
 * <p>A peer whose daemon crashed (kill -9 of its JVM) leaves the address on its interface, and its kernel goes on
 * answering ARP and neighbour solicitations for it until the node's Tandem restarts and removes it. So the probe
 * ignores the answer of any MAC that a peer the safety check declared dead or fenced published (every other node of
 * the cluster is recognised, see {@link NodeContext#peers()}), and after a takeover while a peer is dead or fenced,
 * the address is re-announced every {@code reannounceInterval} until that peer is heard again (its start-up stop
 * removes the stale address), the address is stopped, or {@code reannounceFor} has passed: a client whose broadcast
 * request was answered by the stale kernel is corrected within one interval.
 */
final class IpAddress implements Resource, Checker, Recoverer, PeerAware {
    private static final Logger LOG = LoggerFactory.getLogger(IpAddress.class);
    private static final long NETLINK_TIMEOUT_MS = 2000;
    private static final ScheduledExecutorService ANNOUNCER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tandem-ip-announce");
        t.setDaemon(true);
        return t;
    });

    private final String id;
    private final IpSettings settings;
    private final NodeContext node;
    private final AtomicLong epoch = new AtomicLong();
    private volatile String current;
    private volatile boolean held;
    private volatile String group = "";
    /** Incremented by every start and stop: a re-announcement series of an older one ends at its next tick. */
    private final AtomicLong reannounceEpoch = new AtomicLong();
    /** The periodic refresh in force ({@code refreshInterval}); a start, a move or a stop begins a new one. */
    private final AtomicLong refreshEpoch = new AtomicLong();
    /** Held while a re-announcement is checked and sent, and while stop marks the address as no longer held. */
    private final Object sendLock = new Object();

    IpAddress(String id, IpSettings settings, NodeContext node) {
        this.id = id;
        this.settings = settings;
        this.node = node;
        this.current = settings.iface();
    }

    // ---------------------------------------------------------------- start

    @Override
    public ActionResult start(ActionContext ctx) {
        long t0 = System.nanoTime();
        group = ctx.group();
        try (Rtnetlink nl = Rtnetlink.open()) {
            long nlTimeout = netlinkTimeout(ctx);
            Rtnetlink.Link primary;
            try {
                primary = nl.link(settings.iface(), nlTimeout);
            } catch (NetException e) {
                return fail(e, "interface " + settings.iface(), t0);
            }
            Rtnetlink.Link backup = backupLink(nl, nlTimeout, ctx);
            List<Rtnetlink.Link> links = nl.links(nlTimeout);
            publishMacs(links);
            List<Rtnetlink.Addr> mine = ours(nl, nlTimeout);
            for (Rtnetlink.Addr a : mine) {
                if (a.index() == primary.index() || (backup != null && a.index() == backup.index())) {
                    Rtnetlink.Link on = a.index() == primary.index() ? primary : backup;
                    current = on.name();
                    held = true;
                    String sent = announce(on, ctx, null);
                    sent += refresh(on);
                    return ActionResult.done(settings.text() + " already on " + on.name() + sent).withDuration(since(t0));
                }
            }
            for (Rtnetlink.Addr a : mine) {
                // on an interface that is neither ours nor the backup: not ours to delete (an administrator's address,
                // an old configuration): say where it is and stop
                String other = nameOf(links, a.index());
                return ActionResult.failed(Severity.HARD, "cannot start " + settings.text() + " on " + settings.iface()
                        + " of node " + node.nodeId() + ": the address is already on interface " + other + " of this"
                        + " node, which is not this resource's interface" + (settings.backup() == null ? ""
                        : " or backup " + settings.backup()) + "; remove it there ('ip addr del " + IpSettings.hostText(
                        a.address()) + "/" + a.prefix() + " dev " + other + "') or set interface: " + other)
                        .withDuration(since(t0));
            }
            Rtnetlink.Link target = primary.usable() ? primary : backup != null && backup.usable() ? backup : null;
            if (target == null) {
                return ActionResult.failed(Severity.SOFT, "cannot start " + settings.text() + " on node " + node.nodeId()
                        + ": " + primary.name() + " is " + primary.state()
                        + (backup == null ? "" : " and backup " + backup.name() + " is " + backup.state())
                        + "; check the cable and 'ip link'").withDuration(since(t0));
            }
            // one packet socket for the probe and every announcement: closing one waits for an RCU grace period
            // (10 to 20 ms), so it is closed off the takeover's path, after the last announcement
            PacketSocket socket = PacketSocket.open(target.index(), target.name(), ethertype());
            boolean handedOver = false;
            Set<String> staleHolders = new LinkedHashSet<>();
            try {
                if (settings.probe()) {
                    String refusal = probe(socket, target, links, ctx, staleHolders);
                    if (refusal != null) {
                        return ActionResult.failed(Severity.HARD, refusal).withDuration(since(t0));
                    }
                }
                try {
                    nl.addAddress(target, settings.address(), settings.prefix(), settings.labelFor(target.name()),
                            settings.broadcast(), nlTimeout);
                } catch (NetException e) {
                    if (e.errno() != LibC.EEXIST) {
                        return fail(e, "address " + settings.text(), t0);
                    }
                }
                current = target.name();
                held = true;
                handedOver = true;
                String sent = announce(target, ctx, socket);
                sent += refresh(target);
                sent += reannounce(target, ctx, staleHolders);
                return ActionResult.done("added " + settings.text() + " to " + target.name() + sent)
                        .withDuration(since(t0));
            } finally {
                if (!handedOver) {
                    closeLater(socket);
                }
            }
        } catch (NetException e) {
            return fail(e, "address " + settings.text(), t0);
        }
    }

    private Rtnetlink.Link backupLink(Rtnetlink nl, long timeout, ActionContext ctx) throws NetException {
        if (settings.backup() == null) {
            return null;
        }
        try {
            return nl.link(settings.backup(), timeout);
        } catch (NetException e) {
            if (e.errno() != LibC.ENODEV) {
                throw e;
            }
            node.note(ctx.group(), ctx.resource(), "backup interface " + settings.backup() + " does not exist on node "
                    + node.nodeId() + ": no local recovery for " + settings.text());
            return null;
        }
    }

    private List<Rtnetlink.Addr> ours(Rtnetlink nl, long timeout) throws NetException {
        List<Rtnetlink.Addr> out = new ArrayList<>();
        for (Rtnetlink.Addr a : nl.addresses(settings.ipv4() ? LibC.AF_INET : LibC.AF_INET6, timeout)) {
            if (a.address().equals(settings.address())) {
                out.add(a);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- probe

    /**
     * Probes the address on {@code link}: an ARP probe (RFC 5227) or a duplicate address detection solicitation
     * (RFC 4862). Returns null if nobody but a dead or fenced peer answered, else the reason to refuse.
     */
    private String probe(PacketSocket s, Rtnetlink.Link link, List<Rtnetlink.Link> links, ActionContext ctx,
                         Set<String> staleHolders) throws NetException {
        Set<String> local = new LinkedHashSet<>();
        for (Rtnetlink.Link l : links) {
            local.add(Rtnetlink.macText(l.mac()));
        }
        long budgetMs = Math.max(1, Math.min(settings.probeTimeout().toMillis(), ctx.remaining().toMillis() / 2));
        boolean v4 = settings.ipv4();
        Set<String> stale = new LinkedHashSet<>();
        byte[] frame = v4 ? Packets.arpProbe(link.mac(), settings.address())
                : Packets.dadSolicit((Inet6Address) settings.address());
        byte[] dest = v4 ? Packets.BROADCAST : Packets.multicastMac(Packets.solicitedNode(settings.address()));
        String what = "cannot send the " + (v4 ? "ARP probe" : "neighbour solicitation") + " for "
                + settings.host() + " on " + link.name();
        long start = System.nanoTime();
        long[] sends;                                   // when each probe leaves, in ns after start
        long deadline;
        if (settings.rfc5227()) {
            Duration left = ctx.remaining();
            if (left.compareTo(IpSettings.RFC5227_LONGEST.plusMillis(500)) < 0) {
                return "cannot probe " + settings.host() + " with RFC 5227's timing on " + link.name() + " of node "
                        + node.nodeId() + ": it takes up to " + org.tandemha.api.Durations.format(IpSettings.RFC5227_LONGEST)
                        + " and the start has " + org.tandemha.api.Durations.format(left) + " left; raise start.timeout";
            }
            java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
            sends = new long[IpSettings.PROBE_NUM];
            long t = rnd.nextLong(IpSettings.PROBE_WAIT.toNanos() + 1);
            for (int i = 0; i < sends.length; i++) {
                sends[i] = t;
                t += IpSettings.PROBE_MIN.toNanos() + rnd.nextLong(IpSettings.PROBE_MAX.minus(IpSettings.PROBE_MIN).toNanos() + 1);
            }
            deadline = start + sends[sends.length - 1] + IpSettings.ANNOUNCE_WAIT.toNanos();
        } else {
            sends = new long[] {0, budgetMs * 500_000L};  // a second probe halfway, in case the first was lost
            deadline = start + budgetMs * 1_000_000L;
        }
        int next = 0;
        byte[] buf = new byte[2048];
        while (true) {
            long now = System.nanoTime();
            if (next < sends.length && now - start >= sends[next]) {
                s.send(frame, dest, what);
                next++;
                continue;
            }
            if (deadline - now <= 0) {
                break;
            }
            long until = next < sends.length ? Math.min(deadline, start + sends[next]) : deadline;
            PacketSocket.Frame f = s.receive(buf, Math.max(1, (until - now) / 1_000_000L));
            if (f == null) {
                continue;
            }
            byte[] mac = v4 ? Packets.arpClaimant(buf, f.length(), settings.address())
                    : Packets.advertClaimant(buf, f.length(), settings.address());
            if (mac == null) {
                continue;
            }
            if (mac.length == 0) {
                mac = f.sourceMac();
            }
            String macText = Rtnetlink.macText(mac);
            if (local.contains(macText) || stale.contains(macText)) {
                continue;
            }
            String peer = peerWithMac(macText);
            if (peer != null && node.peerDeadOrFenced(peer)) {
                stale.add(macText);
                staleHolders.add(peer);
                node.note(ctx.group(), ctx.resource(), "stale address " + settings.host()
                        + " on " + peer + " (MAC " + macText + "): " + peer + " is dead or fenced, so its kernel's"
                        + " answer does not block the takeover; " + peer + " removes it when it restarts");
                continue;
            }
            return "address " + settings.host() + " is in use: MAC " + macText
                    + (peer == null ? " (not a cluster node)" : " (node " + peer + ", which is not known to be dead"
                    + " or fenced)") + " answered the " + (v4 ? "ARP probe" : "neighbour solicitation") + " on "
                    + link.name() + " of node " + node.nodeId() + "; refusing to start it here. Remove the address"
                    + " from that host, or fix the configuration";
        }
        return null;
    }

    /** The cluster node that published {@code mac} as one of its interfaces' MACs, or null. */
    private String peerWithMac(String mac) {
        Set<String> peers = new LinkedHashSet<>(node.peers());
        peers.addAll(settings.peers());
        peers.remove(node.nodeId());
        for (String peer : peers) {
            for (Map.Entry<String, String> f : node.peerFacts(peer).entrySet()) {
                if (f.getKey().startsWith("mac") && f.getValue().toLowerCase(java.util.Locale.ROOT).contains(mac)) {
                    return peer;
                }
            }
        }
        return null;
    }

    /**
     * Publishes the MAC of every Ethernet interface of this node, not only ours: with two interfaces on one
     * segment, Linux may answer ARP for an address from either (ARP flux, unless arp_ignore is set).
     */
    private void publishMacs(List<Rtnetlink.Link> links) {
        for (Rtnetlink.Link l : links) {
            if (l.mac().length == 6 && !java.util.Arrays.equals(l.mac(), new byte[6])) {
                node.publishFact("mac." + l.name(), l.macText());
            }
        }
    }

    // ---------------------------------------------------------------- announce

    /**
     * Sends the first announcement now and schedules the rest on the announcer thread. Takes ownership of
     * {@code given} (opens a socket if null): the packet socket is opened on the calling thread, so the whole series
     * goes out in the caller's network namespace, whatever the announcer thread's is.
     *
     * @return a phrase for the result's reason
     */
    private String announce(Rtnetlink.Link link, ActionContext ctx, PacketSocket given) {
        long myEpoch = epoch.incrementAndGet();
        if (settings.arpCount() == 0) {
            if (given != null) {
                closeLater(given);
            }
            return ", not announced (arpCount is 0)";
        }
        PacketSocket socket = given;
        String first;
        try {
            if (socket == null) {
                socket = PacketSocket.open(link.index(), link.name(), ethertype());
            }
            sendAnnouncement(link, socket);
            first = ", announced";
        } catch (NetException e) {
            first = ", but the announcement failed: " + e.getMessage();
            node.note(ctx.group(), ctx.resource(), "cannot announce " + settings.text() + " on " + link.name() + ": "
                    + e.getMessage());
        }
        if (socket != null) {
            scheduleRest(link, socket, myEpoch, 1);
        }
        return first;
    }

    /**
     * Schedules announcements number {@code from} to {@code arpCount - 1}, number i at i times the interval, then
     * the closing of the socket. A later stop or takeover (a new epoch) cancels the announcements still pending.
     */
    private void scheduleRest(Rtnetlink.Link link, PacketSocket socket, long myEpoch, int from) {
        long gap = settings.arpInterval().toNanos();
        for (int i = from; i < settings.arpCount(); i++) {
            ANNOUNCER.schedule(() -> {
                if (epoch.get() != myEpoch || !held) {
                    return;
                }
                try {
                    sendAnnouncement(link, socket);
                } catch (NetException | RuntimeException e) {
                    LOG.warn("{}: announcement of {} on {} failed: {}", id, settings.text(), link.name(), e.getMessage());
                }
            }, gap * i, TimeUnit.NANOSECONDS);
        }
        // same delay as the last announcement, submitted after it: runs after it
        ANNOUNCER.schedule(socket::close, gap * Math.max(from, settings.arpCount() - 1), TimeUnit.NANOSECONDS);
    }

    private int ethertype() {
        return settings.ipv4() ? Packets.ETH_P_ARP : Packets.ETH_P_IPV6;
    }

    private static void closeLater(PacketSocket s) {
        try {
            ANNOUNCER.execute(s::close);
        } catch (RuntimeException e) {
            s.close();
        }
    }

    /**
     * With {@code refreshInterval} set: one announcement every interval while the address is held on {@code link}
     * (a periodic gratuitous ARP / unsolicited neighbour advertisement, as keepalived's garp_master_refresh), so that
     * switches and clients that forgot or mislearned it learn it again. Ends at the next start, move or stop.
     */
    private String refresh(Rtnetlink.Link link) {
        long mine = refreshEpoch.incrementAndGet();
        if (settings.refreshInterval().isZero()) {
            return "";
        }
        scheduleRefresh(link, mine);
        return "; refreshed every " + org.tandemha.api.Durations.format(settings.refreshInterval());
    }

    private void scheduleRefresh(Rtnetlink.Link link, long mine) {
        try {
            ANNOUNCER.schedule(() -> {
                if (refreshEpoch.get() != mine || !held) {
                    return;
                }
                try (PacketSocket socket = PacketSocket.open(link.index(), link.name(), ethertype())) {
                    synchronized (sendLock) {
                        if (refreshEpoch.get() == mine && held) {
                            sendAnnouncement(link, socket);
                        }
                    }
                } catch (NetException | RuntimeException e) {
                    LOG.warn("{}: periodic announcement of {} on {} failed (next in {}): {}", id, settings.text(),
                            link.name(), org.tandemha.api.Durations.format(settings.refreshInterval()), e.getMessage());
                }
                scheduleRefresh(link, mine);
            }, settings.refreshInterval().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot schedule the periodic announcement of {}: {}", id, settings.text(), e.toString());
        }
    }

    private void sendAnnouncement(Rtnetlink.Link link, PacketSocket s) throws NetException {
        boolean v4 = settings.ipv4();
        if (v4) {
            s.send(Packets.arpAnnouncement(link.mac(), settings.address()), Packets.BROADCAST,
                    "cannot send a gratuitous ARP for " + settings.host() + " on " + link.name());
        } else {
            s.send(Packets.unsolicitedAdvert(link.mac(), (Inet6Address) settings.address()),
                    Packets.multicastMac(Packets.ALL_NODES), "cannot send a neighbour advertisement for "
                            + settings.host() + " on " + link.name());
        }
    }

    /**
     * After a takeover: if a peer that may still hold the address is dead or fenced (its kernel answered the probe, or
     * the safety check declared it so), keeps announcing the address every {@code reannounceInterval} until no such
     * peer is left (each is heard again: its start-up stop removes the stale address), the address is stopped or
     * taken again, or {@code reannounceFor} has passed. Opens its socket on the calling thread.
     *
     * @return a phrase for the result's reason
     */
    private String reannounce(Rtnetlink.Link link, ActionContext ctx, Set<String> seen) {
        long myEpoch = reannounceEpoch.incrementAndGet();
        if (!settings.reannounce() || settings.arpCount() == 0) {
            return "";
        }
        Set<String> holders = ConcurrentHashMap.newKeySet();
        holders.addAll(seen);
        for (String p : node.peers()) {
            // the probe may have missed its answer (a lost frame, probe: false): a dead peer may hold it all the same
            if (node.peerDeadOrFenced(p)) {
                holders.add(p);
            }
        }
        if (holders.isEmpty()) {
            return "";
        }
        PacketSocket socket;
        try {
            socket = PacketSocket.open(link.index(), link.name(), ethertype());
        } catch (NetException e) {
            node.note(ctx.group(), ctx.resource(), "cannot re-announce " + settings.text() + " on " + link.name()
                    + " while " + String.join(", ", holders) + " may still answer for it: " + e.getMessage());
            return "";
        }
        String who = String.join(", ", new java.util.TreeSet<>(holders));
        node.note(ctx.group(), ctx.resource(), "re-announcing " + settings.text() + " on " + link.name() + " every "
                + org.tandemha.api.Durations.format(settings.reannounceInterval()) + " while " + who + " (dead or"
                + " fenced, its kernel may still answer for the address) is not back, for at most "
                + org.tandemha.api.Durations.format(settings.reannounceFor()));
        long deadline = System.nanoTime() + settings.reannounceFor().toNanos();
        scheduleReannounce(link, socket, myEpoch, holders, deadline, ctx.group(), ctx.resource());
        return "; re-announcing it while " + who + " may still answer for it";
    }

    private void scheduleReannounce(Rtnetlink.Link link, PacketSocket socket, long myEpoch, Set<String> holders,
                                    long deadline, String grp, String res) {
        Runnable tick = () -> {
            String end = null;
            try {
                synchronized (sendLock) {
                    holders.removeIf(p -> !node.peerDeadOrFenced(p));
                    if (reannounceEpoch.get() != myEpoch || !held) {
                        end = "";
                    } else if (holders.isEmpty()) {
                        end = "every peer that may have held " + settings.text() + " is back (its start-up removes a"
                                + " stale address): no more re-announcements";
                    } else if (System.nanoTime() - deadline >= 0) {
                        end = "stopped re-announcing " + settings.text() + " after "
                                + org.tandemha.api.Durations.format(settings.reannounceFor()) + "; "
                                + String.join(", ", new java.util.TreeSet<>(holders)) + " is still not back, and its"
                                + " kernel may still answer for the address: remove it there ('ip addr del') or start"
                                + " Tandem there, which removes it";
                    } else {
                        sendAnnouncement(link, socket);
                    }
                }
            } catch (NetException | RuntimeException e) {
                LOG.warn("{}: re-announcement of {} on {} failed: {}", id, settings.text(), link.name(), e.getMessage());
            }
            if (end == null) {
                scheduleReannounce(link, socket, myEpoch, holders, deadline, grp, res);
                return;
            }
            socket.close();
            if (!end.isEmpty()) {
                node.note(grp, res, end);
            }
        };
        try {
            ANNOUNCER.schedule(tick, settings.reannounceInterval().toNanos(), TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            socket.close();
        }
    }

    /** Announces the address again, {@code arpCount} times, if it runs here. Opens its socket on the calling thread. */
    @Override
    public void peerRejoined(String peer) {
        if (!held || settings.arpCount() == 0) {
            return;
        }
        long myEpoch = epoch.incrementAndGet();
        String ifname = current;
        try (Rtnetlink nl = Rtnetlink.open()) {
            Rtnetlink.Link link = nl.link(ifname, NETLINK_TIMEOUT_MS);
            PacketSocket socket = PacketSocket.open(link.index(), link.name(), ethertype());
            node.note(group, id, "peer " + peer + " rejoined: announcing " + settings.text() + " on " + ifname
                    + " again (" + settings.arpCount() + " times)");
            scheduleRest(link, socket, myEpoch, 0);
        } catch (NetException | RuntimeException e) {
            node.note(group, id, "peer " + peer + " rejoined, but " + settings.text() + " cannot be announced again on "
                    + ifname + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- stop

    @Override
    public ActionResult stop(ActionContext ctx) {
        long t0 = System.nanoTime();
        synchronized (sendLock) {
            held = false; // no re-announcement leaves after this point
        }
        epoch.incrementAndGet();
        reannounceEpoch.incrementAndGet();
        refreshEpoch.incrementAndGet();
        try (Rtnetlink nl = Rtnetlink.open()) {
            long nlTimeout = netlinkTimeout(ctx);
            List<Rtnetlink.Link> links = nl.links(nlTimeout);
            publishMacs(links);
            List<String> removed = new ArrayList<>();
            List<String> others = new ArrayList<>();
            for (Rtnetlink.Addr a : ours(nl, nlTimeout)) {
                String name = nameOf(links, a.index());
                if (!name.equals(settings.iface()) && !name.equals(settings.backup())) {
                    others.add(name);                   // not this resource's interface: never deleted, but told
                } else if (nl.deleteAddress(a.index(), name, a.address(), a.prefix(), nlTimeout)) {
                    removed.add(name);
                }
            }
            if (ours(nl, nlTimeout).stream().anyMatch(a -> !others.contains(nameOf(links, a.index())))) {
                return ActionResult.failed(Severity.HARD, settings.text() + " is still on node " + node.nodeId()
                        + " after removing it; remove it by hand with 'ip addr del'").withDuration(since(t0));
            }
            String left = others.isEmpty() ? "" : "; it is also on " + String.join(", ", others) + ", which is not this"
                    + " resource's interface: left there (remove it by hand if the cluster should own it)";
            if (!others.isEmpty()) {
                node.note(ctx.group(), ctx.resource(), settings.text() + " is on " + String.join(", ", others) + " of node "
                        + node.nodeId() + ", which is not this resource's interface: left there");
            }
            return ActionResult.done((removed.isEmpty() ? settings.text() + " was not on this node"
                    : "removed " + settings.text() + " from " + String.join(", ", removed)) + left).withDuration(since(t0));
        } catch (NetException e) {
            return fail(e, "address " + settings.text(), t0);
        }
    }

    // ---------------------------------------------------------------- check and recover

    @Override
    public CheckResult quickCheck(ActionContext ctx) {
        long t0 = System.nanoTime();
        try (Rtnetlink nl = Rtnetlink.open()) {
            long nlTimeout = netlinkTimeout(ctx);
            List<Rtnetlink.Addr> mine = ours(nl, nlTimeout);
            if (mine.isEmpty()) {
                return CheckResult.notRunning(settings.text() + " is not on node " + node.nodeId()).withDuration(since(t0));
            }
            List<Rtnetlink.Link> links = nl.links(nlTimeout);
            Rtnetlink.Link on = null;
            for (Rtnetlink.Link l : links) {
                if (l.index() == mine.get(0).index()) {
                    on = l;
                }
            }
            if (on == null) {
                return CheckResult.failed(settings.text() + " is on an interface that vanished").withDuration(since(t0));
            }
            current = on.name();
            if (!on.usable()) {
                return CheckResult.failed(settings.text() + " is on " + on.name() + ", which is " + on.state())
                        .withDuration(since(t0));
            }
            return CheckResult.ok(settings.text() + " on " + on.name() + ", carrier up").withDuration(since(t0));
        } catch (NetException e) {
            return CheckResult.failed(e.permissionDenied() ? Severity.HARD : Severity.SOFT, e.getMessage())
                    .withDuration(since(t0));
        }
    }

    /**
     * Local recovery: if the interface carrying the address lost its carrier, moves the address to the other of
     * interface and backup interface that has one, and announces it; if the address vanished, adds it again.
     */
    @Override
    public ActionResult recover(ActionContext ctx, CheckResult failure) {
        long t0 = System.nanoTime();
        try (Rtnetlink nl = Rtnetlink.open()) {
            long nlTimeout = netlinkTimeout(ctx);
            Rtnetlink.Link primary = nl.link(settings.iface(), nlTimeout);
            Rtnetlink.Link backup = backupLink(nl, nlTimeout, ctx);
            Rtnetlink.Link from = backup != null && backup.name().equals(current) ? backup : primary;
            Rtnetlink.Link other = from == primary ? backup : primary;
            Rtnetlink.Link to = from.usable() ? from : other != null && other.usable() ? other : null;
            if (to == null) {
                return ActionResult.failed(Severity.SOFT, "no interface with carrier for " + settings.text() + ": "
                        + primary.name() + " is " + primary.state() + (backup == null ? " and no backupInterface is"
                        + " configured" : ", " + backup.name() + " is " + backup.state())).withDuration(since(t0));
            }
            try {
                nl.addAddress(to, settings.address(), settings.prefix(), settings.labelFor(to.name()), settings.broadcast(),
                        nlTimeout);
            } catch (NetException e) {
                if (e.errno() != LibC.EEXIST) {
                    throw e;
                }
            }
            for (Rtnetlink.Addr a : ours(nl, nlTimeout)) {
                if (a.index() != to.index()) {
                    nl.deleteAddress(a.index(), "interface " + a.index(), a.address(), a.prefix(), nlTimeout);
                }
            }
            current = to.name();
            held = true;
            String sent = announce(to, ctx, null);
            sent += refresh(to);
            String what = to == from ? "added " + settings.text() + " to " + to.name() + " again"
                    : "moved " + settings.text() + " from " + from.name() + " (" + from.state() + ") to " + to.name();
            node.note(ctx.group(), ctx.resource(), what + sent);
            return ActionResult.done(what + sent).withDuration(since(t0));
        } catch (NetException e) {
            return fail(e, "recovery of " + settings.text(), t0);
        }
    }

    // ---------------------------------------------------------------- helpers

    private ActionResult fail(NetException e, String what, long t0) {
        String where = " (node " + node.nodeId() + ", resource " + id + ")";
        if (e.errno() == 0) {
            return ActionResult.notInstalled(e.getMessage() + where).withDuration(since(t0));
        }
        Severity sev = e.permissionDenied() || e.errno() == LibC.ENODEV ? Severity.HARD : Severity.SOFT;
        return ActionResult.failed(sev, e.getMessage() + where).withDuration(since(t0));
    }

    private static String nameOf(List<Rtnetlink.Link> links, int index) {
        for (Rtnetlink.Link l : links) {
            if (l.index() == index) {
                return l.name();
            }
        }
        return "interface #" + index;
    }

    private static long netlinkTimeout(ActionContext ctx) {
        return Math.max(50, Math.min(NETLINK_TIMEOUT_MS, ctx.remaining().toMillis()));
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }
}
