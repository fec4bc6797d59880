package org.tandemha.api;

import java.util.Objects;

/**
 * An arbiter's answer to "is my silent peer dead?".
 *
 * @param answer what the arbiter says
 * @param reason why, for the operator ("witness last heard node2 2.1 s ago", "SCSI preempt won")
 */
public record Verdict(Answer answer, String reason) {

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

    public Verdict {
        Objects.requireNonNull(answer, "answer");
        reason = reason == null ? "" : reason;
    }

    /** Convenience factory. */
    public static Verdict of(Answer answer, String reason) {
        return new Verdict(answer, reason);
    }

    @Override
    public String toString() {
        return answer + ": " + reason;
    }
}
