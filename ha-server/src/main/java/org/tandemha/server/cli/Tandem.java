package org.tandemha.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.daemon.Keygen;
import org.tandemha.server.daemon.RunCommand;
import org.tandemha.server.daemon.Validate;
import org.tandemha.server.daemon.Version;
import org.tandemha.server.daemon.Witness;
import org.tandemha.server.http.StatusJson;

/**
 * {@code tandem}: one binary for the node and its operator.
 *
 * <pre>
 * tandem run --config FILE --node ID [--state-dir DIR] [--listen HOST:PORT]   the node, in the foreground
 * tandem validate --config FILE [--node ID]                                    every problem of a configuration
 * tandem keygen [--token [--name NAME] [--role ROLE]]                         a cluster key, or an API token line
 * tandem version
 * tandem witness --config FILE                                                 the witness (a third site's tie breaker)
 * tandem status|events|switchover|switchback|maintenance|clear ...             the operator's commands, over the API
 * tandem simulate --config FILE [--from live|SNAPSHOT] EVENT...                what if: the cluster in simulated time
 * tandem replay --journal DIR --config FILE [--at TIME]                        why: a past decision explained
 * </pre>
 *
 * Exit codes: 0 done; 1 the cluster refused the command (or the node could not start); 2 usage, access, connection
 * or configuration errors.
 */
public final class Tandem {
    /** Exit code: done. */
    public static final int OK = 0;
    /** Exit code: the cluster refused the command (the reason is printed). */
    public static final int REFUSED = 1;
    /** Exit code: bad usage, bad configuration, node not reachable, not allowed. */
    public static final int ERROR = 2;

    static final String USAGE = """
            usage: tandem COMMAND [OPTIONS]     (tandem COMMAND --help for its options)

            Running a node:
              run --config FILE --node ID     run this node of the cluster in the foreground (systemd: tandem.service)
              validate --config FILE          check a configuration: every problem at once (exit 0 valid, 2 problems)
              keygen [--token]                a new cluster key, or (--token) a line for the API's tokens file
              witness --config FILE           run the witness, the tie breaker on a third machine
              version                         this tandem's version

            Operating a running node (over its HTTP API):
              status [--json]                 the node's view: nodes, heartbeat paths, groups, resources
              events [--after N] [--follow]   recent events; --follow waits for new ones
              switchover GROUP NODE           move GROUP to NODE, stopping it in order where it runs
              switchback GROUP                move GROUP back to its most preferred available node
              maintenance GROUP on|off        leave GROUP alone (on), or manage it again (off)
              clear GROUP                     clear the failures recorded for GROUP
              promote-dr GROUP --node N [--confirm] [--fence-primary-site]
                                              disaster recovery: the data at risk, then promote the DR node N
              fire-drill GROUP --config FILE --node N
                                              check on a copy that the DR standby on this machine can be promoted

            What if, and why (the cluster's own engine, in simulated time):
              simulate --config FILE --from live [--node-url URL]... EVENT...
                                              what the cluster would do: every decision, the final placement, the
                                              downtime; --sweep tries every single fault (see simulate --help)
              replay --journal DIR --config FILE [--at TIME]
                                              explain a node's past decision from its journal (<state dir>/journal)

            Where the node is: --node-url URL (default $TANDEM_NODE_URL, else http://127.0.0.1:7480), or --state-dir DIR
            of a node on this machine. The token: --token-file FILE, $TANDEM_TOKEN, or the node's api-token.
            Exit codes: 0 done, 1 refused by the cluster, 2 usage, access, connection or configuration error.
            """;

    static final String OPERATOR_OPTIONS = """
            options:
              --node-url URL      the node's API (default $TANDEM_NODE_URL, else http://127.0.0.1:7480)
              --state-dir DIR     a node on this machine: its api-url and api-token files
              --token-file FILE   the API token (a bare token or a tokens-file line; default $TANDEM_TOKEN)
              --json              print the node's JSON answer, for scripts
            exit codes: 0 done, 1 refused by the cluster, 2 usage, access or connection error
            """;

    private static final Map<String, String> OPERATOR_USAGE = Map.of(
            "status", "usage: tandem status [--json] [--node-url URL | --state-dir DIR] [--token-file FILE]\n"
                    + "the node's view of the cluster: nodes, heartbeat paths, groups and resources; STALE when the"
                    + " node's engine has not answered lately\n",
            "events", "usage: tandem events [--after N] [--limit M] [--follow] [--json] [--node-url URL | --state-dir DIR]\n"
                    + "the node's recent events (it keeps the last 10,000), those after id N; --follow prints new ones"
                    + " as they come (Ctrl-C ends)\n",
            "switchover", "usage: tandem switchover GROUP NODE [--node-url URL | --state-dir DIR] [--json]\n"
                    + "moves GROUP to NODE: stops it top-down where it runs, then starts it on NODE\n",
            "switchback", "usage: tandem switchback GROUP [--node-url URL | --state-dir DIR] [--json]\n"
                    + "moves GROUP back to its most preferred available node\n",
            "maintenance", "usage: tandem maintenance GROUP on|off [--node-url URL | --state-dir DIR] [--json]\n"
                    + "on: the cluster leaves GROUP alone (no start, stop or recovery; checks go on); off: manages it again\n",
            "clear", "usage: tandem clear GROUP [--node-url URL | --state-dir DIR] [--json]\n"
                    + "clears the failures recorded for GROUP (blocked nodes, a failed stop cleaned up by hand; also the"
                    + " primary site's fence set by promote-dr)\n",
            "promote-dr", "usage: tandem promote-dr GROUP --node DRNODE [--confirm] [--fence-primary-site]"
                    + " [--node-url URL | --state-dir DIR] [--json]\n"
                    + "promotes the DR standby on DRNODE. Without --confirm: prints the data at risk (bytes behind, seconds"
                    + " since its last transaction) and changes nothing. With --confirm (given on DRNODE itself): refused"
                    + " while a node of the primary site is heard or not declared dead; --fence-primary-site declares those"
                    + " nodes fenced (power them off or cut them off first): they are demoted if they return\n");

    private static final Set<String> CLIENT_OPTIONS = Set.of("node-url", "state-dir", "token-file");

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private final boolean color;

    public Tandem(PrintStream out, PrintStream err, Map<String, String> env, boolean color) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.color = color;
    }

    public static void main(String[] args) {
        boolean tty = System.console() != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
        int code = new Tandem(System.out, System.err, System.getenv(), tty).run(args);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line; returns the exit code ({@code run} returns when the node has stopped). */
    public int run(String... argv) {
        if (argv.length == 0) {
            err.print(USAGE);
            return ERROR;
        }
        String cmd = argv[0];
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        try {
            switch (cmd) {
                case "-h", "--help", "help" -> {
                    out.print(USAGE);
                    return OK;
                }
                case "run" -> {
                    return RunCommand.main(rest, out, err);
                }
                case "validate" -> {
                    return Validate.main(rest, out, err);
                }
                case "keygen" -> {
                    return Keygen.main(rest, out, err);
                }
                case "version", "--version" -> {
                    return Version.main(rest, out, err);
                }
                case "witness" -> {
                    return Witness.main(rest, out, err);
                }
                case "status", "events", "switchover", "switchback", "maintenance", "clear", "promote-dr" -> {
                    return operator(cmd, rest);
                }
                case "fire-drill" -> {
                    return FireDrillCommand.run(rest, out, err);
                }
                case "simulate", "replay" -> {
                    return WhatIfCommand.run(cmd, rest, env, out, err);
                }
                default -> throw new Args.UsageException("unknown command '" + cmd + "'");
            }
        } catch (Args.UsageException e) {
            err.println("tandem: " + e.getMessage());
            err.print(OPERATOR_USAGE.containsKey(cmd) ? OPERATOR_USAGE.get(cmd) : cmd.equals("fire-drill") ? FireDrillCommand.USAGE : USAGE);
            return ERROR;
        }
    }

    // ------------------------------------------------------------------ the operator's commands

    private int operator(String cmd, List<String> rest) throws Args.UsageException {
        Set<String> valued = cmd.equals("events") ? union(CLIENT_OPTIONS, Set.of("after", "limit"))
                : cmd.equals("promote-dr") ? union(CLIENT_OPTIONS, Set.of("node")) : CLIENT_OPTIONS;
        Set<String> flags = cmd.equals("events") ? Set.of("json", "follow")
                : cmd.equals("promote-dr") ? Set.of("json", "confirm", "fence-primary-site") : Set.of("json");
        Args a = Args.parse(cmd, rest, valued, flags);
        if (a.help()) {
            out.print(OPERATOR_USAGE.get(cmd));
            out.print(OPERATOR_OPTIONS);
            return OK;
        }
        List<String> w = a.words();
        boolean json = a.flag("json");
        switch (cmd) {
            case "status", "events" -> arity(cmd, w, 0, "");
            case "switchover" -> arity(cmd, w, 2, "GROUP NODE");
            case "switchback", "clear" -> arity(cmd, w, 1, "GROUP");
            case "promote-dr" -> {
                arity(cmd, w, 1, "GROUP --node DRNODE");
                if (a.get("node") == null) {
                    throw new Args.UsageException("promote-dr needs --node DRNODE: the DR node to promote");
                }
                if (a.flag("fence-primary-site") && !a.flag("confirm")) {
                    throw new Args.UsageException("--fence-primary-site goes with --confirm (without it nothing changes)");
                }
            }
            case "maintenance" -> {
                arity(cmd, w, 2, "GROUP on|off");
                if (!w.get(1).equals("on") && !w.get(1).equals("off")) {
                    throw new Args.UsageException("maintenance takes on or off, not '" + w.get(1) + "'");
                }
            }
            default -> throw new IllegalStateException(cmd);
        }
        long after = number(a, "after", 0);
        long limit = number(a, "limit", 100);
        try {
            ApiClient api = ApiClient.from(a, env);
            return switch (cmd) {
                case "status" -> status(api, json);
                case "events" -> events(api, after, limit, a.flag("follow"), json);
                default -> command(api, cmd, w, json, a);
            };
        } catch (ApiClient.CallFailure f) {
            err.println("tandem " + cmd + ": " + f.getMessage());
            return f.code;
        }
    }

    private int status(ApiClient api, boolean json) throws ApiClient.CallFailure {
        JsonNode body = api.call("GET", "/api/v1/status", null, ApiClient.READ_TIMEOUT).body();
        if (json) {
            out.println(JsonTrees.pretty(body));
            return OK;
        }
        out.print(StatusTable.render(read(api, () -> StatusJson.readStatus(body)), color));
        if (body.has("ageMs") && body.path("ageMs").asLong() > 5_000) {
            out.println("\n(this view is " + Durations.format(java.time.Duration.ofMillis(body.path("ageMs").asLong())) + " old)");
        }
        return OK;
    }

    private int events(ApiClient api, long after, long limit, boolean follow, boolean json) throws ApiClient.CallFailure {
        JsonNode body = api.call("GET", "/api/v1/events?after=" + after + "&limit=" + limit, null, ApiClient.READ_TIMEOUT).body();
        long last = after;
        for (JsonNode e : body.path("events")) {
            printEvent(api, e, json);
            last = Math.max(last, e.path("id").asLong());
        }
        if (follow) {
            out.flush();
            api.stream("/api/v1/events/stream", last, e -> {
                try {
                    printEvent(api, e, json);
                    out.flush();
                } catch (ApiClient.CallFailure x) {
                    err.println("tandem events: " + x.getMessage());
                }
            });
        }
        return OK;
    }

    private void printEvent(ApiClient api, JsonNode e, boolean json) throws ApiClient.CallFailure {
        if (json) {
            out.println(e.toString());
            return;
        }
        ClusterEvent ev = read(api, () -> StatusJson.readEvent(e));
        out.println("#" + e.path("id").asLong() + " " + (ev.time() == null ? "-" : ev.time().truncatedTo(ChronoUnit.MILLIS))
                + " " + ev.level() + " " + ev);
    }

    private int command(ApiClient api, String cmd, List<String> w, boolean json, Args a) throws ApiClient.CallFailure {
        ObjectNode body = JsonTrees.NODES.objectNode();
        if (cmd.equals("promote-dr")) {
            body.put("node", a.get("node"));
            body.put("confirm", a.flag("confirm"));
            body.put("fencePrimarySite", a.flag("fence-primary-site"));
        } else if (cmd.equals("switchover")) {
            body.put("target", w.get(1));
        } else if (cmd.equals("maintenance")) {
            body.put("on", w.get(1).equals("on"));
        }
        String path = "/api/v1/groups/" + URLEncoder.encode(w.get(0), StandardCharsets.UTF_8).replace("+", "%20") + "/" + cmd;
        ApiClient.Answer answer = api.call("POST", path, body, ApiClient.COMMAND_TIMEOUT);
        CommandResult r = read(api, () -> StatusJson.readCommand(answer.body()));
        if (json) {
            out.println(JsonTrees.pretty(answer.body()));
            return r.accepted() ? OK : REFUSED;
        }
        if (r.accepted() && cmd.equals("promote-dr") && !a.flag("confirm")) {
            out.println(r.message());
            return OK;
        }
        if (r.accepted()) {
            String took = Durations.format(r.duration());
            out.println("done: " + r.message() + (r.duration().isZero() || r.message().contains(took) ? "" : " (" + took + ")"));
            return OK;
        }
        err.println("refused: " + r.message());
        return REFUSED;
    }

    private interface Reader<T> {
        T read();
    }

    private static <T> T read(ApiClient api, Reader<T> r) throws ApiClient.CallFailure {
        try {
            return r.read();
        } catch (RuntimeException e) {
            throw new ApiClient.CallFailure(ERROR, "the node at " + api.base() + " answered something this tandem cannot read ("
                    + e.getMessage() + "); are both the same version?");
        }
    }

    private static void arity(String cmd, List<String> words, int n, String what) throws Args.UsageException {
        if (words.size() != n) {
            throw new Args.UsageException(n == 0 ? cmd + " takes no arguments, got: " + String.join(" ", words)
                    : cmd + " takes " + what + (words.size() < n ? "" : ", got: " + String.join(" ", words)));
        }
    }

    private static long number(Args a, String name, long dflt) throws Args.UsageException {
        String v = a.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--" + name + " takes a whole number >= 0, not '" + v + "'");
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.Set<String> s = new java.util.LinkedHashSet<>(a);
        s.addAll(b);
        return s;
    }
}
