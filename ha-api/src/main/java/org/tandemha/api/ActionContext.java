package org.tandemha.api;

import java.time.Duration;

/**
 * What an action or check is for and how long it may take.
 *
 * @param node          the local node id
 * @param group         the group the resource belongs to
 * @param resource      the resource id
 * @param generation    the group's generation (a fencing token that grows at each takeover)
 * @param timeout       the time this action may take
 * @param deadlineNanos the deadline on the {@link System#nanoTime()} scale
 */
public record ActionContext(String node, String group, String resource, long generation,
                            Duration timeout, long deadlineNanos) {

    /** A context whose deadline is {@code timeout} from now, for use outside the engine (tests, tools). */
    public static ActionContext of(String node, String group, String resource, Duration timeout) {
        return new ActionContext(node, group, resource, 0, timeout, System.nanoTime() + timeout.toNanos());
    }

    /** The same action with a shorter deadline: {@code timeout} from now, but never past this one's deadline. */
    public ActionContext withTimeout(Duration shorter) {
        long d = Math.min(deadlineNanos, System.nanoTime() + shorter.toNanos());
        return new ActionContext(node, group, resource, generation, shorter, d);
    }

    /** The time left before the deadline, never negative. */
    public Duration remaining() {
        long left = deadlineNanos - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /** Whether the deadline has passed. */
    public boolean expired() {
        return deadlineNanos - System.nanoTime() <= 0;
    }

    /** The deadline, as a duration from now (alias of {@link #remaining()}). */
    public Duration deadline() {
        return remaining();
    }
}
