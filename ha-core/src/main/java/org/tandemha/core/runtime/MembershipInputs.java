package org.tandemha.core.runtime;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.EventKind;
import org.tandemha.api.Membership;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.Wire;

/**
 * Turns what the heartbeats report into the engine's inputs (peers reachable or not, their announced state, their
 * messages, a node started twice), and path changes into events. Malformed states and messages are dropped and
 * counted; the log says so at the 1st, 2nd, 4th, 8th... one.
 *
 * <p>Announcements are coalesced per peer before they reach the engine: an announcement carries the peer's whole
 * state ({@link org.tandemha.core.engine.Announcement}), so one still waiting in the engine's queue when a newer one
 * of the same peer arrives is replaced by it (the engine then sees only the newer, as when a heartbeat is lost).
 * Only while nothing else of that peer came in between: a reachability change, a restart (another incarnation), a
 * message or a second copy ends the run, and the next announcement is queued after it. Without this, hundreds of
 * groups starting on many nodes queued announcements faster than the engine stepped through them (each carries
 * every group), until the heap was full.
 */
final class MembershipInputs implements Membership.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final String self;
    private final Consumer<Input> submit;
    private final EventDispatcher events;
    private final Consumer<Supplier<Input>> submitLatest;
    private final AtomicLong malformed = new AtomicLong();
    /** Told of each peer that becomes reachable (a node joins): the probes run then. */
    private final Consumer<String> joined;
    private final AtomicLong coalesced = new AtomicLong();
    /** Per peer, its announcement waiting in the engine's queue that a newer one may still replace (guarded by this). */
    private final Map<String, Waiting> waiting = new HashMap<>();

    /**
     * An announcement queued for the engine: replaced by newer ones of the same run until the engine takes it. Kept
     * encoded; only the one the engine takes is decoded (on its thread).
     */
    private static final class Waiting {
        final String peer;
        final long incarnation;
        byte[] latest;
        long version;
        boolean taken;

        Waiting(String peer, long incarnation, byte[] latest, long version) {
            this.peer = peer;
            this.incarnation = incarnation;
            this.latest = latest;
            this.version = version;
        }
    }

    MembershipInputs(String self, Consumer<Input> submit, Consumer<Supplier<Input>> submitLatest, EventDispatcher events) {
        this(self, submit, submitLatest, events, peer -> { });
    }

    MembershipInputs(String self, Consumer<Input> submit, Consumer<Supplier<Input>> submitLatest, EventDispatcher events,
                     Consumer<String> joined) {
        this.self = self;
        this.submit = submit;
        this.submitLatest = submitLatest;
        this.events = events;
        this.joined = joined;
    }

    /** How many announcements were replaced by a newer one of the same peer before the engine saw them. */
    long coalesced() {
        return coalesced.get();
    }

    @Override
    public void peerReachable(String peer, long incarnation) {
        submitAfterRun(peer, new Input.PeerReachable(peer, incarnation));
        joined.accept(peer);
    }

    @Override
    public void peerUnreachable(String peer, String reason) {
        submitAfterRun(peer, new Input.PeerUnreachable(peer, reason));
    }

    /** Queues an input of {@code peer} that is not an announcement: the run of replaceable announcements ends here. */
    private void submitAfterRun(String peer, Input in) {
        synchronized (this) {
            waiting.remove(peer);
            submit.accept(in); // inside the lock: queued in the order the run was ended
        }
    }

    /** Queues the announcement, or puts it in the place of the same peer's announcement still waiting in the queue. */
    private void announcement(String peer, long incarnation, byte[] state, long version) {
        synchronized (this) {
            Waiting open = waiting.get(peer);
            if (open != null && !open.taken && open.incarnation == incarnation) {
                if (version > open.version) {
                    open.latest = state; // (two paths may hand them over out of order: the engine ignores an older one)
                    open.version = version;
                }
                coalesced.incrementAndGet();
                return;
            }
            Waiting w = new Waiting(peer, incarnation, state, version);
            waiting.put(peer, w);
            submitLatest.accept(() -> take(w));
        }
    }

    /** On the engine's thread: the newest announcement of the run, which no later one replaces from now on. */
    private Input take(Waiting w) {
        byte[] state;
        synchronized (this) {
            w.taken = true;
            waiting.remove(w.peer, w);
            state = w.latest;
        }
        try {
            return new Input.PeerState(w.peer, w.incarnation, Wire.decodeAnnouncement(state));
        } catch (Wire.WireException e) {
            malformed(w.peer, "state", e);
            return null;
        }
    }

    private void malformed(String peer, String what, Wire.WireException e) {
        long n = malformed.incrementAndGet();
        if (Long.bitCount(n) == 1) {
            LOG.warn("node {}: dropped a malformed {} from {} ({}); {} so far", self, what, peer, e.getMessage(), n);
        }
    }

    @Override
    public void peerState(String peer, long incarnation, byte[] state) {
        if (state == null || state.length == 0) {
            return; // the peer's engine has not announced anything yet
        }
        try {
            announcement(peer, incarnation, state, Wire.announcementVersion(state));
        } catch (Wire.WireException e) {
            malformed(peer, "state", e);
        }
    }

    @Override
    public void message(String peer, byte[] message) {
        try {
            submitAfterRun(peer, new Input.PeerMessage(peer, Wire.decodeMessage(message)));
        } catch (Wire.WireException e) {
            malformed(peer, "message", e);
        }
    }

    @Override
    public void duplicate(String peer, long older, long newer) {
        submitAfterRun(peer, new Input.DuplicateNode(peer, older, newer));
    }

    @Override
    public void pathChanged(PathStatus path, String reason) {
        boolean up = path.state() == PathState.UP;
        events.dispatch(new ClusterEvent(0, Instant.now(), up ? EventKind.PATH_UP : EventKind.PATH_DOWN,
                up ? ClusterEvent.Level.INFO : ClusterEvent.Level.WARNING, self, null, null,
                "path " + path.name() + " to " + path.peer() + (up ? " up" : " down") + (reason == null || reason.isEmpty() ? "" : ": " + reason),
                Map.of("path", path.name(), "peer", path.peer())));
    }
}
