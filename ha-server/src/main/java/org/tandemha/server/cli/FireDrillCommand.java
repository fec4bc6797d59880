package org.tandemha.server.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tandemha.api.Durations;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.NodeParams;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.db.FireDrill;

/**
 * {@code tandem fire-drill GROUP --config FILE --node N}: on the DR node N, checks that its PostgreSQL standby of
 * GROUP can be promoted, on a copy, without touching production ({@link FireDrill}). Runs here, not through the
 * daemon: it needs this machine's PostgreSQL programs and room for the copy.
 */
final class FireDrillCommand {
    static final String USAGE = """
            usage: tandem fire-drill GROUP --config FILE --node N [--work-dir DIR] [--port P] [--timeout 10m] [--json]
            on the DR node N (as root, or as the database's OS user): copies its standby of GROUP with pg_basebackup into
            DIR (default /var/tmp), starts the copy on the private port P (default 54329, a Unix socket only, following no
            primary), promotes it, writes and reads a row, prints the timings and the data at risk, and removes the copy.
            Production (the standby, the primary) is not touched. Exit codes: 0 passed, 1 the drill failed, 2 usage.
            """;

    private FireDrillCommand() {
    }

    static int run(List<String> rest, PrintStream out, PrintStream err) throws Args.UsageException {
        Args a = Args.parse("fire-drill", rest, Set.of("config", "node", "work-dir", "port", "timeout"), Set.of("json"));
        if (a.help()) {
            out.print(USAGE);
            return Tandem.OK;
        }
        if (a.words().size() != 1) {
            throw new Args.UsageException("fire-drill takes GROUP" + (a.words().isEmpty() ? "" : ", got: " + String.join(" ", a.words())));
        }
        String group = a.words().get(0);
        Path config = Path.of(a.require("fire-drill", "config", "FILE (the cluster's configuration)"));
        String node = a.require("fire-drill", "node", "N (the DR node this runs on)");
        Path work = Path.of(a.get("work-dir") == null ? "/var/tmp" : a.get("work-dir"));
        int port;
        Duration timeout;
        try {
            port = a.get("port") == null ? 54329 : Integer.parseInt(a.get("port"));
            timeout = a.get("timeout") == null ? Duration.ofMinutes(10) : Durations.parse(a.get("timeout"));
        } catch (RuntimeException e) {
            throw new Args.UsageException("fire-drill: --port takes a port number and --timeout a duration such as 10m");
        }
        FireDrill.Options o;
        try {
            ClusterSpec spec = ConfigLoader.load(config, null);
            GroupSpec g = spec.group(group).orElse(null);
            if (g == null) {
                err.println("tandem fire-drill: no group '" + group + "' in " + config + "; groups: "
                        + spec.groups().stream().map(GroupSpec::id).toList());
                return Tandem.ERROR;
            }
            if (!g.promotable() || g.priority(node) < 0) {
                err.println("tandem fire-drill: group " + group + (g.promotable() ? " does not run on node '" + node + "'; its nodes are "
                        + g.nodes() : " is not promotable: there is no standby to drill"));
                return Tandem.ERROR;
            }
            if (!g.dr().nodes().isEmpty() && !g.dr().isDr(node)) {
                err.println("tandem fire-drill: node " + node + " is not a DR node of group " + group + " (its DR nodes: "
                        + g.dr().nodes() + "); run the drill on a DR node");
                return Tandem.ERROR;
            }
            ResourceSpec r = g.resources().get(0);
            if (!r.type().equals("postgresql")) {
                err.println("tandem fire-drill: the replicated resource " + r.id() + " of group " + group + " is of type "
                        + r.type() + "; the fire drill knows replicated postgresql only");
                return Tandem.ERROR;
            }
            Map<String, Object> params = NodeParams.expand(r.params(), node);
            o = FireDrill.forResource(new PluginConfig(r.id(), r.type(), r.path(), params), node,
                    spec.nodeIds().stream().filter(n -> !n.equals(node)).toList(), work, port, timeout);
        } catch (InvalidConfigException e) {
            err.println("tandem fire-drill: " + e.getMessage());
            return Tandem.ERROR;
        }
        FireDrill.Report rep = FireDrill.run(o);
        if (a.flag("json")) {
            ObjectNode j = JsonTrees.NODES.objectNode();
            j.put("passed", rep.passed());
            j.put("summary", rep.summary());
            rep.steps().forEach(j.putArray("steps")::add);
            ObjectNode f = j.putObject("figures");
            rep.figures().forEach(f::put);
            out.println(JsonTrees.pretty(j));
        } else {
            rep.steps().forEach(s -> out.println("  " + s));
            (rep.passed() ? out : err).println(rep.summary());
        }
        return rep.passed() ? Tandem.OK : Tandem.REFUSED;
    }
}
