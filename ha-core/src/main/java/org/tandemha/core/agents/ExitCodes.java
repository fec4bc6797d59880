package org.tandemha.core.agents;

import java.util.List;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Durations;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Execution;

/**
 * How exit codes become results, for each kind of program. Pure functions, tested over every code 0..255.
 *
 * <p>For every kind: a program that cannot be found or run is {@code NOT_INSTALLED} (an action) or a
 * {@link Severity#HARD} failed check; a timeout is {@code TIMEOUT} with "timeout after N s" and the output.
 *
 * <table>
 *   <caption>Exit codes</caption>
 *   <tr><th>kind</th><th>action</th><th>codes</th></tr>
 *   <tr><td>script</td><td>start, recover</td><td>0 done; anything else a soft failure</td></tr>
 *   <tr><td>script</td><td>stop</td><td>0 or 7 done; anything else a soft failure</td></tr>
 *   <tr><td>script</td><td>checks</td><td>0 ok; 7 not running; anything else a soft failure</td></tr>
 *   <tr><td>ocf, lsb</td><td>start, stop, ...</td><td>0 done (stop: 7 too; start: 190 too, degraded);
 *       2, 3, 4 hard; 5 not installed (hard); 6 fatal; 1 and every other code soft</td></tr>
 *   <tr><td>ocf</td><td>monitor</td><td>0 ok; 7 not running; 190 degraded; 8, 9 and 191 (promoted roles: the
 *       resource is not in a promotable group, so the agent's answer is an error, as Pacemaker treats it) soft;
 *       2, 3, 4, 5 hard; 6 fatal; 1 and every other code soft</td></tr>
 *   <tr><td>ocf, promotable</td><td>monitor</td><td>8 ok (promoted); 191 degraded (promoted); 9 soft (failed
 *       promoted); the rest as for ocf</td></tr>
 *   <tr><td>lsb</td><td>status</td><td>0 ok; 1, 2 (dead, a pid or lock file left) and 3 not running (as
 *       Pacemaker maps them); 150 not installed and 151 insufficient privilege (hard); 4 (unknown) and every
 *       other code soft failures</td></tr>
 * </table>
 */
final class ExitCodes {
    static final int OCF_SUCCESS = 0;
    static final int OCF_ERR_GENERIC = 1;
    static final int OCF_ERR_ARGS = 2;
    static final int OCF_ERR_UNIMPLEMENTED = 3;
    static final int OCF_ERR_PERM = 4;
    static final int OCF_ERR_INSTALLED = 5;
    static final int OCF_ERR_CONFIGURED = 6;
    static final int OCF_NOT_RUNNING = 7;
    static final int OCF_RUNNING_PROMOTED = 8;
    static final int OCF_FAILED_PROMOTED = 9;
    static final int OCF_DEGRADED = 190;
    static final int OCF_DEGRADED_PROMOTED = 191;
    /** LSB status codes 150-199 are reserved for applications; Pacemaker (and so Tandem) gives two a meaning. */
    static final int LSB_NOT_INSTALLED = 150;
    static final int LSB_INSUFFICIENT_PRIV = 151;

    private ExitCodes() {
    }

    /** The OCF name of a code, for reasons. */
    static String ocfName(int code) {
        return switch (code) {
            case OCF_SUCCESS -> "success";
            case OCF_ERR_GENERIC -> "generic error";
            case OCF_ERR_ARGS -> "invalid arguments";
            case OCF_ERR_UNIMPLEMENTED -> "unimplemented action";
            case OCF_ERR_PERM -> "insufficient privileges";
            case OCF_ERR_INSTALLED -> "not installed";
            case OCF_ERR_CONFIGURED -> "not configured";
            case OCF_NOT_RUNNING -> "not running";
            case OCF_RUNNING_PROMOTED -> "running promoted";
            case OCF_FAILED_PROMOTED -> "failed promoted";
            case OCF_DEGRADED -> "degraded";
            case OCF_DEGRADED_PROMOTED -> "degraded promoted";
            default -> "unknown code";
        };
    }

    /** The severity of a failing OCF (or LSB action) code: 2-5 hard, 6 fatal, everything else soft. */
    static Severity ocfSeverity(int code) {
        return switch (code) {
            case OCF_ERR_ARGS, OCF_ERR_UNIMPLEMENTED, OCF_ERR_PERM, OCF_ERR_INSTALLED -> Severity.HARD;
            case OCF_ERR_CONFIGURED -> Severity.FATAL;
            default -> Severity.SOFT;
        };
    }

    // ---- script ------------------------------------------------------------------------------------------------

    /** A script action: 0 done (stop: 7 too), anything else a soft failure. */
    static ActionResult scriptAction(String what, boolean stop, Execution e) {
        ActionResult pre = preAction(what, e);
        if (pre != null) {
            return pre;
        }
        if (e.exitCode() == 0) {
            return ActionResult.done(what + ": ok").withDuration(e.duration());
        }
        if (stop && e.exitCode() == 7) {
            return ActionResult.done(what + ": not running").withDuration(e.duration());
        }
        return failed(Severity.SOFT, what + ": exit " + e.exitCode() + last(e.tail()), e);
    }

    /** A script check: 0 ok, 7 not running, anything else a soft failure. */
    static CheckResult scriptCheck(String what, Execution e) {
        CheckResult pre = preCheck(what, e);
        if (pre != null) {
            return pre;
        }
        return switch (e.exitCode()) {
            case 0 -> CheckResult.ok(what + ": ok").withDuration(e.duration());
            case 7 -> CheckResult.notRunning(what + ": not running").withDuration(e.duration());
            default -> checkFailed(Severity.SOFT, what + ": exit " + e.exitCode() + last(e.tail()), e);
        };
    }

    // ---- OCF ---------------------------------------------------------------------------------------------------

    /** An OCF action other than monitor (start, stop, validate-all, ...). */
    static ActionResult ocfAction(String what, String action, Execution e) {
        ActionResult pre = preAction(what, e);
        if (pre != null) {
            return pre;
        }
        int code = e.exitCode();
        if (code == OCF_SUCCESS) {
            return ActionResult.done(what + ": ok").withDuration(e.duration());
        }
        if (code == OCF_NOT_RUNNING && action.equals("stop")) {
            return ActionResult.done(what + ": not running").withDuration(e.duration());
        }
        if (code == OCF_DEGRADED && action.equals("start")) {
            return ActionResult.done(what + ": running, " + ocfName(code)).withDuration(e.duration());
        }
        String reason = what + ": exit " + code + " (" + ocfName(code) + ")" + last(e.tail());
        if (code == OCF_ERR_INSTALLED) {
            return ActionResult.notInstalled(reason).withDuration(e.duration()).withOutput(e.tail());
        }
        return failed(ocfSeverity(code), reason, e);
    }

    /** An OCF monitor. */
    static CheckResult ocfCheck(String what, Execution e) {
        CheckResult pre = preCheck(what, e);
        if (pre != null) {
            return pre;
        }
        int code = e.exitCode();
        return switch (code) {
            case OCF_SUCCESS -> CheckResult.ok(what + ": running").withDuration(e.duration());
            case OCF_NOT_RUNNING -> CheckResult.notRunning(what + ": not running").withDuration(e.duration());
            case OCF_DEGRADED -> CheckResult.degraded(what + ": " + ocfName(code) + last(e.tail()))
                    .withDuration(e.duration()).withOutput(e.tail());
            case OCF_RUNNING_PROMOTED, OCF_DEGRADED_PROMOTED -> checkFailed(Severity.SOFT, what + ": exit " + code + " ("
                    + ocfName(code) + "): the agent reports a promoted role, but this resource is not promotable (its group"
                    + " has no promotable: true): an error, as in Pacemaker" + last(e.tail()), e);
            default -> checkFailed(ocfSeverity(code), what + ": exit " + code + " (" + ocfName(code) + ")" + last(e.tail()), e);
        };
    }

    /**
     * An OCF monitor of a promotable resource (a Tandem promotable group's OCF agent): 8 (running promoted) is
     * healthy, 191 (degraded promoted) degraded, 9 (failed promoted) a soft failure; the rest as {@link #ocfCheck}.
     */
    static CheckResult ocfPromotableCheck(String what, Execution e) {
        CheckResult pre = preCheck(what, e);
        if (pre != null) {
            return pre;
        }
        return switch (e.exitCode()) {
            case OCF_RUNNING_PROMOTED -> CheckResult.ok(what + ": running (promoted)").withDuration(e.duration());
            case OCF_DEGRADED_PROMOTED -> CheckResult.degraded(what + ": " + ocfName(OCF_DEGRADED_PROMOTED) + last(e.tail()))
                    .withDuration(e.duration()).withOutput(e.tail());
            case OCF_FAILED_PROMOTED -> checkFailed(Severity.SOFT, what + ": exit 9 (" + ocfName(OCF_FAILED_PROMOTED)
                    + "): the promoted instance failed" + last(e.tail()), e);
            default -> ocfCheck(what, e);
        };
    }

    // ---- LSB ---------------------------------------------------------------------------------------------------

    /** An LSB start or stop: codes 0-7 mean what they mean for OCF (LSB defined them first). */
    static ActionResult lsbAction(String what, String action, Execution e) {
        ActionResult pre = preAction(what, e);
        if (pre != null) {
            return pre;
        }
        int code = e.exitCode();
        if (code == 0) {
            return ActionResult.done(what + ": ok").withDuration(e.duration());
        }
        if (code == 7 && action.equals("stop")) {
            return ActionResult.done(what + ": not running").withDuration(e.duration());
        }
        String reason = what + ": exit " + code + " (" + lsbActionName(code) + ")" + last(e.tail());
        if (code == 5) {
            return ActionResult.notInstalled(reason).withDuration(e.duration()).withOutput(e.tail());
        }
        return failed(code >= 2 && code <= 6 ? ocfSeverity(code) : Severity.SOFT, reason, e);
    }

    static String lsbActionName(int code) {
        return switch (code) {
            case 0 -> "success";
            case 1 -> "generic or unspecified error";
            case 2 -> "invalid or excess arguments";
            case 3 -> "unimplemented feature";
            case 4 -> "user had insufficient privilege";
            case 5 -> "program is not installed";
            case 6 -> "program is not configured";
            case 7 -> "program is not running";
            default -> "unknown code";
        };
    }

    /** An LSB status: 0 running; 1, 2 (dead, a pid or lock file left) and 3 not running; 150, 151 hard; 4 unknown. */
    static CheckResult lsbStatus(String what, Execution e) {
        CheckResult pre = preCheck(what, e);
        if (pre != null) {
            return pre;
        }
        int code = e.exitCode();
        return switch (code) {
            case 0 -> CheckResult.ok(what + ": running").withDuration(e.duration());
            case 3 -> CheckResult.notRunning(what + ": not running").withDuration(e.duration());
            case 1 -> CheckResult.notRunning(what + ": not running: program is dead and its pid file exists (exit 1)"
                    + last(e.tail())).withDuration(e.duration()).withOutput(e.tail());
            case 2 -> CheckResult.notRunning(what + ": not running: program is dead and its lock file exists (exit 2)"
                    + last(e.tail())).withDuration(e.duration()).withOutput(e.tail());
            case LSB_NOT_INSTALLED -> checkFailed(Severity.HARD, what + ": program is not installed (exit 150)" + last(e.tail()), e);
            case LSB_INSUFFICIENT_PRIV -> checkFailed(Severity.HARD, what + ": insufficient privilege (exit 151)" + last(e.tail()), e);
            case 4 -> checkFailed(Severity.SOFT, what + ": program or service status is unknown (exit 4)" + last(e.tail()), e);
            default -> checkFailed(Severity.SOFT, what + ": exit " + code + " (unknown status code)" + last(e.tail()), e);
        };
    }

    // ---- shared ------------------------------------------------------------------------------------------------

    private static ActionResult preAction(String what, Execution e) {
        if (e.notFound()) {
            return ActionResult.notInstalled(what + ": " + e.describe()).withDuration(e.duration()).withOutput(e.tail());
        }
        if (e.timedOut()) {
            return ActionResult.timeout(e.duration())
                    .withReason(what + ": timeout after " + Durations.format(e.duration()) + ", its process tree was killed")
                    .withOutput(e.tail());
        }
        return null;
    }

    private static CheckResult preCheck(String what, Execution e) {
        if (e.notFound()) {
            return CheckResult.failed(Severity.HARD, what + ": " + e.describe()).withDuration(e.duration()).withOutput(e.tail());
        }
        if (e.timedOut()) {
            return new CheckResult(CheckResult.Health.TIMEOUT, Severity.SOFT,
                    what + ": timeout after " + Durations.format(e.duration()), e.duration(), e.tail());
        }
        return null;
    }

    private static ActionResult failed(Severity severity, String reason, Execution e) {
        return ActionResult.failed(severity, reason).withDuration(e.duration()).withOutput(e.tail());
    }

    private static CheckResult checkFailed(Severity severity, String reason, Execution e) {
        return CheckResult.failed(severity, reason).withDuration(e.duration()).withOutput(e.tail());
    }

    /** ": last line of output", or "" without output. */
    static String last(List<String> tail) {
        return tail.isEmpty() ? "" : ": " + tail.get(tail.size() - 1);
    }
}
