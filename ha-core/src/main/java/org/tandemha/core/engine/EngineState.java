package org.tandemha.core.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.EventKind;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.engine.Action.CheckKind;
import org.tandemha.core.engine.Action.ResourceOp;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * Everything one node's engine knows, shared by its parts, and the actions of the step being handled. Its
 * content, not its parts, is the engine's state: {@link EngineSnapshot} copies it out and back.
 */
final class EngineState {
    /** Grace the engine adds to an action's timeout before it declares the timeout itself. */
    static final long DEADLINE_GRACE_MS = 1000;

    enum PendingKind { RESOURCE, CHECK, SAFETY, FENCE }

    /** An action in flight, with the deadline at which the engine declares its timeout itself. */
    record Pending(PendingKind kind, String group, String resource, long epoch, long deadline, ResourceOp op,
                   CheckKind check, String peer, Duration timeout) {
        Pending delayedBy(long ms) {
            return new Pending(kind, group, resource, epoch, deadline + ms, op, check, peer, timeout);
        }
    }

    final ClusterSpec spec;
    final String self;
    final LongFunction<Instant> wallClock;
    final boolean canFence;
    final Map<String, PeerRecord> peers = new LinkedHashMap<>();
    final Map<String, GroupRecord> groups = new LinkedHashMap<>();
    final PendingMap pending = new PendingMap();
    /**
     * Set while handling an input that changed nothing the decisions read: a tick, or a check that passed and was
     * passing ({@link Engine#handle} then skips the per-group reconciliation when nothing else is due).
     */
    boolean quiet;
    final Map<String, String> facts = new TreeMap<>();
    /** Quorum devices (witnesses) and whether they are reachable from here. */
    final Map<String, Boolean> devices = new TreeMap<>();
    /** Commands forwarded to the node holding their group, by command id. */
    final Map<Long, GroupRecord.Waiter> remoteCommands = new TreeMap<>();
    /** The group of each command forwarded to another node, by command id. */
    final Map<Long, String> remoteGroup = new TreeMap<>();
    long now;
    long bootAt = -1;
    boolean booted;
    boolean shuttingDown;
    boolean left;
    /** Whether the last announcement said "leaving": only when nothing of any group may still run here. */
    boolean leftCleanly;
    /** This process's heartbeat incarnation (0: not known), to tell which of two copies of this node it is. */
    long incarnation;
    /** Why this copy of the node must not take part (a newer duplicate of a running node), or null. */
    String duplicateReason;
    /** This process is the older of two copies of this node and has said so. */
    boolean olderCopyWarned;
    /** Why generations cannot be made durable now, or null. */
    String notDurable;
    boolean selfFenced;
    String selfFencedReason;
    /** Since when a group this node gave up can go only to a peer that cannot hear it ({@link OneWayCut}); -1: not so. */
    long asideSince = -1;
    /** Why this node stands aside for a peer that cannot hear it ({@link OneWayCut}), or null. */
    String asideReason;
    /** Whether the edge was told to stand aside ({@link Action.StandAside}): its arbiters stopped vouching for it. */
    boolean asideTold;
    long quorumLostAt = -1;
    /** Why this node must be reset (a stop failed while it had to let go), or null. */
    String resetReason;
    /** The highest generation an arbiter reported: claims go above it (see {@link org.tandemha.api.Verdict#generation()}). */
    long generationFloor;
    boolean hadQuorum;
    /** Lease ownership: whether the session with the coordination service is connected and verified. */
    boolean sessionUsable;
    /** Lease ownership: why the session is not usable, or null. */
    String sessionReason = "not connected to the coordination service yet";
    boolean quorumMaintWarned;
    long nextId = 1;
    long eventSeq;
    long announceVersion;
    Announcement lastAnnounced;
    /** The groups that failed to stop during this node's shutdown, as last reported. */
    List<String> failedAtShutdown = List.of();
    /** The actions of the step being handled. */
    List<Action> out = new ArrayList<>();

    // The engine's parts, each deciding one thing; set once by the Engine.
    Quorum quorum;
    PeerTracker peerTracker;
    Fencing fencing;
    Placement placement;
    Ownership ownership;
    Sequencer sequencer;
    HealthPolicy health;
    Commands commands;
    NodeLifecycle lifecycle;
    Standbys standbys;
    DisasterRecovery dr;
    OneWayCut oneWayCut;

    EngineState(ClusterSpec spec, String self, boolean canFence, LongFunction<Instant> wallClock) {
        this.spec = spec;
        this.self = self;
        this.canFence = canFence;
        this.wallClock = wallClock;
        for (String n : spec.nodeIds()) {
            if (!n.equals(self)) {
                peers.put(n, new PeerRecord(n));
            }
        }
        for (GroupSpec g : spec.groups()) {
            groups.put(g.id(), new GroupRecord(g));
        }
    }

    long newId() {
        return nextId++;
    }

    /** What {@code p} last announced about {@code g}, or null. */
    GroupAnn ann(PeerRecord p, GroupRecord g) {
        return p.annGroup(g.id());
    }

    /** Whether this node takes part in decisions now (it was booted and has not left). */
    boolean running() {
        return booted && !left;
    }

    void emit(EventKind kind, Level level, String group, String resource, String message, Map<String, String> details) {
        out.add(new Action.Emit(new ClusterEvent(++eventSeq, wallClock.apply(now), kind, level, self, group, resource, message, details)));
    }

    void setState(GroupRecord g, LocalState s, String detail) {
        LocalState was = g.state;
        g.state = s;
        if (was != s && s == LocalState.ONLINE) {
            health.rescheduled(g); // its checks fall due again
            g.drPromoteUntil = -1; // an operator's promote-dr is used once (DisasterRecovery)
        }
        g.detail = detail;
        if (was != s && s != LocalState.CLAIMING && was != LocalState.CLAIMING) {
            Level l = s == LocalState.FAILED ? Level.ERROR : Level.INFO;
            emit(EventKind.GROUP_STATE, l, g.id(), null, "group " + g.id() + " on " + self + ": " + was.toApi()
                    + " -> " + s.toApi() + " (" + detail + ")", Map.of("from", was.name(), "to", s.name()));
        }
    }
}
