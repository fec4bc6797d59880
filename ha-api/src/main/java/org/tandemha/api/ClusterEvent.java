package org.tandemha.api;

import java.time.Instant;
import java.util.Map;

/**
 * Something an operator may want to know, with its reasons. Events flow out of the node in order; subscribe with
 * {@link ClusterNode#subscribe}.
 *
 * @param sequence a number that increases by one for each event of this node
 * @param time     wall-clock time, for display only
 * @param kind     what it is about
 * @param level    how much it matters
 * @param node     the node that reports it
 * @param group    the group concerned, or {@code null}
 * @param resource the resource concerned, or {@code null}
 * @param message  a sentence for people, with the reasons and timings
 * @param details  machine-readable details (peer, generation, duration in ms, verdict...)
 */
public record ClusterEvent(long sequence, Instant time, EventKind kind, Level level, String node, String group,
                           String resource, String message, Map<String, String> details) {

    /** How much an event matters. */
    public enum Level {
        /** Normal operation. */
        INFO,
        /** Redundancy lost or a fault recovered locally: look at it soon. */
        WARNING,
        /** A group is down or in an unsafe state: act now. */
        ERROR
    }

    /** Copies the details; no details is an empty map. */
    public ClusterEvent {
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    @Override
    public String toString() {
        return "[" + node + "] " + kind + (group == null ? "" : " " + group + (resource == null ? "" : "/" + resource))
                + ": " + message;
    }
}
