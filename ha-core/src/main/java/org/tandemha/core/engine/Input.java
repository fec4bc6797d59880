package org.tandemha.core.engine;

import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Verdict;

/** Everything that can happen to a node's engine. The engine is a function of its state and these. */
public sealed interface Input {
    /** Time passed (also the wake-up the engine asked for with {@link Engine#nextWakeup()}). */
    record Tick() implements Input { }

    /**
     * Starts the engine: clean-up of leftovers, then the cluster decides. {@code generations} are the group
     * generations this node knew when it last ran (see {@link Engine#knownGenerations()}), so that generations
     * keep growing across restarts of the whole cluster. {@code incarnation} is this process's heartbeat
     * incarnation (0 when unknown): it tells a node which of two copies of itself it is.
     */
    record Boot(java.util.Map<String, Long> generations, long incarnation) implements Input {
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
    record Shutdown() implements Input { }

    record PeerReachable(String peer, long incarnation) implements Input { }

    record PeerUnreachable(String peer, String reason) implements Input { }

    record PeerState(String peer, long incarnation, Announcement announcement) implements Input { }

    record PeerMessage(String peer, Wire.Message message) implements Input { }

    /** A resource action (start, stop, recover) finished. */
    record ActionDone(long id, ActionResult result) implements Input { }

    /** A check finished. */
    record CheckDone(long id, CheckResult result) implements Input { }

    /** The safety check about a silent peer reached a verdict. */
    record SafetyDone(long id, String peer, Verdict verdict) implements Input { }

    /** Fencing a peer finished. */
    record FenceDone(long id, String peer, ActionResult result) implements Input { }

    /** The node finds it was frozen (a long pause, SIGSTOP, a clock jump) for {@code pausedMs}. */
    record Resumed(long pausedMs) implements Input { }

    /** A quorum device (a witness) became reachable or unreachable from this node. */
    record QuorumDevice(String device, boolean reachable) implements Input { }

    /** A plugin publishes a fact about this node to its peers. */
    record Fact(String key, String value) implements Input { }

    /** A plugin found this node fenced off shared storage. */
    record SelfFenced(String reason) implements Input { }

    /**
     * Whether the generations this node knows could be made durable (written ahead to its state directory). The
     * runtime says {@code durable=false} when a write failed, and {@code true} when a later write worked. A node
     * whose generations are not durable stands down: it claims, acknowledges and starts nothing.
     */
    record GenerationsDurable(boolean durable, String reason) implements Input { }

    /**
     * Two incarnations of one node id were heard at once: a second copy of {@code node} runs (started twice, a
     * cloned machine). When {@code node} is this node, the copy with incarnation {@code newer} stands down.
     */
    record DuplicateNode(String node, long older, long newer) implements Input { }

    /** An administrator command, identified so that its answer can be matched. */
    record Command(long id, Kind kind, String group, String target) implements Input {
        public enum Kind { SWITCHOVER, SWITCHBACK, MAINTENANCE_ON, MAINTENANCE_OFF, CLEAR }
    }
}
