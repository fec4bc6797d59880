package org.tandemha.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The result of a resource action (start, stop, recover, fence): an execution outcome, how bad a failure is,
 * a reason an operator can read, how long it took, and the last lines of output of a failed command.
 *
 * @param outcome  what happened
 * @param severity for a failure, where a retry is allowed; {@link Severity#SOFT} for success
 * @param reason   a short sentence: what happened and, for a failure, what to do
 * @param duration how long the action took (zero if unknown)
 * @param output   the last lines of output of a failed command, oldest first; empty if none
 */
public record ActionResult(Outcome outcome, Severity severity, String reason, Duration duration, List<String> output) {

    /** How an action ended. */
    public enum Outcome {
        /** It did what it was asked. */
        DONE,
        /** It ran and failed. */
        ERROR,
        /** It did not finish before its deadline; its process tree was killed. */
        TIMEOUT,
        /** What it needs (a binary, a library, a device) is not on this node. */
        NOT_INSTALLED,
        /** It was cancelled before it finished (node shutting down). */
        CANCELLED
    }

    /** Fills defaults: a SOFT severity, an empty reason, a zero duration and no output when not given. */
    public ActionResult {
        Objects.requireNonNull(outcome, "outcome");
        severity = severity == null ? Severity.SOFT : severity;
        reason = reason == null ? "" : reason;
        duration = duration == null ? Duration.ZERO : duration;
        output = output == null ? List.of() : List.copyOf(output);
    }

    /** Success. */
    public static ActionResult done(String reason) {
        return new ActionResult(Outcome.DONE, Severity.SOFT, reason, Duration.ZERO, List.of());
    }

    /** A failure of the given severity. */
    public static ActionResult failed(Severity severity, String reason) {
        return new ActionResult(Outcome.ERROR, severity, reason, Duration.ZERO, List.of());
    }

    /** A soft failure: local retry allowed. */
    public static ActionResult failed(String reason) {
        return failed(Severity.SOFT, reason);
    }

    /** A timeout after {@code after}. */
    public static ActionResult timeout(Duration after) {
        return new ActionResult(Outcome.TIMEOUT, Severity.SOFT, "timeout after " + Durations.format(after), after, List.of());
    }

    /** A missing prerequisite (binary, library, device); a hard failure on this node. */
    public static ActionResult notInstalled(String reason) {
        return new ActionResult(Outcome.NOT_INSTALLED, Severity.HARD, reason, Duration.ZERO, List.of());
    }

    /** Cancelled before it finished. */
    public static ActionResult cancelled(String reason) {
        return new ActionResult(Outcome.CANCELLED, Severity.SOFT, reason, Duration.ZERO, List.of());
    }

    /** Whether the action succeeded. */
    public boolean isDone() {
        return outcome == Outcome.DONE;
    }

    /** A copy with another reason. */
    public ActionResult withReason(String newReason) {
        return new ActionResult(outcome, severity, newReason, duration, output);
    }

    /** A copy with another duration. */
    public ActionResult withDuration(Duration newDuration) {
        return new ActionResult(outcome, severity, reason, newDuration, output);
    }

    /** A copy with the last lines of output attached. */
    public ActionResult withOutput(List<String> lines) {
        return new ActionResult(outcome, severity, reason, duration, lines);
    }

    @Override
    public String toString() {
        return outcome + (outcome == Outcome.DONE ? "" : "/" + severity) + ": " + reason
                + (duration.isZero() ? "" : " (" + Durations.format(duration) + ")");
    }
}
