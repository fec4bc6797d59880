package org.tandemha.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;

/**
 * Decides whether this node takes part in the cluster: its start (clean-up first), its orderly shutdown (it leaves
 * only once nothing may still run here), and standing down — stopping every group and claiming nothing — when it
 * was fenced, lost the safety check, was frozen longer than {@code timing.pauseThreshold}, cannot make its
 * generations durable, or is the newer of two copies of one node. It takes part again once every peer is heard or
 * declared dead on fresh verdicts, and its groups are stopped.
 */
final class NodeLifecycle {
    private final EngineState s;

    NodeLifecycle(EngineState s) {
        this.s = s;
    }

    void boot(Map<String, Long> remembered, long incarnation) {
        s.incarnation = incarnation;
        if (s.booted) {
            return;
        }
        s.booted = true;
        for (GroupRecord g : s.groups.values()) {
            g.floor = Math.max(0, remembered.getOrDefault(g.id(), 0L));
        }
        s.bootAt = s.now;
        for (PeerRecord p : s.peers.values()) {
            p.nextSafetyAt = s.now + s.spec.timing().startupWait().toMillis();
            p.backoff = s.spec.timing().safetyRetryMin().toMillis();
        }
        s.emit(EventKind.NODE_STARTED, Level.INFO, null, null, "node " + s.self + " started; making sure no group runs here"
                + " before joining", Map.of());
    }

    void shutdown() {
        if (s.shuttingDown) {
            return;
        }
        s.shuttingDown = true;
        s.emit(EventKind.NODE_STOPPED, Level.INFO, null, null, "node " + s.self + " shutting down: stopping its groups", Map.of());
        for (GroupRecord g : s.groups.values()) {
            s.sequencer.requestStop(g, StopReason.SHUTDOWN);
        }
        if (!s.booted) {
            s.left = true;
            s.out.add(new Action.Left());
        }
    }

    /**
     * Leaves once every group is stopped. A group whose stop failed may still run here: the node then does not say
     * it left (its peers would take that for "dead or fenced"). It stays in the cluster announcing the group FAILED,
     * so that its peers hear it and keep the group blocked until it is fenced or an operator clears it; the runtime
     * exits without leaving once its shutdown bound runs out (and a watchdog, if configured, resets the node).
     */
    void maybeLeave() {
        if (!s.shuttingDown || s.left || s.standbys.busy()) {
            return; // (standbys stop before the node leaves)
        }
        List<String> failed = new ArrayList<>();
        for (GroupRecord g : s.groups.values()) {
            if (g.state == LocalState.FAILED) {
                failed.add(g.id());
            } else if (g.state != LocalState.OFFLINE && g.state != LocalState.UNKNOWN) {
                return;
            }
        }
        if (failed.isEmpty()) {
            s.left = true;
            s.leftCleanly = true;
            s.emit(EventKind.NODE_STOPPED, Level.INFO, null, null, "node " + s.self + " left the cluster; its groups are stopped", Map.of());
            s.out.add(new Action.Left());
        } else if (!failed.equals(s.failedAtShutdown)) {
            s.failedAtShutdown = failed;
            boolean many = failed.size() > 1;
            s.emit(EventKind.NODE_STOPPED, Level.ERROR, null, null, "node " + s.self + " cannot leave the cluster cleanly:"
                    + " group" + (many ? "s " : " ") + String.join(", ", failed) + " failed to stop here and"
                    + " may still run; it stays to tell its peers, which keep " + (many ? "them" : "it")
                    + " blocked until " + s.self + " is fenced or an operator clears " + (many ? "them" : "it")
                    + " (after making sure it is stopped)", Map.of("failed", String.join(",", failed)));
        }
    }

    void resumed(long pausedMs) {
        // The pause is not the actions' fault: their results may be waiting in the queue. Widen every deadline.
        s.pending.replaceAll((id, p) -> p.delayedBy(pausedMs));
        if (pausedMs < s.spec.timing().pauseThreshold().toMillis()) {
            s.emit(EventKind.NODE_WARNING, Level.WARNING, null, null, "node " + s.self + " was frozen for "
                    + Durations.format(Duration.ofMillis(pausedMs)) + " (a long pause or a starved thread)", Map.of("pausedMs", String.valueOf(pausedMs)));
            return;
        }
        boolean any = s.groups.values().stream().anyMatch(g -> g.state.active());
        s.emit(EventKind.STAND_DOWN, Level.ERROR, null, null, "node " + s.self + " was frozen for "
                + Durations.format(Duration.ofMillis(pausedMs)) + ", longer than the pause threshold "
                + Durations.format(s.spec.timing().pauseThreshold()) + ": a peer may have taken over"
                + (any ? "; stopping its groups before touching anything shared" : ""), Map.of("pausedMs", String.valueOf(pausedMs)));
        for (GroupRecord g : s.groups.values()) {
            if (g.state.active() && g.state != LocalState.FAILED && !g.maintOn) {
                s.sequencer.requestStop(g, StopReason.STAND_DOWN);
            }
        }
        for (PeerRecord p : s.peers.values()) {
            p.ann = null; // what we knew is old; wait for fresh announcements
        }
        s.out.add(new Action.RefreshPeerStates()); // and ask for them: an unchanged state is not sent again by itself
        s.peerTracker.forgetVerdicts();
    }

    void standDown(String reason) {
        boolean first = !s.selfFenced;
        if (first) {
            s.peerTracker.forgetVerdicts();
            s.emit(EventKind.STAND_DOWN, Level.ERROR, null, null, reason + "; stopping every group at once and taking over"
                    + " nothing until the peers are heard again", Map.of());
        }
        s.selfFenced = true;
        s.selfFencedReason = reason;
        for (GroupRecord g : s.groups.values()) {
            if (g.maintOn && g.state.active() && s.commands.maintenanceKnownToPeers(g)) {
                if (first) {
                    s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id() + " is in maintenance:"
                            + " left running on " + s.self + " although this node stands down; the operator decides", Map.of());
                }
            } else if (g.state.active() && g.state != LocalState.FAILED && g.state != LocalState.UNKNOWN) {
                if (g.maintOn && first) {
                    s.emit(EventKind.MAINTENANCE, Level.WARNING, g.id(), null, "group " + g.id() + " is in maintenance,"
                            + " but not every peer was heard with it in maintenance (it was set just before the cut): a peer"
                            + " may take it over as a managed group, so it is stopped on " + s.self + " too", Map.of());
                }
                s.sequencer.requestStop(g, StopReason.STAND_DOWN);
            } else if (g.state == LocalState.CLAIMING) {
                s.ownership.withdraw(g, "standing down");
            }
        }
    }

    /**
     * A node that stood down takes part in decisions again once every peer is heard again or declared dead, and
     * once what it was stopping is stopped (a group whose stop failed keeps it out: it must be reset).
     */
    void maybeEndStandDown() {
        if (!s.selfFenced || s.notDurable != null || s.duplicateReason != null || s.asideReason != null) {
            return; // (standing aside for a peer that cannot hear this node ends first: see OneWayCut)
        }
        for (PeerRecord q : s.peers.values()) {
            if (!q.reachable && q.leftCleanly && !q.fenced
                    && s.now - q.unreachableSince >= s.spec.timing().startupWait().toMillis()) {
                // It left while this node stood down, long enough ago to have started again unheard (behind a cut)
                // and taken over alone: "it left" no longer says it runs nothing. The arbiters are asked again.
                q.deadOrFenced = false;
                q.leftCleanly = false;
                q.deadReason = null;
                q.nextSafetyAt = s.now;
                q.backoff = s.spec.timing().safetyRetryMin().toMillis();
            }
        }
        if (!s.peers.values().stream().allMatch(q -> q.reachable || q.deadOrFenced)) {
            return;
        }
        for (GroupRecord g : s.groups.values()) {
            if (g.state.active() && !g.maintOn) {
                return;
            }
        }
        s.selfFenced = false;
        for (PeerRecord q : s.peers.values()) {
            if (q.reachable) {
                // Plugins that fenced themselves off (a preempted SCSI key) wait for a peer's return to register
                // again; a peer that never went silent from this side never "returns": tell them now.
                s.out.add(new Action.PeerRejoined(q.id));
            }
        }
        boolean allHeard = s.peers.values().stream().allMatch(q -> q.reachable);
        s.emit(EventKind.NODE_WARNING, allHeard ? Level.INFO : Level.WARNING, null, null, (allHeard ? "every peer is reachable again"
                : "every silent peer is now dead or fenced") + " and this node's groups are stopped; node " + s.self
                + " takes part in decisions again (it stood down: " + s.selfFencedReason + ")", Map.of());
    }

    void generationsDurable(boolean durable, String reason) {
        if (!durable) {
            // It claims and starts nothing until a write works again. It still acknowledges other nodes' claims:
            // those generations are theirs, written ahead on their disks; a node whose disk failed must not keep
            // a healthy peer from taking over.
            boolean first = s.notDurable == null;
            s.notDurable = reason;
            if (first) {
                standDown("node " + s.self + " cannot make its generations durable (" + reason + "): a generation a restart"
                        + " could forget must not be acted on");
            }
        } else if (s.notDurable != null) {
            s.notDurable = null;
            s.emit(EventKind.NODE_WARNING, Level.INFO, null, null, "node " + s.self + " saves its generations again", Map.of());
        }
    }

    /** Two copies of this node are heard: the newer one stands down for good, the older one warns. */
    void duplicateOfSelf(long older, long newer) {
        if (s.incarnation == 0) {
            return;
        }
        if (s.incarnation == newer && s.duplicateReason == null) {
            s.duplicateReason = "another copy of node " + s.self + " (incarnation " + older + ") was already running when"
                    + " this one (incarnation " + newer + ") started";
            standDown(s.duplicateReason + "; this copy is the newer one: it stands down for good; stop it");
            s.ownership.forgetAcknowledgements(); // it speaks for nobody
        } else if (s.incarnation == older && !s.olderCopyWarned) {
            s.olderCopyWarned = true;
            s.emit(EventKind.NODE_WARNING, Level.ERROR, null, null, "a second copy of node " + s.self + " (incarnation "
                    + newer + ") runs beside this one (" + older + "): it was told to stand down; stop it", Map.of());
        }
    }
}
