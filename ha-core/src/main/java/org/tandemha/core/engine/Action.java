package org.tandemha.core.engine;

import java.time.Duration;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CheckResult;
import org.tandemha.api.CommandResult;

/** What the engine asks the edge to do. Results come back as {@link Input}s carrying the same id. */
public sealed interface Action {

    /**
     * Calls the handler's method for this kind of action. A new kind of action must add a method to {@link Handler},
     * so the runtime and the simulation fail to compile until they carry it out: none is dropped by accident.
     */
    void dispatch(Handler h);

    /** One method per kind of action. */
    interface Handler {
        void runResource(RunResource a);

        void runCheck(RunCheck a);

        void announce(Announce a);

        void send(Send a);

        void runSafetyCheck(RunSafetyCheck a);

        void fencePeer(FencePeer a);

        void emit(Emit a);

        void completeCommand(CompleteCommand a);

        void refreshPeerStates(RefreshPeerStates a);

        void peerRejoined(PeerRejoined a);

        void left(Left a);

        void acquireLease(AcquireLease a);

        void releaseLease(ReleaseLease a);

        void standAside(StandAside a);
    }

    /**
     * What to do to a resource. PROMOTE and DEMOTE are the primary's start and planned stop of a promotable group's
     * replicated resource; START_STANDBY and STOP_STANDBY run it as a standby on the other nodes (see {@link Standbys}).
     */
    enum ResourceOp { START, STOP, RECOVER, PROMOTE, DEMOTE, START_STANDBY, STOP_STANDBY;

        /** Whether this is a standby's action (outside the group's start and stop sequences). */
        boolean standby() {
            return this == START_STANDBY || this == STOP_STANDBY;
        }
    }

    /** Which check: QUICK and DEEP of a running group; STANDBY of a promotable resource running as a standby. */
    enum CheckKind { QUICK, DEEP, STANDBY }

    record RunResource(long id, ResourceOp op, String group, String resource, long generation, Duration timeout,
                       CheckResult cause) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.runResource(this);
        }
    }

    record RunCheck(long id, CheckKind kind, String group, String resource, long generation, Duration timeout)
            implements Action {
        @Override
        public void dispatch(Handler h) {
            h.runCheck(this);
        }
    }

    /** Replace the announced state (goes out with every heartbeat). */
    record Announce(Announcement announcement) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.announce(this);
        }
    }

    record Send(String peer, Wire.Message message) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.send(this);
        }
    }

    record RunSafetyCheck(long id, String peer, long generation, Duration timeout) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.runSafetyCheck(this);
        }
    }

    record FencePeer(long id, String peer, Duration timeout) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.fencePeer(this);
        }
    }

    record Emit(ClusterEvent event) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.emit(this);
        }
    }

    record CompleteCommand(long id, CommandResult result) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.completeCommand(this);
        }
    }

    /** Deliver every reachable peer's latest announcement again (what this node knew of them was dropped). */
    record RefreshPeerStates() implements Action {
        @Override
        public void dispatch(Handler h) {
            h.refreshPeerStates(this);
        }
    }

    /** Tell resources running here that a peer is back (they may re-announce addresses). */
    record PeerRejoined(String peer) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.peerRejoined(this);
        }
    }

    /** The engine has stopped every group and left; the edge may close heartbeats. */
    record Left() implements Action {
        @Override
        public void dispatch(Handler h) {
            h.left(this);
        }
    }

    /**
     * Ask the coordination service for the lease of {@code group}: create its lease node for this node's session, or
     * wait until the one there goes away. Answered by {@link Input.LeaseGranted}; open until {@link ReleaseLease}.
     */
    record AcquireLease(String group) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.acquireLease(this);
        }
    }

    /**
     * This node stands aside for a peer that cannot hear it ({@link OneWayCut}), with nothing running here: its
     * arbiters stop vouching for it ({@link org.tandemha.api.Arbiter#standAside}), so that the peer's safety check
     * finds it gone; {@code aside} false: they vouch for it again. {@code reason} is null then.
     */
    record StandAside(boolean aside, String reason) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.standAside(this);
        }
    }

    /** Give up the lease of {@code group}: stop waiting for it, and delete its lease node if this session holds it. */
    record ReleaseLease(String group) implements Action {
        @Override
        public void dispatch(Handler h) {
            h.releaseLease(this);
        }
    }

    /**
     * The input that answers an action the write-ahead rule held back ({@link #runsWithoutDurableGenerations}), so
     * that the engine does not wait for it: a resource action or fencing is "not done" with {@code why}; null for
     * the rest (an announcement or a message is simply not sent). The runtime and the simulation both use it.
     */
    static Input heldBackAnswer(Action a, String why) {
        Input[] answer = new Input[1];
        a.dispatch(new Handler() {
            @Override
            public void runResource(RunResource r) {
                answer[0] = new Input.ActionDone(r.id(), org.tandemha.api.ActionResult.failed(why));
            }

            @Override
            public void runCheck(RunCheck c) {
            }

            @Override
            public void announce(Announce an) {
            }

            @Override
            public void send(Send sd) {
            }

            @Override
            public void runSafetyCheck(RunSafetyCheck sc) {
            }

            @Override
            public void fencePeer(FencePeer f) {
                answer[0] = new Input.FenceDone(f.id(), f.peer(), org.tandemha.api.ActionResult.failed(why));
            }

            @Override
            public void emit(Emit e) {
            }

            @Override
            public void completeCommand(CompleteCommand cc) {
            }

            @Override
            public void refreshPeerStates(RefreshPeerStates r) {
            }

            @Override
            public void peerRejoined(PeerRejoined pr) {
            }

            @Override
            public void left(Left l) {
            }

            @Override
            public void acquireLease(AcquireLease l) {
            }

            @Override
            public void releaseLease(ReleaseLease l) {
            }
            @Override
            public void standAside(StandAside sa) {
            }
        });
        return answer[0];
    }

    /**
     * The write-ahead rule: whether {@code a} may run although the generations of the step that asked for it could
     * not be made durable. Nothing that uses or spreads a new generation may (a start, a recovery, fencing); once the
     * engine knows ({@link Input.GenerationsDurable}), it claims and starts nothing, so its announcements and
     * messages may go out again (the peers must see it stand down).
     */
    static boolean runsWithoutDurableGenerations(Action a, boolean engineKnows) {
        boolean[] runs = new boolean[1];
        a.dispatch(new Handler() {
            @Override
            public void runResource(RunResource r) {
                // a standby neither writes nor spreads a generation; a promotion uses the new one
                runs[0] = r.op() == ResourceOp.STOP || r.op() == ResourceOp.DEMOTE || r.op().standby();
            }

            @Override
            public void runCheck(RunCheck c) {
                runs[0] = true;
            }

            @Override
            public void announce(Announce an) {
                runs[0] = engineKnows;
            }

            @Override
            public void send(Send sd) {
                runs[0] = engineKnows;
            }

            @Override
            public void runSafetyCheck(RunSafetyCheck sc) {
                runs[0] = true;
            }

            @Override
            public void fencePeer(FencePeer f) {
                runs[0] = false;
            }

            @Override
            public void emit(Emit e) {
                runs[0] = true;
            }

            @Override
            public void completeCommand(CompleteCommand cc) {
                runs[0] = true;
            }

            @Override
            public void refreshPeerStates(RefreshPeerStates r) {
                runs[0] = true;
            }

            @Override
            public void peerRejoined(PeerRejoined pr) {
                runs[0] = true;
            }

            @Override
            public void left(Left l) {
                runs[0] = true;
            }

            @Override
            public void acquireLease(AcquireLease l) {
                runs[0] = true; // its token comes back as an input and is written ahead before it is used
            }

            @Override
            public void releaseLease(ReleaseLease l) {
                runs[0] = true;
            }
            @Override
            public void standAside(StandAside sa) {
                runs[0] = true; // it spreads no generation
            }
        });
        return runs[0];
    }
}
