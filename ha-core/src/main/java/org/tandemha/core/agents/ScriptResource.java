package org.tandemha.core.agents;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Resource;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.Execution;

/**
 * A resource made of commands. Start and recover may leave a daemon running in the background (their output goes
 * to the resource's log file, which the daemon may keep writing); stop and the checks may not: what they leave is
 * killed when they exit. Every command gets {@code TANDEM_NODE}, {@code TANDEM_GROUP}, {@code TANDEM_RESOURCE},
 * {@code TANDEM_GENERATION}, {@code TANDEM_ACTION} and {@code TANDEM_TIMEOUT_MS} in its environment.
 */
final class ScriptResource implements Resource, Checker {
    private final String id;
    private final Command start;
    private final Command stop;
    private final Command check;
    private final Command deep;
    private final Command recover;

    ScriptResource(String id, Command start, Command stop, Command check, Command deep, Command recover) {
        this.id = id;
        this.start = start;
        this.stop = stop;
        this.check = check;
        this.deep = deep;
        this.recover = recover;
    }

    private Execution run(Command c, ActionContext context, String action, boolean keepChildren) {
        Map<String, String> env = new LinkedHashMap<>(c.environment());
        env.putAll(Params.actionEnv(context, action));
        Command cmd = c.withEnvironment(env);
        if (cmd.logFile() != null) {
            try {
                Files.createDirectories(cmd.logFile().toAbsolutePath().getParent());
            } catch (IOException e) {
                cmd = cmd.withLogFile(null);
            }
        }
        return Params.run(cmd, context, keepChildren);
    }

    @Override
    public ActionResult start(ActionContext context) {
        return ExitCodes.scriptAction(id + ": start", false, run(start, context, "start", true));
    }

    @Override
    public ActionResult stop(ActionContext context) {
        return ExitCodes.scriptAction(id + ": stop", true, run(stop, context, "stop", false));
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        return ExitCodes.scriptCheck(id + ": check", run(check, context, "check", false));
    }

    @Override
    public CheckResult deepCheck(ActionContext context) {
        if (deep == null) {
            return quickCheck(context);
        }
        return ExitCodes.scriptCheck(id + ": deepCheck", run(deep, context, "deepCheck", false));
    }

    /** Runs the recover command (only called when one is configured). */
    ActionResult recover(ActionContext context, CheckResult failure) {
        Map<String, String> extra = new LinkedHashMap<>(recover.environment());
        extra.put("TANDEM_FAILURE", failure == null ? "" : failure.reason());
        Command c = recover.withEnvironment(extra);
        return ExitCodes.scriptAction(id + ": recover", false, run(c, context, "recover", true));
    }
}
