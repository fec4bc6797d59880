package org.tandemha.core.runtime;

import java.time.Instant;

/**
 * A node's engine time: milliseconds of the monotonic clock since the runtime was built, and the wall time they stand
 * for. The wall time is a fixed offset ({@link #wallBase()}, the wall clock in epoch milliseconds at engine time 0)
 * taken once, so an event's time stamp is a pure function of the engine time it was decided at: a journal of the
 * inputs and their engine times replays the same events, with the same time stamps. The price: a wall clock set
 * (by NTP or by hand) while the node runs is not followed; the monotonic clock is.
 */
final class EngineClock {
    private final long t0 = System.nanoTime();
    private final long wallBase = System.currentTimeMillis();

    /** Engine time: milliseconds since this clock was made, on the monotonic clock. */
    long now() {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** The wall clock in epoch milliseconds at engine time 0. */
    long wallBase() {
        return wallBase;
    }

    /** The wall time of an engine time. */
    Instant wallTime(long engineMs) {
        return Instant.ofEpochMilli(wallBase + engineMs);
    }
}
