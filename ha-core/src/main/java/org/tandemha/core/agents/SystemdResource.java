package org.tandemha.core.agents;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;

/** A systemd unit driven through systemctl. */
final class SystemdResource implements Resource, Checker {
    private final String id;
    private final String unit;
    /** Exists when systemd runs as init (what sd_booted(3) tests). */
    private final Path bootedMarker;

    SystemdResource(String id, String unit, Path bootedMarker) {
        this.id = id;
        this.unit = unit;
        this.bootedMarker = bootedMarker;
    }

    /** Why systemd cannot be used here, or null. */
    private String unavailable() {
        if (!Files.isDirectory(bootedMarker)) {
            return "systemd is not running on this host (no " + bootedMarker + ")";
        }
        if (CommandRunner.find("systemctl", null).isEmpty()) {
            return "systemctl is not installed on this host";
        }
        return null;
    }

    private Execution systemctl(ActionContext context, String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("systemctl", "--no-ask-password"));
        argv.addAll(List.of(args));
        return Params.run(Command.of(argv), context, false);
    }

    @Override
    public ActionResult start(ActionContext context) {
        String why = unavailable();
        if (why != null) {
            return ActionResult.notInstalled(id + ": cannot start " + unit + ": " + why
                    + "; use type lsb or process for this host");
        }
        Execution e = systemctl(context, "start", unit);
        if (!e.notFound() && !e.timedOut() && e.exitCode() == 5) {
            return ActionResult.notInstalled(id + ": unit " + unit + " is not installed on this node: " + ExitCodes.last(e.tail()))
                    .withDuration(e.duration()).withOutput(e.tail());
        }
        return ExitCodes.scriptAction(id + ": systemctl start " + unit, false, e);
    }

    @Override
    public ActionResult stop(ActionContext context) {
        String why = unavailable();
        if (why != null && !Files.isDirectory(bootedMarker)) {
            return ActionResult.done(id + ": " + unit + " not running: " + why);
        }
        if (why != null) {
            return ActionResult.notInstalled(id + ": cannot stop " + unit + ": " + why);
        }
        Execution e = systemctl(context, "stop", unit);
        if (!e.notFound() && !e.timedOut() && e.exitCode() == 5) {
            return ActionResult.done(id + ": " + unit + " not loaded, so not running").withDuration(e.duration());
        }
        return ExitCodes.scriptAction(id + ": systemctl stop " + unit, true, e);
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        String why = unavailable();
        if (why != null) {
            return CheckResult.failed(Severity.HARD, id + ": cannot check " + unit + ": " + why);
        }
        Execution e = systemctl(context, "is-active", unit);
        if (e.notFound() || e.timedOut()) {
            return ExitCodes.scriptCheck(id + ": systemctl is-active " + unit, e);
        }
        String state = e.tail().isEmpty() ? "" : e.tail().get(e.tail().size() - 1).trim();
        return activeState(id + ": " + unit, state).withDuration(e.duration()).withOutput(e.exitCode() == 0 ? List.of() : e.tail());
    }

    /** Maps systemd's ActiveState. */
    static CheckResult activeState(String what, String state) {
        return switch (state) {
            case "active", "reloading", "refreshing" -> CheckResult.ok(what + " is " + state);
            case "activating", "deactivating" -> CheckResult.degraded(what + " is " + state);
            case "inactive" -> CheckResult.notRunning(what + " is inactive");
            case "failed" -> CheckResult.failed(what + " has failed (see journalctl -u " + what.substring(what.indexOf(' ') + 1) + ")");
            default -> CheckResult.failed(what + ": unexpected state '" + state + "'");
        };
    }
}
