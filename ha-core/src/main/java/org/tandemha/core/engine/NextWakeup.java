package org.tandemha.core.engine;

/**
 * The earliest of the times offered that lies after {@code now}: how the engine finds its next wake-up without
 * building (and boxing) a list of every time it knows, once per input (a thousand resources' checks make that a
 * few million boxed times a second).
 */
final class NextWakeup {
    private final long now;
    private long earliest = Long.MAX_VALUE;

    NextWakeup(long now) {
        this.now = now;
    }

    /** Offers a time; only those after {@code now} count (a past one would spin the caller). */
    void add(long t) {
        if (t > now && t < earliest) {
            earliest = t;
        }
    }

    long earliest() {
        return earliest;
    }
}
