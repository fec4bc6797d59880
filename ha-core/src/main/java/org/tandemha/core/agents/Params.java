package org.tandemha.core.agents;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.tandemha.api.ActionContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;

/** Reading the parameters the program-running types share: commands, environment, directory, user. */
final class Params {
    private static final Pattern USER = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Params() {
    }

    /**
     * A command: a list is the argv as it is; a single string runs through {@code /bin/sh -c}. Returns null (with a
     * problem recorded when required) if absent.
     */
    static List<String> command(PluginConfig config, PluginConfig.Reader r, String key, boolean required) {
        if (!r.has(key)) {
            if (required) {
                r.string(key); // records the "missing" problem
            }
            return null;
        }
        Object raw = config.params().get(key);
        List<String> v = r.strings(key, null);
        if (v == null) {
            return null;
        }
        if (raw instanceof List) {
            if (v.isEmpty() || v.get(0).isBlank()) {
                r.problem(key, "'" + key + "' is an empty command", "write the program and its arguments, such as [/usr/bin/myapp, --port, \"8080\"]");
                return null;
            }
            return v;
        }
        String line = v.get(0);
        if (line.isBlank()) {
            r.problem(key, "'" + key + "' is an empty command", "write a shell command line, or a list [program, arg...]");
            return null;
        }
        return List.of("/bin/sh", "-c", line);
    }

    /** An optional absolute path. */
    static Path path(PluginConfig.Reader r, String key, Path dflt) {
        String s = r.string(key, null);
        if (s == null) {
            return dflt;
        }
        try {
            Path p = Path.of(s);
            if (!p.isAbsolute()) {
                r.problem(key, "'" + key + "' is '" + s + "', a relative path", "write an absolute path such as /var/lib/myapp");
                return dflt;
            }
            return p.normalize();
        } catch (InvalidPathException e) {
            r.problem(key, "'" + key + "' is not a valid path: " + e.getMessage(), "write an absolute path");
            return dflt;
        }
    }

    /** The optional user to run as (root only). */
    static String user(PluginConfig.Reader r) {
        String u = r.string("user", null);
        if (u != null && !USER.matcher(u).matches()) {
            r.problem("user", "'user' is '" + u + "', not a valid user name", "write a user name such as www-data");
            return null;
        }
        return u;
    }

    /** The environment additions, names checked. */
    static Map<String, String> env(PluginConfig.Reader r) {
        Map<String, String> env = r.map("env");
        for (String name : env.keySet()) {
            if (!ENV_NAME.matcher(name).matches()) {
                r.problem("env", "environment variable name '" + name + "' is not valid", "use letters, digits and _ only, not starting with a digit");
            }
        }
        return env;
    }

    /** The variables every command of a resource gets: which node, group, resource, action and deadline. */
    static Map<String, String> actionEnv(ActionContext context, String action) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TANDEM_NODE", String.valueOf(context.node()));
        env.put("TANDEM_GROUP", String.valueOf(context.group()));
        env.put("TANDEM_RESOURCE", String.valueOf(context.resource()));
        env.put("TANDEM_GENERATION", Long.toString(context.generation()));
        env.put("TANDEM_ACTION", action);
        env.put("TANDEM_TIMEOUT_MS", Long.toString(context.remaining().toMillis()));
        return env;
    }

    /**
     * Runs a command within the action's deadline. A timeout is reported as the action's timeout ("timeout after
     * 20 s"), not the slightly shorter time that was left when the command began.
     */
    static Execution run(Command command, ActionContext context, boolean keepChildren) {
        Execution e = CommandRunner.run(command, context.remaining(), keepChildren);
        return e.timedOut() ? new Execution(e.command(), e.exitCode(), true, e.notFound(), context.timeout(), e.tail()) : e;
    }

    /** A file name made of a resource id: safe characters only. */
    static String fileName(String id) {
        return id.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
