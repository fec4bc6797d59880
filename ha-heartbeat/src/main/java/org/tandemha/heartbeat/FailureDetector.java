package org.tandemha.heartbeat;

import java.util.Locale;
import org.tandemha.api.PathState;

/**
 * The failure detector of one path to one peer: pure arithmetic on injected monotonic time (nanoseconds), no clock,
 * no thread. Tested table-driven in {@code FailureDetectorTest}.
 *
 * <p>Transitions:
 * <pre>
 *  state    event                                    next     reported
 *  UNKNOWN  heard                                    UP       "heartbeat heard"
 *  UNKNOWN  tick, now - start  >= interval*misses    DOWN     "no heartbeat heard in N ms since start"
 *  UP       heard                                    UP       -
 *  UP       tick, now - last   >= interval*misses    DOWN     "3 heartbeats missed, last seen 612 ms ago"
 *  DOWN     heard                                    UP       "heartbeat heard again after N ms"
 *  DOWN     tick                                     DOWN     -
 *  any      stalled(now)     (our own thread was late)        no DOWN before now + interval
 * </pre>
 *
 * Loss is an exponentially weighted average over the last ~20 heartbeats, fed with the gaps in the per-path
 * sequence numbers.
 */
final class FailureDetector {
    /** What a call changed. */
    enum Change { NONE, UP, DOWN }

    private static final double ALPHA = 0.05;

    private final long intervalNanos;
    private final int misses;
    private final long startNanos;
    private PathState state = PathState.UNKNOWN;
    private long lastHeard = Long.MIN_VALUE;
    private long downAt;
    private long notBefore = Long.MIN_VALUE;
    private long lastPathSeq = -1;
    private double loss;

    FailureDetector(long intervalNanos, int misses, long startNanos) {
        if (intervalNanos <= 0 || misses < 1) {
            throw new IllegalArgumentException("interval must be positive and misses at least 1");
        }
        this.intervalNanos = intervalNanos;
        this.misses = misses;
        this.startNanos = startNanos;
    }

    PathState state() {
        return state;
    }

    long timeoutNanos() {
        return intervalNanos * misses;
    }

    /** A heartbeat arrived at {@code now}, carrying the sender's per-path sequence number (or -1). */
    Change heard(long now, long pathSeq) {
        if (pathSeq >= 0) {
            if (lastPathSeq >= 0 && pathSeq > lastPathSeq) {
                long gap = Math.min(pathSeq - lastPathSeq - 1, 100);
                for (long i = 0; i < gap; i++) {
                    loss += ALPHA * (1 - loss);
                }
            }
            if (pathSeq > lastPathSeq || lastPathSeq < 0) {
                lastPathSeq = pathSeq;
            }
        }
        loss *= 1 - ALPHA;
        lastHeard = now;
        if (state == PathState.UP) {
            return Change.NONE;
        }
        state = PathState.UP;
        return Change.UP;
    }

    /** The sender restarted: its per-path sequence numbers start again. */
    void resetSequence() {
        lastPathSeq = -1;
    }

    /** Time passes; returns DOWN when the miss count is reached. */
    Change tick(long now) {
        if (state == PathState.DOWN || now < notBefore) {
            return Change.NONE;
        }
        long since = lastHeard == Long.MIN_VALUE ? startNanos : lastHeard;
        if (now - since >= timeoutNanos()) {
            state = PathState.DOWN;
            downAt = now;
            return Change.DOWN;
        }
        return Change.NONE;
    }

    /** Our own heartbeat thread was stalled: do not accuse the peer before one more interval has passed. */
    void stalled(long now) {
        notBefore = Math.max(notBefore, now + intervalNanos);
    }

    /** The nanosecond at which this detector would go down if nothing is heard, for scheduling. */
    long deadline() {
        long since = lastHeard == Long.MIN_VALUE ? startNanos : lastHeard;
        return Math.max(since + timeoutNanos(), notBefore);
    }

    /** Why the path is down, for the event: "3 heartbeats missed, last seen 612 ms ago". */
    String downReason(long now) {
        if (lastHeard == Long.MIN_VALUE) {
            return "no heartbeat heard in " + ms(now - startNanos) + " ms since start";
        }
        long silent = now - lastHeard;
        long missed = Math.max(misses, silent / intervalNanos);
        return missed + " heartbeats missed, last seen " + ms(silent) + " ms ago";
    }

    /** Why the path is up, for the event. */
    String upReason(long now) {
        if (downAt == 0 && lastPathSeq <= 0) {
            return "heartbeat heard";
        }
        return downAt == 0 ? "heartbeat heard" : "heartbeat heard again after " + ms(now - downAt) + " ms down";
    }

    /** Recent loss in percent; 100 while down. */
    double lossPercent() {
        return state == PathState.DOWN ? 100.0 : Math.round(loss * 1000) / 10.0;
    }

    long lastHeardNanos() {
        return lastHeard;
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%d", nanos / 1_000_000);
    }
}
