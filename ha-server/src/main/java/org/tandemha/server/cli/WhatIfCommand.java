package org.tandemha.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.sim.whatif.WhatIfTool;

/**
 * {@code tandem simulate} and {@code tandem replay}: the what-if tool of ha-core ({@link WhatIfTool}), with
 * {@code --from live} reading the running cluster: the engine snapshot of every node through its API
 * ({@code GET /api/v1/snapshot}), one {@code --node-url} per node. Exit codes: the tool's (0 done, 1 a sweep found
 * a weakness or the run failed, 2 bad arguments or input), and 2 when a node cannot be read.
 */
final class WhatIfCommand {
    static final String LIVE_OPTIONS = """
            reading the live cluster (simulate --from live):
              --node-url URL      a node's API; give one per node of the cluster (repeat the option): every node that
                                  runs must be read, since a node without a snapshot counts as down (default: one
                                  node, $TANDEM_NODE_URL, else http://127.0.0.1:7480)
              --token-file FILE   the API token (viewer role is enough): once for every node, or once per --node-url,
                                  in the same order (default $TANDEM_TOKEN, else --state-dir's api-token)
              --state-dir DIR     a node on this machine: its api-url and api-token files (one node)
            exit codes: 0 done, 1 a sweep found a weakness or the run failed, 2 bad arguments, input or access
            """;

    private WhatIfCommand() {
    }

    static int run(String cmd, List<String> rest, Map<String, String> env, PrintStream out, PrintStream err) {
        List<String> urls = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        String stateDir = null;
        List<String> tool = new ArrayList<>();
        tool.add(cmd);
        boolean live = false;
        boolean help = false;
        for (int i = 0; i < rest.size(); i++) {
            String s = rest.get(i);
            String name = s;
            String value = null;
            if (s.startsWith("--") && s.contains("=")) {
                name = s.substring(0, s.indexOf('='));
                value = s.substring(s.indexOf('=') + 1);
            }
            switch (name) {
                case "--node-url", "--token-file", "--state-dir" -> {
                    if (value == null) {
                        if (i + 1 >= rest.size()) {
                            err.println("tandem " + cmd + ": " + name + " needs a value");
                            return Tandem.ERROR;
                        }
                        value = rest.get(++i);
                    }
                    switch (name) {
                        case "--node-url" -> urls.add(value);
                        case "--token-file" -> tokens.add(value);
                        default -> stateDir = value;
                    }
                }
                case "--help", "-h" -> help = true;
                default -> {
                    if (s.equals("--from") && i + 1 < rest.size() && rest.get(i + 1).equals("live")) {
                        live = true;
                    }
                    tool.add(s);
                }
            }
        }
        if (help) {
            out.print(WhatIfTool.USAGE);
            if (cmd.equals("simulate")) {
                out.print(LIVE_OPTIONS);
            }
            return Tandem.OK;
        }
        Map<String, EngineSnapshot> snapshots = null;
        if (live) {
            if (tokens.size() > 1 && tokens.size() != urls.size()) {
                err.println("tandem " + cmd + ": " + tokens.size() + " --token-file for " + urls.size() + " --node-url;"
                        + " give one token file for every node, or one per --node-url in the same order");
                return Tandem.ERROR;
            }
            try {
                snapshots = fetch(urls, tokens, stateDir, env, err);
            } catch (ApiClient.CallFailure f) {
                err.println("tandem " + cmd + " --from live: " + f.getMessage());
                return f.code;
            } catch (Args.UsageException e) {
                err.println("tandem " + cmd + ": " + e.getMessage());
                return Tandem.ERROR;
            }
        } else if (!urls.isEmpty() || !tokens.isEmpty() || stateDir != null) {
            err.println("tandem " + cmd + ": --node-url, --token-file and --state-dir are for simulate --from live;"
                    + (cmd.equals("replay") ? " replay reads a journal directory (--journal DIR)" : " add --from live"));
            return Tandem.ERROR;
        }
        return WhatIfTool.run(tool.toArray(String[]::new), snapshots, out, err);
    }

    /**
     * The snapshot of every node given, by node id. A node whose API does not answer is left out (it counts as down
     * in the simulation) with a note; it is an error if every node fails, if two URLs reach the same node, or if a
     * node is up (a node read hears it) but was not read.
     */
    static Map<String, EngineSnapshot> fetch(List<String> urls, List<String> tokens, String stateDir,
                                             Map<String, String> env, PrintStream err)
            throws ApiClient.CallFailure, Args.UsageException {
        List<String> given = urls.isEmpty() ? java.util.Collections.singletonList(null) : urls;
        Map<String, EngineSnapshot> out = new LinkedHashMap<>();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            List<String> argv = new ArrayList<>();
            if (given.get(i) != null) {
                argv.addAll(List.of("--node-url", given.get(i)));
            }
            if (!tokens.isEmpty()) {
                argv.addAll(List.of("--token-file", tokens.size() == 1 ? tokens.get(0) : tokens.get(i)));
            }
            if (stateDir != null) {
                argv.addAll(List.of("--state-dir", stateDir));
            }
            ApiClient api = ApiClient.from(Args.parse("simulate", argv, java.util.Set.of("node-url", "token-file",
                    "state-dir"), java.util.Set.of()), env);
            JsonNode body;
            try {
                body = api.call("GET", "/api/v1/snapshot", null, ApiClient.READ_TIMEOUT).body();
            } catch (ApiClient.CallFailure f) {
                if (f.getMessage().startsWith("no node answers") && given.size() > 1) {
                    failures.add(api.base() + ": " + f.getMessage());
                    continue; // a node that is down: the others say whether it should be up
                }
                throw f;
            }
            EngineSnapshot s;
            try {
                s = SnapshotJson.fromTree(body);
            } catch (RuntimeException e) {
                throw new ApiClient.CallFailure(Tandem.ERROR, "the node at " + api.base() + " answered a snapshot this"
                        + " tandem cannot read (" + e.getMessage() + "); are both the same version?");
            }
            if (out.containsKey(s.self())) {
                throw new ApiClient.CallFailure(Tandem.ERROR, "two --node-url reach node " + s.self() + " (the second is "
                        + api.base() + "); give each node's URL once");
            }
            out.put(s.self(), s);
        }
        if (out.isEmpty()) {
            throw new ApiClient.CallFailure(Tandem.ERROR, "no node answered: " + String.join("; ", failures));
        }
        for (String f : failures) {
            err.println("note: " + f + "; counted as down in the simulation");
        }
        List<String> missing = new ArrayList<>();
        for (EngineSnapshot s : out.values()) {
            for (EngineSnapshot.Peer p : s.peers()) {
                if (p.reachable() && !out.containsKey(p.id()) && !missing.contains(p.id())) {
                    missing.add(p.id() + " (" + s.self() + " hears it)");
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new ApiClient.CallFailure(Tandem.ERROR, "node " + String.join(", ", missing) + " is up but was not read;"
                    + " the simulation would count it as down. Give --node-url of every node (repeat the option), e.g."
                    + " --node-url http://node1:7480 --node-url http://node2:7480");
        }
        return out;
    }
}
