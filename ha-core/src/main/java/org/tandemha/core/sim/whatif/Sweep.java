package org.tandemha.core.sim.whatif;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.GroupStatus;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.engine.Engine;

/**
 * The sweep: from the current state (a fresh start, or snapshots, plus the events that lead to the state to test),
 * tries every single fault, and at depth 2 every pair of faults (the second {@link Options#gapMs} after the first),
 * each in its own simulated run, and reports each run in which a group that ran
 * <ul>
 * <li>is left offline at the end (two bounds after the fault) although a node could run it (its process is up and
 * no fault of the run touches that group there),</li>
 * <li>runs on two nodes at once, or, promotable, has two primaries at once (the simulator's invariant), or</li>
 * <li>is offline longer than the bound ({@link Options#boundMs}) before it runs again.</li>
 * </ul>
 * The faults, in the event language (so that each can be run again with the simulator to see the whole story):
 * {@code crash}, {@code crash-daemon} and {@code pause} of each node; {@code cut} and {@code cut-one-way} of each pair;
 * {@code arbiter down}; and per group, node and resource {@code check-fails}, {@code kill}, {@code start-fails},
 * {@code start-hangs}, {@code stop-fails}, {@code stop-hangs}, {@code recover-fails}; and for a promotable group,
 * per node, its standby's {@code standby-lags} and {@code standby-start-fails}.
 */
public final class Sweep {
    /**
     * @param depth    1 (single faults) or 2 (also pairs)
     * @param boundMs  how long a group may be offline after a fault
     * @param maxPairs at most this many pairs at depth 2 (evenly spread over all pairs when there are more)
     * @param gapMs    the second fault of a pair comes this long after the first
     * @param settleMs how long the cluster runs after the starting events before the faults (the current state)
     */
    public record Options(int depth, long boundMs, int maxPairs, long gapMs, long settleMs) {
        public static Options defaults() {
            return new Options(1, 30_000, 400, 2_000, 5_000);
        }

        public Options withDepth(int d) {
            return new Options(d, boundMs, maxPairs, gapMs, settleMs);
        }

        public Options withBound(long ms) {
            return new Options(depth, ms, maxPairs, gapMs, settleMs);
        }

        public Options withMaxPairs(int n) {
            return new Options(depth, boundMs, n, gapMs, settleMs);
        }
    }

    /** One weakness: the faults that cause it, what kind it is, the group, and a sentence for the operator. */
    public record Weakness(List<String> faults, String kind, String group, String words) {
    }

    /** What the sweep tried and found. */
    public record Result(int singles, int pairsTried, int pairsTotal, long elapsedMs, List<Weakness> weaknesses) {
        public String text() {
            StringBuilder sb = new StringBuilder("sweep: ").append(singles).append(" single faults");
            if (pairsTotal > 0) {
                sb.append(", ").append(pairsTried).append(" of ").append(pairsTotal).append(" pairs")
                        .append(pairsTried < pairsTotal ? " (bounded by --max-pairs; evenly spread)" : "");
            }
            sb.append(" tried in ").append(WhatIfReport.sec(elapsedMs)).append('\n');
            if (weaknesses.isEmpty()) {
                return sb.append("no weakness found\n").toString();
            }
            sb.append(weaknesses.size()).append(weaknesses.size() == 1 ? " weakness:\n" : " weaknesses:\n");
            int i = 1;
            for (Weakness w : weaknesses) {
                sb.append("  ").append(i++).append(". [").append(w.kind()).append("] ").append(w.words()).append('\n');
            }
            return sb.toString();
        }

        /** The result for tools. */
        public String json() {
            var m = new com.fasterxml.jackson.databind.ObjectMapper();
            var o = m.createObjectNode();
            o.put("singleFaults", singles).put("pairsTried", pairsTried).put("pairsTotal", pairsTotal)
                    .put("elapsedMs", elapsedMs).put("weaknessFound", !weaknesses.isEmpty());
            var ws = o.putArray("weaknesses");
            for (Weakness w : weaknesses) {
                var x = ws.addObject().put("kind", w.kind()).put("group", w.group()).put("words", w.words());
                w.faults().forEach(x.putArray("faults")::add);
            }
            try {
                return m.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot write the sweep as JSON: " + e.getMessage(), e);
            }
        }
    }

    private final ClusterSpec spec;
    private final WhatIf.Options options;
    private final WhatIfEvents.Script start;
    private final Options so;

    private Sweep(ClusterSpec spec, WhatIf.Options options, List<String> startEvents, Options so) {
        this.spec = spec;
        this.options = options;
        this.start = WhatIfEvents.parse(spec, startEvents);
        this.so = so;
    }

    /** Runs the sweep from the state the starting events lead to. */
    public static Result run(ClusterSpec spec, WhatIf.Options options, List<String> startEvents, Options so) {
        if (so.depth() < 1 || so.depth() > 2) {
            throw new IllegalArgumentException("sweep depth " + so.depth() + " is not supported (fix: --depth 1 or 2)");
        }
        return new Sweep(spec, options, startEvents, so).sweep();
    }

    /** Every single fault of this configuration, in the event language. */
    public static List<String> faults(ClusterSpec spec) {
        List<String> f = new ArrayList<>();
        List<String> nodes = spec.nodeIds();
        for (String n : nodes) {
            f.add("crash " + n);
            f.add("crash-daemon " + n);
            f.add("pause " + n);
        }
        for (int i = 0; i < nodes.size(); i++) {
            for (int j = i + 1; j < nodes.size(); j++) {
                f.add("cut " + nodes.get(i) + " " + nodes.get(j));
                f.add("cut-one-way " + nodes.get(i) + "->" + nodes.get(j));
                f.add("cut-one-way " + nodes.get(j) + "->" + nodes.get(i));
            }
        }
        f.add("arbiter down");
        for (GroupSpec g : spec.groups()) {
            for (String n : g.nodes()) {
                for (ResourceSpec r : g.resources()) {
                    for (String k : List.of("check-fails", "kill", "start-fails", "start-hangs", "stop-fails", "stop-hangs",
                            "recover-fails")) {
                        f.add(k + " " + n + " " + g.id() + " " + r.id());
                    }
                }
                if (g.promotable()) {
                    for (String k : WhatIfEvents.STANDBY_FAULTS) {
                        f.add(k + " " + n + " " + g.id() + " " + g.promotableResource());
                    }
                }
            }
        }
        return f;
    }

    private Result sweep() {
        long t0 = System.nanoTime();
        List<String> faults = faults(spec);
        List<Weakness> found = new ArrayList<>();
        for (String f : faults) {
            trial(List.of(f), found);
        }
        int total = 0;
        int tried = 0;
        if (so.depth() == 2) {
            total = faults.size() * (faults.size() - 1) / 2;
            double step = Math.max(1.0, (double) total / Math.max(1, so.maxPairs()));
            int k = 0;
            double next = 0;
            for (int i = 0; i < faults.size(); i++) {
                for (int j = i + 1; j < faults.size(); j++, k++) {
                    if (k >= next && tried < so.maxPairs()) {
                        next += step;
                        tried++;
                        trial(List.of(faults.get(i), faults.get(j)), found);
                    }
                }
            }
        }
        return new Result(faults.size(), tried, total, (System.nanoTime() - t0) / 1_000_000, found);
    }

    /** One run: the starting events, the settle time, then the faults; adds what went wrong to {@code found}. */
    private void trial(List<String> faults, List<Weakness> found) {
        SimDriver d = WhatIf.start(spec, options);
        List<WhatIfEvents.Step> steps = new ArrayList<>(start.steps());
        if (options.snapshots() == null && steps.stream().noneMatch(s -> s.text().startsWith("start "))) {
            steps.add(0, new WhatIfEvents.Step(0, "start all", 0, SimDriver::startAll));
        }
        d.run(steps, so.settleMs());
        long at = d.now();
        List<String> runningAt = new ArrayList<>();
        for (GroupSpec g : spec.groups()) {
            SimDriver.Uptime u = d.uptime().get(g.id());
            u.maxOwners = 0;
            u.twoOwners = null;
            u.maxPrimaries = 0;
            u.twoPrimaries = null;
            if (!d.sim().runningOn(g.id()).isEmpty() && !maintenance(d, g.id())) {
                runningAt.add(g.id());
            }
        }
        int events = d.sim().events().size();
        WhatIfEvents.Script fs = WhatIfEvents.parse(spec, faults);
        for (int i = 0; i < fs.steps().size(); i++) {
            if (i > 0) {
                d.runFor(so.gapMs());
            }
            fs.steps().get(i).action().accept(d);
            d.sample();
        }
        d.runFor(2 * so.boundMs());
        d.sample();
        String what = String.join(", then ", faults);
        for (String g : runningAt) {
            SimDriver.Uptime u = d.uptime().get(g);
            String twoPrimaries = d.sim().violations().stream().filter(v -> v.contains("group " + g + " has two primaries"))
                    .findFirst().orElse(null);
            if (u.maxPrimaries > 1 || twoPrimaries != null) {
                found.add(new Weakness(faults, "two primaries", g, "after " + what + ", group " + g + " has two"
                        + " primaries at once" + (u.twoPrimaries == null ? "" : " (" + u.twoPrimaries + ")")
                        + ": both accept writes and their copies diverge" + (twoPrimaries == null ? "" : "; " + twoPrimaries)));
                continue;
            }
            if (u.maxOwners > 1 || !d.sim().violations().isEmpty()) {
                found.add(new Weakness(faults, "two nodes", g, "after " + what + ", group " + g + " runs on two nodes at"
                        + " once" + (u.twoOwners == null ? "" : " (" + u.twoOwners + ")")
                        + (d.sim().violations().isEmpty() ? "" : "; " + d.sim().violations().get(0))));
                continue;
            }
            if (u.downSince >= 0) {
                List<String> able = able(d, g, faults);
                if (!able.isEmpty()) {
                    found.add(new Weakness(faults, "left offline", g, "after " + what + ", group " + g + " is offline"
                            + " from " + WhatIfReport.sec(u.downSince - at) + " after the fault to the end (" + WhatIfReport
                            .sec(d.now() - at) + ") although " + String.join(" and ", able) + " could run it: "
                            + why(d, g, able, events)));
                }
                continue;
            }
            for (long[] iv : u.intervals) {
                if (iv[1] > at && iv[1] - Math.max(iv[0], at) > so.boundMs()) {
                    found.add(new Weakness(faults, "slow", g, "after " + what + ", group " + g + " is offline for "
                            + WhatIfReport.sec(iv[1] - Math.max(iv[0], at)) + " (bound " + WhatIfReport.sec(so.boundMs())
                            + ")"));
                    break;
                }
            }
        }
    }

    private static boolean maintenance(SimDriver d, String group) {
        return d.sim().spec().group(group).orElseThrow().nodes().stream().map(n -> d.sim().engine(n))
                .anyMatch(e -> e != null && e.maintenance(group));
    }

    /** Nodes of the group whose process is up and that no fault of the run touches for this group. */
    private List<String> able(SimDriver d, String g, List<String> faults) {
        List<String> able = new ArrayList<>();
        for (String n : spec.group(g).orElseThrow().nodes()) {
            boolean touched = faults.stream().map(f -> f.split(" ")).anyMatch(p -> p.length == 4 && p[1].equals(n)
                    && p[2].equals(g) && !p[0].startsWith("stop-") && !p[0].equals("kill"));
            if (d.sim().condition(n).equals("up") && !touched) {
                able.add(n);
            }
        }
        return able;
    }

    /** The engines' view: the group's state per node, why a node holds back, and the last thing said about it. */
    private String why(SimDriver d, String g, List<String> able, int since) {
        StringBuilder sb = new StringBuilder();
        for (String n : able) {
            Engine e = d.sim().engine(n);
            GroupStatus gs = e.status(Instant.EPOCH).groups().stream().filter(x -> x.group().equals(g)).findFirst().orElseThrow();
            sb.append(n).append(" has it ").append(e.state(g));
            if (gs.blockedOn().contains(n)) {
                sb.append(", blocked there (it gave the group up earlier and takes it again only after 'clear ").append(g)
                        .append("')");
            }
            if (gs.detail() != null && !gs.detail().isBlank()) {
                sb.append(" (").append(gs.detail()).append(')');
            }
            String last = lastWord(d, n, g, since);
            if (last != null) {
                sb.append("; its last word: ").append(last);
            }
            sb.append(". ");
        }
        return sb.toString().strip();
    }

    /** The last event the node emitted about the group or its safety check, since the faults. */
    private static String lastWord(SimDriver d, String node, String g, int since) {
        List<ClusterEvent> evs = d.sim().events();
        for (int i = evs.size() - 1; i >= since; i--) {
            ClusterEvent e = evs.get(i);
            if (node.equals(e.node()) && (g.equals(e.group()) || e.group() == null)
                    && !e.kind().name().startsWith("PEER_")) {
                return e.kind().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + e.message();
            }
        }
        return null;
    }
}
