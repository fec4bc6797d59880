package org.tandemha.core.sim.whatif;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.SnapshotJson;

/**
 * The command line behind {@code tandem simulate} and {@code tandem replay} ({@link #USAGE}). Exit codes: 0 done
 * (a sweep found no weakness), 1 a sweep found a weakness or the run failed, 2 bad arguments or input.
 */
public final class WhatIfTool {
    public static final String USAGE = """
            usage:
              simulate --config FILE [--from DIR|FILE]... [--events FILE] [--json] [--seed N] [--run TIME]
                       [--arbiter truth|disk-race|silent|dead|script] [--fencing on|off] [EVENT]...
                  what happens if: runs the cluster in simulated time from a fresh start, or from engine snapshots
                  (--from: a snapshot JSON file per node, or a directory of them), applies the events and prints every
                  decision with its reason and time, the final placement and the downtime per group.
                  EVENT: "[at TIME] crash node1", "cut node1 node2", "cut-one-way node1->node2", "crash-daemon node1",
                  "arbiter down", "arbiter answers node2 about node1 PEER_ALIVE", "check-fails node1 web app",
                  "stop-fails|stop-hangs|start-fails node1 web app", "switchover web node2", "switchback web",
                  "maintenance web on", "boot node3", ... (one per argument, or separated by ';'; --events: one per line)
                  promotable groups (primary on one node, standbys on the others): "standby-lags node2 db" (the standby
                  stops receiving: its copy falls behind), "standby-start-fails node1 db" (its rewind fails: an alarm),
                  "healthy node2 db pg"; the report adds each copy's role, position and how far behind the primary
              simulate --config FILE [--from ...] --sweep [--depth 1|2] [--bound TIME] [--max-pairs N] [--json] [EVENT]...
                  tries every single fault (and pairs at depth 2) from the state the events lead to, and names each that
                  leaves a group offline while a node could run it, puts it on two nodes (or gives it two primaries),
                  or keeps it offline longer than the bound (default 30s); exit code 1 when it finds one
              replay --journal DIR --config FILE [--at TIME] [--inputs N] [--list] [--json]
                  replays a node's journal and explains the decision at or after TIME (an ISO instant such as
                  2026-12-06T03:12:00Z, or the engine time in ms: t=12345; default: the last decision): the inputs that
                  led to it (the last N relevant ones, default 8) and the rule that fired; --list lists the decisions
            """;

    private WhatIfTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs {@code simulate ...} or {@code replay ...}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, null, out, err);
    }

    /**
     * Runs {@code simulate ...} or {@code replay ...} with the snapshots {@code --from live} stands for (one per node,
     * by node id, as fetched from the running cluster by the caller; null: {@code --from live} is refused); returns
     * the exit code.
     */
    public static int run(String[] args, Map<String, EngineSnapshot> live, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        try {
            return switch (args[0]) {
                case "simulate" -> simulate(List.of(args).subList(1, args.length), live, out);
                case "replay" -> ReplayExplainer.command(List.of(args).subList(1, args.length), out);
                default -> throw new Usage("unknown command '" + args[0] + "' (fix: simulate or replay)");
            };
        } catch (Usage | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            if (e instanceof Usage) {
                err.print(USAGE);
            }
            return 2;
        } catch (InvalidConfigException e) {
            err.println("error: the configuration is not valid: " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("error: " + e);
            return 1;
        }
    }

    /** A bad command line. */
    static final class Usage extends RuntimeException {
        Usage(String m) {
            super(m);
        }
    }

    /** The options shared by the commands: flags with a value, flags without, and the rest (events). */
    static final class Args {
        final Map<String, List<String>> values = new LinkedHashMap<>();
        final List<String> flags = new ArrayList<>();
        final List<String> rest = new ArrayList<>();

        Args(List<String> args, List<String> withValue, List<String> without) {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (withValue.contains(a)) {
                    if (i + 1 >= args.size()) {
                        throw new Usage(a + " needs a value");
                    }
                    values.computeIfAbsent(a, k -> new ArrayList<>()).add(args.get(++i));
                } else if (without.contains(a)) {
                    flags.add(a);
                } else if (a.startsWith("--")) {
                    throw new Usage("unknown option '" + a + "' (fix: one of " + withValue + " " + without + ")");
                } else {
                    rest.add(a);
                }
            }
        }

        String one(String key, String dflt) {
            List<String> v = values.get(key);
            return v == null ? dflt : v.get(v.size() - 1);
        }

        String required(String key, String what) {
            String v = one(key, null);
            if (v == null) {
                throw new Usage(key + " is missing (fix: " + key + " " + what + ")");
            }
            return v;
        }

        long time(String key, long dflt) {
            String v = one(key, null);
            if (v == null) {
                return dflt;
            }
            try {
                return WhatIfEvents.parse(null, List.of("run " + v)).runMs();
            } catch (IllegalArgumentException e) {
                throw new Usage(key + " takes a time such as 500ms, 30s or 2m, not '" + v + "'");
            }
        }

        int number(String key, int dflt) {
            String v = one(key, null);
            try {
                return v == null ? dflt : Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new Usage(key + " takes a number, not '" + v + "'");
            }
        }
    }

    private static int simulate(List<String> argv, Map<String, EngineSnapshot> live, PrintStream out) throws IOException, InvalidConfigException {
        Args a = new Args(argv, List.of("--config", "--from", "--events", "--seed", "--run", "--arbiter", "--fencing",
                "--depth", "--bound", "--max-pairs"), List.of("--json", "--sweep"));
        ClusterSpec spec = ConfigLoader.load(Path.of(a.required("--config", "FILE")), null);
        WhatIf.Options o = WhatIf.Options.defaults().withRun(a.time("--run", 30_000)).withSeed(a.number("--seed", 1));
        String arb = a.one("--arbiter", null);
        if (arb != null) {
            try {
                o = o.withArbiter(WhatIf.Arbiter.valueOf(arb.toUpperCase(Locale.ROOT).replace('-', '_')));
            } catch (IllegalArgumentException e) {
                throw new Usage("--arbiter " + arb + " is not known (fix: truth, disk-race, silent, dead or script)");
            }
        }
        String fencing = a.one("--fencing", null);
        if (fencing != null) {
            if (!fencing.equals("on") && !fencing.equals("off")) {
                throw new Usage("--fencing takes on or off, not '" + fencing + "'");
            }
            o = o.withFencing(fencing.equals("on"));
        }
        if (a.values.containsKey("--from")) {
            o = o.withSnapshots(snapshots(a.values.get("--from"), live));
        }
        List<String> events = new ArrayList<>();
        if (a.one("--events", null) != null) {
            events.add(Files.readString(Path.of(a.one("--events", null))));
        }
        events.addAll(a.rest);
        boolean json = a.flags.contains("--json");
        if (a.flags.contains("--sweep")) {
            Sweep.Options so = Sweep.Options.defaults().withDepth(a.number("--depth", 1)).withBound(a.time("--bound", 30_000))
                    .withMaxPairs(a.number("--max-pairs", 400));
            Sweep.Result r = Sweep.run(spec, o, events, so);
            out.print(json ? r.json() : r.text());
            return r.weaknesses().isEmpty() ? 0 : 1;
        }
        WhatIfReport r = WhatIf.run(spec, o, events);
        out.print(json ? r.json() + "\n" : r.text());
        return 0;
    }

    /** Engine snapshots from files or directories of {@code *.json} files, by node. */
    static Map<String, EngineSnapshot> snapshots(List<String> from) throws IOException {
        return snapshots(from, null);
    }

    /** Engine snapshots from files or directories of {@code *.json} files, or the live ones given, by node. */
    static Map<String, EngineSnapshot> snapshots(List<String> from, Map<String, EngineSnapshot> live) throws IOException {
        Map<String, EngineSnapshot> m = new LinkedHashMap<>();
        for (String f : from) {
            if (f.equals("live") && live != null) {
                for (Map.Entry<String, EngineSnapshot> e : live.entrySet()) {
                    if (m.put(e.getKey(), e.getValue()) != null) {
                        throw new Usage("two snapshots of node " + e.getKey() + " (fix: give one per node)");
                    }
                }
                continue;
            }
            if (f.equals("live")) {
                throw new Usage("--from live reads the running cluster through its API: the tandem command does that;"
                        + " this library takes the snapshots it fetched (fix: --from DIR or --from FILE)");
            }
            Path p = Path.of(f);
            List<Path> files;
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    files = s.filter(x -> x.toString().endsWith(".json")).sorted().toList();
                }
                if (files.isEmpty()) {
                    throw new Usage("no snapshot (*.json) in " + p + " (fix: save one engine snapshot per node there)");
                }
            } else {
                files = List.of(p);
            }
            for (Path x : files) {
                EngineSnapshot s;
                try {
                    s = SnapshotJson.read(Files.readString(x));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("snapshot " + x + " cannot be read: " + e.getMessage()
                            + " (fix: give engine snapshots as SnapshotJson writes them)", e);
                }
                if (m.put(s.self(), s) != null) {
                    throw new Usage("two snapshots of node " + s.self() + " (fix: give one per node)");
                }
            }
        }
        return m;
    }
}
