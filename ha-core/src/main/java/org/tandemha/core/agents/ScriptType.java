package org.tandemha.core.agents;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Recoverer;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.core.exec.Command;

/**
 * Type {@code script}: a user-defined resource as commands. Each runs with the deadline of its action (the
 * {@code start}, {@code stop}, {@code quickCheck}, {@code deepCheck} timeouts of the resource's configuration).
 *
 * <p>Parameters: {@code start}, {@code stop}, {@code check} (required), {@code deepCheck}, {@code recover}
 * (optional; without it recovery is stop then start); each a list [program, args...] or one string run by
 * {@code /bin/sh -c}. Also {@code env}, {@code directory}, {@code user}, {@code log} (default
 * {@code <state dir>/<id>.log}). Exit codes: 0 ok, 7 not running (a stop that finds nothing is a success),
 * anything else a failure.
 */
public final class ScriptType implements ResourceType {
    @Override
    public String name() {
        return "script";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        List<String> start = Params.command(config, r, "start", true);
        List<String> stop = Params.command(config, r, "stop", true);
        List<String> check = Params.command(config, r, "check", true);
        List<String> deep = Params.command(config, r, "deepCheck", false);
        List<String> recover = Params.command(config, r, "recover", false);
        Map<String, String> env = Params.env(r);
        Path dir = Params.path(r, "directory", null);
        String user = Params.user(r);
        Path log = Params.path(r, "log", context.stateDirectory().resolve(Params.fileName(config.id()) + ".log"));
        r.finish();
        ScriptResource res = new ScriptResource(config.id(), base(start, env, dir, user, log), base(stop, env, dir, user, null),
                base(check, env, dir, user, null), deep == null ? null : base(deep, env, dir, user, null),
                recover == null ? null : base(recover, env, dir, user, log));
        Recoverer recoverer = recover == null ? Recoverer.restart(res) : res::recover;
        return new ResourceParts(res, res, recoverer);
    }

    private static Command base(List<String> argv, Map<String, String> env, Path dir, String user, Path log) {
        return new Command(argv, env, dir, user, log);
    }
}
