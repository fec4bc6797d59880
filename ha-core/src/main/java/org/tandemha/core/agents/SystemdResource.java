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

/**
 * A systemd unit driven through systemctl. While Tandem manages the unit, a drop-in
 * ({@code /run/systemd/system/<unit>.d/50-tandem.conf}, gone at reboot) sets {@code Restart=no}: systemd must not
 * restart on its own what the cluster may be starting elsewhere (Pacemaker does the same). A unit enabled at boot
 * would start on every node at boot, outside the cluster's control: start says so in its result and in the log.
 */
final class SystemdResource implements Resource, Checker {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SystemdResource.class);
    static final String DROP_IN = "50-tandem.conf";

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
        try {
            if (writeDropIn(bootedMarker, unit, id)) {
                Execution reload = systemctl(context, "daemon-reload");
                if (!reload.ok()) {
                    return ExitCodes.scriptAction(id + ": systemctl daemon-reload (after writing the drop-in "
                            + dropInPath(bootedMarker, unit) + ")", false, reload);
                }
            }
        } catch (java.io.IOException ex) {
            return ActionResult.failed(Severity.HARD, id + ": cannot write " + dropInPath(bootedMarker, unit) + " (Restart=no"
                    + " while Tandem manages " + unit + "): " + ex.getMessage() + "; Tandem must run as root to manage units");
        }
        Execution enabled = systemctl(context, "is-enabled", unit);
        String bootState = enabled.tail().isEmpty() ? "" : enabled.tail().get(enabled.tail().size() - 1).trim();
        Execution e = systemctl(context, "start", unit);
        if (!e.notFound() && !e.timedOut() && e.exitCode() == 5) {
            return ActionResult.notInstalled(id + ": unit " + unit + " is not installed on this node: " + ExitCodes.last(e.tail()))
                    .withDuration(e.duration()).withOutput(e.tail());
        }
        ActionResult r = ExitCodes.scriptAction(id + ": systemctl start " + unit, false, e);
        String warning = bootWarning(unit, bootState);
        if (warning != null) {
            LOG.warn("{}: {}", id, warning);
            r = r.withReason(r.reason() + "; " + warning);
        }
        return r;
    }

    /** The warning for a unit systemd starts at boot, or null. */
    static String bootWarning(String unit, String isEnabled) {
        return switch (isEnabled) {
            case "enabled", "enabled-runtime", "alias" -> "warning: " + unit + " is enabled at boot, so it starts on every"
                    + " node outside the cluster's control; run 'systemctl disable " + unit + "' on every node";
            default -> null;
        };
    }

    static Path dropInPath(Path runtimeDir, String unit) {
        return runtimeDir.resolve(unit + ".d").resolve(DROP_IN);
    }

    /** Writes the drop-in (only {@code .service} units take {@code Restart=}); true if it was written or changed. */
    static boolean writeDropIn(Path runtimeDir, String unit, String resourceId) throws java.io.IOException {
        String text = "# Written by Tandem: resource " + resourceId + " manages this unit on this node; systemd must not"
                + " restart it on its own.\n# In /run: it is gone at reboot.\n"
                + "[Unit]\nDescription=Cluster-controlled " + unit + " (Tandem resource " + resourceId + ")\n"
                + (unit.endsWith(".service") ? "\n[Service]\nRestart=no\n" : "");
        Path file = dropInPath(runtimeDir, unit);
        if (Files.isRegularFile(file) && Files.readString(file).equals(text)) {
            return false;
        }
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(DROP_IN + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
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
