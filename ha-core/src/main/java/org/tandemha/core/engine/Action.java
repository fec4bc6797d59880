package org.tandemha.core.engine;

import java.time.Duration;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CheckResult;
import org.tandemha.api.CommandResult;

/** What the engine asks the edge to do. Results come back as {@link Input}s carrying the same id. */
public sealed interface Action {
    enum ResourceOp { START, STOP, RECOVER }

    enum CheckKind { QUICK, DEEP }

    record RunResource(long id, ResourceOp op, String group, String resource, long generation, Duration timeout,
                       CheckResult cause) implements Action { }

    record RunCheck(long id, CheckKind kind, String group, String resource, long generation, Duration timeout)
            implements Action { }

    /** Replace the announced state (goes out with every heartbeat). */
    record Announce(Announcement announcement) implements Action { }

    record Send(String peer, Wire.Message message) implements Action { }

    record RunSafetyCheck(long id, String peer, long generation, Duration timeout) implements Action { }

    record FencePeer(long id, String peer, Duration timeout) implements Action { }

    record Emit(ClusterEvent event) implements Action { }

    record CompleteCommand(long id, CommandResult result) implements Action { }

    /** Deliver every reachable peer's latest announcement again (what this node knew of them was dropped). */
    record RefreshPeerStates() implements Action { }

    /** Tell resources running here that a peer is back (they may re-announce addresses). */
    record PeerRejoined(String peer) implements Action { }

    /** The engine has stopped every group and left; the edge may close heartbeats. */
    record Left() implements Action { }

    /**
     * The write-ahead rule: whether {@code a} may run although the generations of the step that asked for it could
     * not be made durable. Nothing that uses or spreads a new generation may (a start, a recovery, fencing); once the
     * engine knows ({@link Input.GenerationsDurable}), it claims and starts nothing, so its announcements and
     * messages may go out again (the peers must see it stand down).
     */
    static boolean runsWithoutDurableGenerations(Action a, boolean engineKnows) {
        if (a instanceof RunResource r) {
            return r.op() == ResourceOp.STOP;
        }
        if (a instanceof Announce || a instanceof Send) {
            return engineKnows;
        }
        return !(a instanceof FencePeer);
    }
}
