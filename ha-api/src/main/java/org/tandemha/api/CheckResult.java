package org.tandemha.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The result of a quick or deep check.
 *
 * @param health   what the check found
 * @param severity for a failure, where a retry is allowed
 * @param reason   a short sentence an operator can read
 * @param duration how long the check took
 * @param output   the last lines of output of a failed check command; empty if none
 */
public record CheckResult(Health health, Severity severity, String reason, Duration duration, List<String> output) {

    /** What a check found. "Not running" is not "failed": it is the answer of a cleanly stopped resource. */
    public enum Health {
        /** Running and healthy. */
        OK,
        /** Running, with a problem worth showing; no action is taken. */
        DEGRADED,
        /** Cleanly stopped. For a resource that should run, a failure. */
        NOT_RUNNING,
        /** Running but broken, or in an unknown state. */
        FAILED,
        /** The check did not answer before its timeout (a stuck process, for example). */
        TIMEOUT;

        /** Whether the engine treats this as healthy (OK or DEGRADED). */
        public boolean healthy() {
            return this == OK || this == DEGRADED;
        }
    }

    /** Fills defaults: a SOFT severity and an empty reason when not given. */
    public CheckResult {
        Objects.requireNonNull(health, "health");
        severity = severity == null ? Severity.SOFT : severity;
        reason = reason == null ? "" : reason;
        duration = duration == null ? Duration.ZERO : duration;
        output = output == null ? List.of() : List.copyOf(output);
    }

    /** Healthy. */
    public static CheckResult ok(String reason) {
        return new CheckResult(Health.OK, Severity.SOFT, reason, Duration.ZERO, List.of());
    }

    /** Healthy, with a problem worth showing. */
    public static CheckResult degraded(String reason) {
        return new CheckResult(Health.DEGRADED, Severity.SOFT, reason, Duration.ZERO, List.of());
    }

    /** Cleanly stopped. */
    public static CheckResult notRunning(String reason) {
        return new CheckResult(Health.NOT_RUNNING, Severity.SOFT, reason, Duration.ZERO, List.of());
    }

    /** A soft failure. */
    public static CheckResult failed(String reason) {
        return failed(Severity.SOFT, reason);
    }

    /** A failure of the given severity. */
    public static CheckResult failed(Severity severity, String reason) {
        return new CheckResult(Health.FAILED, severity, reason, Duration.ZERO, List.of());
    }

    /** No answer before the timeout. */
    public static CheckResult timeout(Duration after) {
        return new CheckResult(Health.TIMEOUT, Severity.SOFT, "timeout after " + Durations.format(after), after, List.of());
    }

    /** Whether the resource counts as healthy. */
    public boolean healthy() {
        return health.healthy();
    }

    /** A copy with another duration. */
    public CheckResult withDuration(Duration newDuration) {
        return new CheckResult(health, severity, reason, newDuration, output);
    }

    /** A copy with the last lines of output attached. */
    public CheckResult withOutput(List<String> lines) {
        return new CheckResult(health, severity, reason, duration, lines);
    }

    @Override
    public String toString() {
        return health + (healthy() || health == Health.NOT_RUNNING ? "" : "/" + severity) + ": " + reason;
    }
}
