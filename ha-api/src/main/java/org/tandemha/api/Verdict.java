package org.tandemha.api;

import java.util.Objects;

/**
 * An arbiter's answer to "is my silent peer dead?".
 *
 * @param answer     what the arbiter says
 * @param reason     why, for the operator ("witness last heard node2 2.1 s ago", "SCSI preempt won")
 * @param generation the highest group generation the arbiter has seen (stored on the shared disk, granted by the
 *                   witness), or 0 if it keeps none. A node that takes over claims above it, so that generations
 *                   keep growing even when the node that took over last is gone and this one never heard of it.
 */
public record Verdict(Answer answer, String reason, long generation) {

    /** The four answers of a safety check. Keep "alive", "dead" and "don't know" apart. */
    public enum Answer {
        /** The peer is alive: nothing moves; the cluster is degraded. */
        PEER_ALIVE,
        /** The peer is dead or fenced: this node may take over. */
        PEER_DEAD,
        /** This node lost (it is the one cut off, or the peer won the race): stand down. */
        WE_LOST,
        /** No answer: wait and ask again, never take over. */
        UNKNOWN
    }

    /** Checks that the answer is given; no reason is an empty one. */
    public Verdict {
        Objects.requireNonNull(answer, "answer");
        reason = reason == null ? "" : reason;
        if (generation < 0) {
            throw new IllegalArgumentException("generation must not be negative: " + generation);
        }
    }

    /** A verdict from an arbiter that keeps no generation. */
    public Verdict(Answer answer, String reason) {
        this(answer, reason, 0);
    }

    /** Convenience factory. */
    public static Verdict of(Answer answer, String reason) {
        return new Verdict(answer, reason, 0);
    }

    /** A verdict that also reports the highest generation the arbiter has seen. */
    public static Verdict of(Answer answer, String reason, long generation) {
        return new Verdict(answer, reason, generation);
    }

    @Override
    public String toString() {
        return answer + ": " + reason;
    }
}
