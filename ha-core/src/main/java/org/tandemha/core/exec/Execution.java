package org.tandemha.core.exec;

import java.time.Duration;
import java.util.List;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Durations;
import org.tandemha.api.Severity;

/**
 * How a command ended.
 *
 * @param command  what ran
 * @param exitCode its exit code, or -1 if it did not exit by itself
 * @param timedOut whether it was killed at its deadline (its whole process group with it)
 * @param notFound whether the program does not exist or cannot be executed
 * @param duration how long it ran
 * @param tail     the last lines of its output (stdout and stderr together)
 */
public record Execution(Command command, int exitCode, boolean timedOut, boolean notFound, Duration duration,
                        List<String> tail) {

    public boolean ok() {
        return !timedOut && !notFound && exitCode == 0;
    }

    /** A one-line description: "exit 3", "timeout after 20 s", "not found". */
    public String describe() {
        if (notFound) {
            return "'" + command.argv().get(0) + "' not found or not executable";
        }
        if (timedOut) {
            return "timeout after " + Durations.format(duration);
        }
        String last = tail.isEmpty() ? "" : ": " + tail.get(tail.size() - 1);
        return "exit " + exitCode + last;
    }

    /** Maps to an action result: exit 0 is success, anything else a soft failure, with the output attached. */
    public ActionResult toActionResult(String what) {
        if (notFound) {
            return ActionResult.notInstalled(what + ": " + describe()).withDuration(duration);
        }
        if (timedOut) {
            return ActionResult.timeout(duration).withReason(what + ": timeout after " + Durations.format(duration)).withOutput(tail);
        }
        if (exitCode == 0) {
            return ActionResult.done(what + ": ok").withDuration(duration);
        }
        return ActionResult.failed(Severity.SOFT, what + ": " + describe()).withDuration(duration).withOutput(tail);
    }

    /** Maps to a check result with the script convention: 0 ok, 7 not running, anything else failed. */
    public CheckResult toCheckResult(String what) {
        if (notFound) {
            return CheckResult.failed(Severity.HARD, what + ": " + describe()).withDuration(duration);
        }
        if (timedOut) {
            return CheckResult.timeout(duration).withOutput(tail);
        }
        return switch (exitCode) {
            case 0 -> CheckResult.ok(what + ": ok").withDuration(duration);
            case 7 -> CheckResult.notRunning(what + ": not running").withDuration(duration);
            default -> CheckResult.failed(what + ": " + describe()).withDuration(duration).withOutput(tail);
        };
    }
}
