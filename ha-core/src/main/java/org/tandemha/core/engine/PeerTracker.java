package org.tandemha.core.engine;

import java.time.Duration;
import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.api.Verdict;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Decides what this node believes about each peer: reachable or silent, trusted or not (a different configuration,
 * a restart moments ago, two copies heard at once), and — once every heartbeat path to a silent peer is down — when
 * to run the safety check and what its verdict means (dead or fenced, alive, unknown, or this node lost), with its
 * back-off between attempts. A peer declared dead but not fenced is waited for until its watchdog surely reset it.
 */
final class PeerTracker {
    /** How long a restarted peer is not trusted: longer than the heartbeats' grace before they report two copies. */
    static final long RESTART_SETTLE_MS = 2_000;

    /** How long a peer heard as two copies stays untrusted after the last report of it. */
    static final long DUPLICATE_HOLD_MS = 10_000;

    private final EngineState s;

    PeerTracker(EngineState s) {
        this.s = s;
    }

    void reachable(String id, long incarnation) {
        PeerRecord p = s.peers.get(id);
        if (p == null) {
            return;
        }
        if (p.incarnation != 0 && incarnation != p.incarnation) {
            s.emit(EventKind.PEER_RESTARTED, Level.WARNING, null, null, "node " + id + " restarted (incarnation "
                    + p.incarnation + " -> " + incarnation + ")", Map.of("peer", id));
            p.ann = null;
            p.silentSince = -1;
            // A new incarnation may be a second copy rather than a restart: the heartbeats tell only once the old
            // incarnation keeps talking. Until then the newcomer acknowledges nothing.
            p.settleUntil = s.now + RESTART_SETTLE_MS;
            s.out.add(new Action.PeerRejoined(id));
        }
        boolean was = p.reachable;
        p.incarnation = incarnation;
        p.reachable = true;
        if (!was) {
            String after = p.unreachableSince >= 0 ? " after " + Durations.format(Duration.ofMillis(s.now - p.unreachableSince)) : "";
            s.emit(EventKind.PEER_REACHABLE, Level.INFO, null, null, "node " + id + " is reachable" + after, Map.of("peer", id));
            if (p.everHeard) {
                s.out.add(new Action.PeerRejoined(id));
            }
            p.ann = null; // what it said before the silence is old: wait for a fresh announcement
            p.silentSince = -1;
            p.unreachableSince = -1;
            p.deadOrFenced = false;
            p.fenced = false;
            p.leftCleanly = false;
            p.deadReason = null;
            p.degradedReported = false;
            p.backoff = s.spec.timing().safetyRetryMin().toMillis();
            if (p.safetyId != 0) {
                s.pending.remove(p.safetyId);
                p.safetyId = 0;
            }
        }
        p.everHeard = true;
    }

    void unreachable(String id, String reason) {
        PeerRecord p = s.peers.get(id);
        if (p == null || !p.reachable) {
            return;
        }
        p.reachable = false;
        p.unreachableSince = s.now;
        if (p.ann != null && p.ann.leaving() && p.ann.groups().stream().noneMatch(GroupAnn::active)) {
            p.deadOrFenced = true;
            p.leftCleanly = true;
            p.deadReason = "it left the cluster cleanly";
            s.emit(EventKind.PEER_UNREACHABLE, Level.INFO, null, null, "node " + id + " left the cluster", Map.of("peer", id));
            return;
        }
        p.nextSafetyAt = s.now;
        s.emit(EventKind.PEER_UNREACHABLE, Level.WARNING, null, null, "node " + id + " is unreachable on every path ("
                + reason + ")" + (p.deadOrFenced ? "; it was fenced" : "; running the safety check"), Map.of("peer", id));
    }

    void state(String id, long incarnation, Announcement a) {
        PeerRecord p = s.peers.get(id);
        if (p == null) {
            return;
        }
        if (p.incarnation != incarnation) {
            reachable(id, incarnation);
        }
        if (p.ann != null && a.version() <= p.ann.version()) {
            return; // late copy over a slower path
        }
        if (!s.spec.fingerprint().equals(a.fingerprint()) && !p.fingerprintWarned) {
            p.fingerprintWarned = true;
            s.emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "node " + id + " runs a different configuration"
                    + " (fingerprint " + a.fingerprint() + ", ours " + s.spec.fingerprint() + "): it is not trusted to"
                    + " acknowledge takeovers; give every node the same configuration file", Map.of("peer", id));
        }
        p.ann = a;
        p.facts = a.facts();
        if (!s.oneWayCut.silentAbout(p)) {
            p.silentSince = -1;
        } else if (p.silentSince < 0) {
            p.silentSince = s.now;
        }
        for (GroupRecord g : s.groups.values()) {
            GroupAnn ga = p.annGroup(g.id());
            if (ga != null) {
                if (ga.state() != LocalState.CLAIMING && ga.gen() > g.heldSeen) {
                    g.heldSeen = ga.gen(); // a claim announces the generation asked for, not the one held before
                }
                if (ga.state() == LocalState.FAILED) {
                    p.failed.add(g.id());
                } else {
                    p.failed.remove(g.id());
                }
                if (ga.active() || ga.state() == LocalState.CLAIMING) {
                    p.mayRun.add(g.id());
                } else {
                    p.mayRun.remove(g.id());
                }
                if (ga.maintOn() && ga.active()) {
                    p.maintHeld.add(g.id());
                } else {
                    p.maintHeld.remove(g.id());
                }
                s.commands.adoptRegisters(g, ga);
            }
        }
    }

    boolean trusted(PeerRecord p) {
        return p.ann != null && s.spec.fingerprint().equals(p.ann.fingerprint()) && !duplicated(p) && s.now >= p.settleUntil;
    }

    /**
     * When a peer declared dead, but not fenced, is surely reset by its watchdog (SBD's rule): its daemon stopped
     * feeding the watchdog at the latest when it went silent, so {@code watchdog.timeout} after that, whatever it
     * left running is gone. -1 when there is nothing to wait for: no watchdog configured, the peer fenced or gone
     * cleanly, or a peer heard with nothing of this group.
     */
    long watchdogResetBy(PeerRecord p, GroupRecord g) {
        if (!s.spec.watchdog().enabled() || p.fenced || p.leftCleanly || (p.everHeard && !p.mayRun.contains(g.id()))) {
            return -1;
        }
        long since = p.unreachableSince >= 0 ? p.unreachableSince : s.bootAt;
        return since + s.spec.watchdog().timeout().toMillis();
    }

    boolean duplicated(PeerRecord p) {
        return p.duplicateUntil >= 0 && s.now < p.duplicateUntil;
    }

    /** Two copies of {@code node} are heard: it is not trusted for a while, and the newer copy is told so. */
    void duplicate(String node, long older, long newer) {
        PeerRecord p = s.peers.get(node);
        if (p == null) {
            return;
        }
        boolean first = !duplicated(p);
        p.duplicateUntil = s.now + DUPLICATE_HOLD_MS;
        p.duplicateNewer = newer;
        if (first) {
            s.emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "two copies of node " + node + " are running"
                    + " (incarnations " + older + " and " + newer + " heard at once): " + node + " is not trusted to"
                    + " start or acknowledge anything, and the newer copy is told to stand down; stop one of them"
                    + " (a node started twice, or a cloned machine)", Map.of("peer", node, "older", String.valueOf(older),
                    "newer", String.valueOf(newer)));
        }
        s.out.add(new Action.Send(node, new Wire.DuplicateSeen(node, older, newer)));
    }

    /**
     * Verdicts taken before now no longer count: a node that stands down (it was fenced, it lost, it was frozen)
     * ends its stand-down only on fresh ones. Being fenced even proves that some peer is alive.
     */
    void forgetVerdicts() {
        for (PeerRecord p : s.peers.values()) {
            if (!p.reachable && p.deadOrFenced) {
                // (a peer that left cleanly may have come back unheard: whoever fenced this node is alive)
                p.deadOrFenced = false;
                p.fenced = false;
                p.leftCleanly = false;
                p.deadReason = null;
                p.nextSafetyAt = s.now;
                p.backoff = s.spec.timing().safetyRetryMin().toMillis();
            }
        }
    }

    /** When the safety check about a silent peer is due (it waits {@code startupWait} for a peer never heard). */
    long safetyDue(PeerRecord p) {
        return p.everHeard ? p.nextSafetyAt : Math.max(p.nextSafetyAt, s.bootAt + s.spec.timing().startupWait().toMillis());
    }

    /** Runs the safety check about every silent peer whose check is due. */
    void runDueSafetyChecks() {
        for (PeerRecord p : s.peers.values()) {
            if (p.reachable || p.deadOrFenced || p.safetyId != 0 || s.now < safetyDue(p)) {
                continue;
            }
            long id = s.newId();
            p.safetyId = id;
            Duration to = s.spec.timing().safetyTimeout();
            s.pending.put(id, new EngineState.Pending(EngineState.PendingKind.SAFETY, null, null, 0,
                    s.now + to.toMillis() + EngineState.DEADLINE_GRACE_MS, null, null, p.id, to));
            s.out.add(new Action.RunSafetyCheck(id, p.id, s.ownership.knownMaxGeneration(s.groups.values()), to));
        }
    }

    void safetyDone(long id, Verdict verdict) {
        EngineState.Pending pd = s.pending.remove(id);
        if (pd == null) {
            return;
        }
        PeerRecord p = s.peers.get(pd.peer());
        if (p == null || p.safetyId != id) {
            return;
        }
        p.safetyId = 0;
        s.generationFloor = Math.max(s.generationFloor, verdict.generation());
        if (p.reachable) {
            return;
        }
        String silent = p.everHeard
                ? "every path to " + p.id + " down for " + Durations.format(Duration.ofMillis(s.now - p.unreachableSince))
                : p.id + " not heard since this node started " + Durations.format(Duration.ofMillis(s.now - s.bootAt)) + " ago";
        Map<String, String> d = Map.of("peer", p.id, "verdict", verdict.answer().name());
        switch (verdict.answer()) {
            case PEER_DEAD -> {
                p.deadOrFenced = true;
                p.deadReason = verdict.reason();
                s.emit(EventKind.SAFETY_CHECK, Level.WARNING, null, null, silent + "; " + verdict.reason()
                        + "; node " + p.id + " is dead or fenced: its groups may be taken over"
                        + (p.failed.isEmpty() ? "" : ", except " + String.join(", ", p.failed) + ", FAILED there (a stop"
                        + " failed): blocked until " + p.id + " is fenced or an operator clears it")
                        + (s.spec.watchdog().enabled() && !p.mayRun.isEmpty() ? " once its watchdog has reset it ("
                        + Durations.format(s.spec.watchdog().timeout()) + " after it went silent)" : ""), d);
            }
            case PEER_ALIVE -> {
                s.emit(EventKind.SAFETY_CHECK, Level.WARNING, null, null, silent + "; " + verdict.reason()
                        + "; node " + p.id + " is alive: nothing moves", d);
                if (!p.degradedReported) {
                    p.degradedReported = true;
                    s.emit(EventKind.CLUSTER_DEGRADED, Level.WARNING, null, null, "cluster degraded: node " + p.id
                            + " is alive but unreachable on every heartbeat path; groups stay where they are; repair"
                            + " the heartbeat paths", d);
                }
                retryLater(p);
            }
            case UNKNOWN -> {
                s.emit(EventKind.SAFETY_CHECK, Level.WARNING, null, null, silent + "; " + verdict.reason()
                        + "; no arbiter could tell: not taking over; asking again in "
                        + Durations.format(Duration.ofMillis(p.backoff)), d);
                retryLater(p);
            }
            case WE_LOST -> {
                s.emit(EventKind.SAFETY_CHECK, Level.ERROR, null, null, silent + "; " + verdict.reason()
                        + "; this node lost", d);
                s.lifecycle.standDown("lost the safety check against " + p.id + ": " + verdict.reason());
                retryLater(p);
            }
        }
    }

    private void retryLater(PeerRecord p) {
        p.nextSafetyAt = s.now + p.backoff;
        p.backoff = Math.min(p.backoff * 2, s.spec.timing().safetyRetryMax().toMillis());
    }
}
