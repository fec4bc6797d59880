package org.tandemha.core.runtime;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
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
 */
final class MembershipInputs implements Membership.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final String self;
    private final Consumer<Input> submit;
    private final EventDispatcher events;
    private final AtomicLong malformed = new AtomicLong();
    /** Told of each peer that becomes reachable (a node joins): the probes run then. */
    private final Consumer<String> joined;

    MembershipInputs(String self, Consumer<Input> submit, EventDispatcher events) {
        this(self, submit, events, peer -> { });
    }

    MembershipInputs(String self, Consumer<Input> submit, EventDispatcher events, Consumer<String> joined) {
        this.self = self;
        this.submit = submit;
        this.events = events;
        this.joined = joined;
    }

    @Override
    public void peerReachable(String peer, long incarnation) {
        submit.accept(new Input.PeerReachable(peer, incarnation));
        joined.accept(peer);
    }

    @Override
    public void peerUnreachable(String peer, String reason) {
        submit.accept(new Input.PeerUnreachable(peer, reason));
    }

    @Override
    public void peerState(String peer, long incarnation, byte[] state) {
        if (state == null || state.length == 0) {
            return; // the peer's engine has not announced anything yet
        }
        try {
            submit.accept(new Input.PeerState(peer, incarnation, Wire.decodeAnnouncement(state)));
        } catch (Wire.WireException e) {
            long n = malformed.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.warn("node {}: dropped a malformed state from {} ({}); {} so far", self, peer, e.getMessage(), n);
            }
        }
    }

    @Override
    public void message(String peer, byte[] message) {
        try {
            submit.accept(new Input.PeerMessage(peer, Wire.decodeMessage(message)));
        } catch (Wire.WireException e) {
            long n = malformed.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.warn("node {}: dropped a malformed message from {} ({}); {} so far", self, peer, e.getMessage(), n);
            }
        }
    }

    @Override
    public void duplicate(String peer, long older, long newer) {
        submit.accept(new Input.DuplicateNode(peer, older, newer));
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
