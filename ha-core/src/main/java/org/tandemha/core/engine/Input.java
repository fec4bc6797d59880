package org.tandemha.core.engine;

import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Verdict;

/** Everything that can happen to a node's engine. The engine is a function of its state and these. */
public sealed interface Input {

    /**
     * Calls the handler's method for this kind of input. A new kind of input must add a method to {@link Handler},
     * so every handler fails to compile until it decides what the new input means: none is ignored by accident.
     */
    void dispatch(Handler h);

    /** One method per kind of input (the exhaustive switch Java 17 does not have for sealed types). */
    interface Handler {
        void tick(Tick in);

        void boot(Boot in);

        void shutdown(Shutdown in);

        void peerReachable(PeerReachable in);

        void peerUnreachable(PeerUnreachable in);

        void peerState(PeerState in);

        void peerMessage(PeerMessage in);

        void actionDone(ActionDone in);

        void checkDone(CheckDone in);

        void safetyDone(SafetyDone in);

        void fenceDone(FenceDone in);

        void resumed(Resumed in);

        void quorumDevice(QuorumDevice in);

        void fact(Fact in);

        void selfFenced(SelfFenced in);

        void generationsDurable(GenerationsDurable in);

        void duplicateNode(DuplicateNode in);

        void command(Command in);

        void leaseGranted(LeaseGranted in);

        void leaseLost(LeaseLost in);

        void sessionSuspended(SessionSuspended in);

        void sessionVerified(SessionVerified in);

        void foundRunning(FoundRunning in);
    }

    /** Time passed (also the wake-up the engine asked for with {@link Engine#nextWakeup()}). */
    record Tick() implements Input {
        @Override
        public void dispatch(Handler h) {
            h.tick(this);
        }
    }

    /**
     * Starts the engine: clean-up of leftovers, then the cluster decides. {@code generations} are the group
     * generations this node knew when it last ran (see {@link Engine#knownGenerations()}), so that generations
     * keep growing across restarts of the whole cluster. {@code incarnation} is this process's heartbeat
     * incarnation (0 when unknown): it tells a node which of two copies of itself it is.
     */
    record Boot(java.util.Map<String, Long> generations, long incarnation) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.boot(this);
        }

        public Boot {
            generations = generations == null ? java.util.Map.of() : java.util.Map.copyOf(generations);
        }

        public Boot(java.util.Map<String, Long> generations) {
            this(generations, 0);
        }

        public Boot() {
            this(java.util.Map.of());
        }
    }

    /** Orderly shutdown: stop every group, then leave. */
    record Shutdown() implements Input {
        @Override
        public void dispatch(Handler h) {
            h.shutdown(this);
        }
    }

    record PeerReachable(String peer, long incarnation) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.peerReachable(this);
        }
    }

    record PeerUnreachable(String peer, String reason) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.peerUnreachable(this);
        }
    }

    record PeerState(String peer, long incarnation, Announcement announcement) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.peerState(this);
        }
    }

    record PeerMessage(String peer, Wire.Message message) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.peerMessage(this);
        }
    }

    /** A resource action (start, stop, recover) finished. */
    record ActionDone(long id, ActionResult result) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.actionDone(this);
        }
    }

    /** A check finished. */
    record CheckDone(long id, CheckResult result) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.checkDone(this);
        }
    }

    /** The safety check about a silent peer reached a verdict. */
    record SafetyDone(long id, String peer, Verdict verdict) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.safetyDone(this);
        }
    }

    /** Fencing a peer finished. */
    record FenceDone(long id, String peer, ActionResult result) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.fenceDone(this);
        }
    }

    /** The node finds it was frozen (a long pause, SIGSTOP, a clock jump) for {@code pausedMs}. */
    record Resumed(long pausedMs) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.resumed(this);
        }
    }

    /** A quorum device (a witness) became reachable or unreachable from this node. */
    record QuorumDevice(String device, boolean reachable) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.quorumDevice(this);
        }
    }

    /** A plugin publishes a fact about this node to its peers. */
    record Fact(String key, String value) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.fact(this);
        }
    }

    /** A plugin found this node fenced off shared storage. */
    record SelfFenced(String reason) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.selfFenced(this);
        }
    }

    /**
     * Whether the generations this node knows could be made durable (written ahead to its state directory). The
     * runtime says {@code durable=false} when a write failed, and {@code true} when a later write worked. A node
     * whose generations are not durable stands down: it claims, acknowledges and starts nothing.
     */
    record GenerationsDurable(boolean durable, String reason) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.generationsDurable(this);
        }
    }

    /**
     * Two incarnations of one node id were heard at once: a second copy of {@code node} runs (started twice, a
     * cloned machine). When {@code node} is this node, the copy with incarnation {@code newer} stands down.
     */
    record DuplicateNode(String node, long older, long newer) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.duplicateNode(this);
        }
    }

    /** An administrator command, identified so that its answer can be matched. */
    record Command(long id, Kind kind, String group, String target) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.command(this);
        }

        /**
         * The commands. {@code PROMOTE_DR_PREVIEW}, {@code PROMOTE_DR} and {@code PROMOTE_DR_FENCE} are the
         * operator's {@code promote-dr} of the DR node {@code target} (see {@code DisasterRecovery}): the data at
         * risk only; confirmed; confirmed with the primary site's nodes fenced by the operator.
         */
        public enum Kind { SWITCHOVER, SWITCHBACK, MAINTENANCE_ON, MAINTENANCE_OFF, CLEAR, PROMOTE_DR_PREVIEW, PROMOTE_DR,
            PROMOTE_DR_FENCE }
    }

    /**
     * The coordination service granted this node the lease of {@code group} it asked for ({@link Action.AcquireLease}),
     * with {@code token}: the lease's creation zxid, monotonic over the ensemble's life, the group's next generation.
     */
    record LeaseGranted(String group, long token) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.leaseGranted(this);
        }
    }

    /** This node no longer holds the lease of {@code group} (deleted, or its session expired). */
    record LeaseLost(String group, String reason) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.leaseLost(this);
        }
    }

    /**
     * The session with the coordination service is suspended (the connection was lost): its leases may expire on the
     * server at any moment, so the node stops its groups at once and acts on none until it is verified again.
     */
    record SessionSuspended(String reason) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.sessionSuspended(this);
        }
    }

    /**
     * A probe (a one-off check the runtime runs of every resource at node start and when a peer joins) found
     * {@code resource} of {@code group} running on this node; {@code reason} is what the probe said.
     */
    record FoundRunning(String group, String resource, String reason) implements Input {
        @Override
        public void dispatch(Handler h) {
            h.foundRunning(this);
        }
    }

    /**
     * The session with the coordination service is (re)connected and verified: {@code leases} are the groups whose
     * lease node's ephemeral owner was checked to be this node's session, with their tokens. The node may act again;
     * a group it runs that is not in {@code leases} was lost.
     */
    record SessionVerified(java.util.Map<String, Long> leases) implements Input {
        public SessionVerified {
            leases = leases == null ? java.util.Map.of() : java.util.Map.copyOf(leases);
        }

        @Override
        public void dispatch(Handler h) {
            h.sessionVerified(this);
        }
    }
}
