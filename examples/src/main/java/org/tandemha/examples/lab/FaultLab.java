package org.tandemha.examples.lab;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tandemha.core.exec.Posix;

/**
 * Tandem's fault lab (its CTS): real node JVMs in network namespaces, a real client working through the floating
 * address and recording a history, a nemesis drawing random faults from a seeded {@link java.util.Random}, and a
 * checker over the history ({@link ClusterRun}).
 *
 * <pre>
 * examples/bench/run.sh faults [--faults N] [--seed S] [--cluster web|db|both]
 * </pre>
 *
 * Defaults: 200 faults, both clusters (the faults are shared between them: web gets the larger half), a seed drawn
 * at random and printed (pass it back with {@code --seed} to run the same fault sequence again). Needs root. Prints
 * a line per fault, a table per fault kind (count, median and max time to recovery) and, last, the summary line
 * {@code fault lab: runs=... faults=... kinds=... split_brains=... lost_writes=... outages_over_bound=...
 * max_outage_ms=...}. Exit status 0 when the checker found nothing, 1 otherwise, 2 for bad usage or a set-up failure.
 */
public final class FaultLab {
    private FaultLab() {
    }

    /** What one lab run found. */
    public record Report(List<ClusterRun.Result> results, long lostWrites, int splitBrains, int outagesOverBound,
                         long maxOutageMs, int runs, List<String> failures, String summary) {
        public boolean clean() {
            return lostWrites == 0 && splitBrains == 0 && outagesOverBound == 0 && failures.isEmpty();
        }
    }

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: FaultLab [--faults N] [--seed S] [--cluster web|db|both]\nThe fault lab (root; examples/bench/run.sh faults runs it): real nodes in namespaces, a seeded nemesis, a checker.");
            return;                                             // --help: usage, exit 0
        }
        int faults = 200;
        long seed = new java.util.Random().nextInt(1_000_000);
        String cluster = "both";
        String cp = System.getProperty("java.class.path");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                usage("option " + a + " needs a value");
            }
            switch (a) {
                case "--faults" -> faults = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--cluster" -> cluster = args[++i];
                case "--classpath" -> cp = args[++i];
                default -> usage("unknown option " + a);
            }
        }
        if (!List.of("web", "db", "both").contains(cluster)) {
            usage("--cluster must be web, db or both, not '" + cluster + "'");
        }
        if (faults < 1 || faults > 100_000) {
            usage("--faults must be between 1 and 100000");
        }
        if (!Posix.isRoot()) {
            System.err.println("the fault lab needs root (network namespaces, nftables, tgtd, loop devices, mounts); run it with sudo");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Report r = run(cp, cluster, faults, seed, out);
        System.exit(r.clean() ? 0 : 1);
    }

    private static void usage(String problem) {
        System.err.println("fault lab: " + problem + "; use --faults N --seed S --cluster web|db|both");
        System.exit(2);
    }

    /** Runs the lab; prints progress, the table and the summary line (last) to {@code out}. */
    public static Report run(String classpath, String cluster, int faults, long seed, PrintStream out) throws Exception {
        String cp = classpath;
        Optional<Path> driver = org.tandemha.examples.sharedarray.SharedArrayCluster.postgresqlDriver();
        if (driver.isPresent() && !cp.contains(driver.get().getFileName().toString())) {
            cp = cp + File.pathSeparator + driver.get();
        }
        List<String> clusters = cluster.equals("both") ? List.of("web", "db") : List.of(cluster);
        if (clusters.contains("db") && driver.isEmpty() && !cp.contains("postgresql")) {
            throw new IOException("the db cluster needs the PostgreSQL JDBC driver (org.postgresql:postgresql) in the local Maven repository");
        }
        out.println("fault lab: seed " + seed + ", " + faults + " faults, cluster " + cluster
                + " (run it again with --seed " + seed + " for the same fault sequence)");
        List<ClusterRun.Result> results = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        long lost = 0;
        int runs = 0;
        for (int i = 0; i < clusters.size(); i++) {
            String which = clusters.get(i);
            int n = clusters.size() == 1 ? faults : (i == 0 ? (faults + 1) / 2 : faults / 2);
            if (n == 0) {
                continue;
            }
            ClusterRun run = new ClusterRun(which, cp, seed, n, out);
            runs++;
            try {
                run.run();
            } catch (Exception e) {
                if (run.results().isEmpty()) {
                    // the cluster never came up (no fault ran): set it up once more before calling it a failure
                    out.println("fault lab: " + which + " cluster did not come up (" + e.getMessage() + "); setting it up once more");
                    run = new ClusterRun(which, cp, seed, n, out);
                    try {
                        run.run();
                    } catch (Exception again) {
                        failures.add(which + ": the lab itself failed: " + again);
                        out.println("fault lab: " + which + " cluster: " + again);
                    }
                } else {
                    failures.add(which + ": the lab itself failed: " + e);
                    out.println("fault lab: " + which + " cluster: " + e);
                }
            }
            results.addAll(run.results());
            failures.addAll(run.failures());
            lost += run.lostWrites();
        }
        int split = 0;
        int over = 0;
        long max = 0;
        Set<FaultKind> kinds = new LinkedHashSet<>();
        for (ClusterRun.Result r : results) {
            split += r.splitBrains();
            over += r.overBound() ? 1 : 0;
            max = Math.max(max, r.outageMs());
            kinds.add(r.fault().kind());
            if (r.fault().overlap() != null) {
                kinds.add(r.fault().overlap().kind());
            }
        }
        out.println();
        out.printf("%-20s %6s %12s %12s %10s%n", "fault kind", "count", "median ms", "max ms", "problems");
        Map<String, List<ClusterRun.Result>> by = new LinkedHashMap<>();
        for (FaultKind k : FaultKind.values()) {
            for (ClusterRun.Result r : results) {
                if (r.fault().kind() == k) {
                    by.computeIfAbsent(r.cluster() + " " + k.label, x -> new ArrayList<>()).add(r);
                }
            }
        }
        for (Map.Entry<String, List<ClusterRun.Result>> e : by.entrySet()) {
            List<Long> t = e.getValue().stream().map(ClusterRun.Result::outageMs).sorted().toList();
            long problems = e.getValue().stream().filter(r -> !r.passed()).count();
            out.printf("%-20s %6d %12d %12d %10d%n", e.getKey(), t.size(), t.get((t.size() - 1) / 2), t.get(t.size() - 1), problems);
        }
        String summary = String.format("fault lab: runs=%d faults=%d kinds=%d split_brains=%d lost_writes=%d outages_over_bound=%d max_outage_ms=%d",
                runs, results.size(), kinds.size(), split, lost, over, max);
        if (!failures.isEmpty()) {
            out.println("failures (" + failures.size() + "):");
            failures.forEach(f -> out.println("  " + f));
        }
        out.println(summary);
        return new Report(results, lost, split, over, max, runs, failures, summary);
    }
}
