package org.tandemha.core.agents;

import java.nio.file.Files;
import java.nio.file.Path;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Resource;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.Execution;

/** An LSB init script. */
final class LsbResource implements Resource, Checker {
    private final String id;
    private final Path script;
    private final Path log;

    LsbResource(String id, Path script, Path log) {
        this.id = id;
        this.script = script;
        this.log = log;
    }

    private boolean installed() {
        return Files.isRegularFile(script) && Files.isExecutable(script);
    }

    private Execution run(String action, ActionContext context, boolean keepChildren) {
        // an init script's daemon usually detaches itself; one started with '&' stays in the script's session
        Command c = Command.of(script.toString(), action).withEnvironment(Params.actionEnv(context, action));
        if (keepChildren) {
            try {
                Files.createDirectories(log.toAbsolutePath().getParent());
                c = c.withLogFile(log);
            } catch (java.io.IOException e) {
                // output to a temporary file then
            }
        }
        return Params.run(c, context, keepChildren);
    }

    @Override
    public ActionResult start(ActionContext context) {
        if (!installed()) {
            return ActionResult.notInstalled(id + ": init script " + script + " not found or not executable on this node; "
                    + "install the service or fix params.script");
        }
        return ExitCodes.lsbAction(id + ": " + script + " start", "start", run("start", context, true));
    }

    @Override
    public ActionResult stop(ActionContext context) {
        if (!installed()) {
            return ActionResult.done(id + ": init script " + script + " is not installed, so its service is not running");
        }
        return ExitCodes.lsbAction(id + ": " + script + " stop", "stop", run("stop", context, false));
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        if (!installed()) {
            return CheckResult.failed(Severity.HARD, id + ": init script " + script + " not found or not executable on this node");
        }
        return ExitCodes.lsbStatus(id + ": " + script + " status", run("status", context, false));
    }
}
