package org.tandemha.core.fencing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Fencer;
import org.tandemha.api.FencerFactory;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;

/**
 * Fencing through a command of the operator's (IPMI, a cloud API, a PDU): {@code type: script} with
 * {@code command: [/usr/local/bin/fence-ipmi, "%peer"]}. {@code %peer} is replaced by the node to fence, and the
 * command also gets {@code TANDEM_PEER}, {@code TANDEM_NODE} and {@code TANDEM_CLUSTER}. Exit 0 means the peer is
 * fenced (powered off or cut off); anything else, or the deadline, is a failure, and the next method is tried.
 */
public final class ScriptFencerFactory implements FencerFactory {
    @Override
    public String type() {
        return "script";
    }

    @Override
    public Fencer create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        List<String> command = r.strings("command", List.of());
        Map<String, String> env = r.map("env");
        if (r.has("command") && command.isEmpty()) {
            r.problem("command", "the fencing command is empty", "give the program and its arguments, e.g. [/usr/local/bin/fence, \"%peer\"]");
        }
        r.finish();
        if (command.isEmpty()) {
            throw new InvalidConfigException(config.path() + ".params.command", "required parameter 'command' is missing",
                    "add command: [/usr/local/bin/fence, \"%peer\"]");
        }
        String name = "script " + command.get(0);
        return new Fencer() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public ActionResult fence(String peer, ActionContext ctx) {
                List<String> argv = new ArrayList<>();
                for (String a : command) {
                    argv.add(a.replace("%peer", peer));
                }
                Map<String, String> e = new java.util.HashMap<>(env);
                e.put("TANDEM_PEER", peer);
                e.put("TANDEM_NODE", cluster.localNode());
                e.put("TANDEM_CLUSTER", cluster.cluster());
                Duration left = ctx.remaining();
                Execution x = CommandRunner.run(Command.of(argv).withEnvironment(e), left.isZero() ? Duration.ofMillis(1) : left);
                return x.toActionResult("fence " + peer + " with " + command.get(0));
            }
        };
    }
}
