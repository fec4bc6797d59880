package org.tandemha.core.sim.whatif;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.PluginSpec;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.sim.SimCluster;

/**
 * What happens if...: runs a configuration's cluster in simulated time (the engines are the real ones; the
 * network, arbiters, fencing and resources are simulated, see {@link SimCluster}), from a fresh start or from saved
 * engine snapshots, applies a list of events ({@link WhatIfEvents}), and reports every decision with its reason and
 * time, the final placement and the downtime per group ({@link WhatIfReport}).
 *
 * <p>The simulated safety check follows the configuration: arbiters of type {@code scsi} or {@code disk-lease} race
 * for the shared disk (the winner fences the loser); other arbiters tell the truth (a crashed peer is dead, a live
 * one alive); no arbiter means no answer, or, with {@code quorum.twoNodeWithoutArbiter}, "dead" for every silent
 * peer. Fencing is on when the configuration has fencing methods. Simulated limits: a peer is declared unreachable
 * 300 ms after its heartbeats stop (whatever the paths' intervals), resources take 10 to 50 ms per action, safety
 * checks and fencing answer in 50 ms; the engines' own timeouts, check intervals and recovery limits are the
 * configuration's.
 */
public final class WhatIf {
    private WhatIf() {
    }

    /** How the simulated safety check answers (see the class description). */
    public enum Arbiter {
        /** A crashed peer is dead, a live one alive. */ TRUTH,
        /** A shared-disk race: the first to ask wins and fences the other. */ DISK_RACE,
        /** No arbiter answers. */ SILENT,
        /** No arbiter, and every silent peer counts as dead (quorum.twoNodeWithoutArbiter: the split-brain risk). */ DEAD,
        /** Only what the events script ({@code arbiter answers ...}); a question without a scripted answer: unknown. */ SCRIPT
    }

    /**
     * How to run.
     *
     * @param seed      the simulator's random seed (latencies): same seed, same run
     * @param arbiter   how the safety check answers; null: from the configuration ({@link #arbiterOf})
     * @param fencing   whether fencing methods are configured; null: from the configuration
     * @param snapshots start from these engine snapshots (node id to snapshot; a node without one is down); null:
     *                  a fresh start (every node boots at 0s unless the events start nodes themselves:
     *                  {@code start all}, {@code start NODE...}, or {@code boot NODE} at 0s)
     * @param runMs     how long to run after the last event when the events do not say ({@code run TIME})
     */
    public record Options(long seed, Arbiter arbiter, Boolean fencing,
                          Map<String, EngineSnapshot> snapshots, long runMs) {
        public static Options defaults() {
            return new Options(1, null, null, null, 30_000);
        }

        public Options withSnapshots(Map<String, EngineSnapshot> s) {
            return new Options(seed, arbiter, fencing, s, runMs);
        }

        public Options withArbiter(Arbiter a) {
            return new Options(seed, a, fencing, snapshots, runMs);
        }

        public Options withFencing(Boolean f) {
            return new Options(seed, arbiter, f, snapshots, runMs);
        }

        public Options withSeed(long s) {
            return new Options(s, arbiter, fencing, snapshots, runMs);
        }

        public Options withRun(long ms) {
            return new Options(seed, arbiter, fencing, snapshots, ms);
        }
    }

    /** How the configuration's safety check is simulated (see the class description). */
    public static Arbiter arbiterOf(ClusterSpec spec) {
        List<PluginSpec> as = spec.arbiters();
        if (as.isEmpty()) {
            return spec.quorum().twoNodeWithoutArbiter() ? Arbiter.DEAD : Arbiter.SILENT;
        }
        return as.stream().anyMatch(a -> a.type().equals("scsi") || a.type().equals("disk-lease"))
                ? Arbiter.DISK_RACE : Arbiter.TRUTH;
    }

    /** Runs the events (see {@link WhatIfEvents}) and reports what the cluster did. */
    public static WhatIfReport run(ClusterSpec spec, Options o, List<String> events) {
        WhatIfEvents.Script script = WhatIfEvents.parse(spec, events);
        return run(spec, o, script);
    }

    static WhatIfReport run(ClusterSpec spec, Options o, WhatIfEvents.Script script) {
        SimDriver d = start(spec, o);
        List<WhatIfEvents.Step> steps = new ArrayList<>(script.steps());
        boolean starts = steps.stream().anyMatch(s -> s.text().startsWith("start ")
                || (s.atMs() == 0 && s.text().startsWith("boot ")));
        if (o.snapshots() == null && !starts) {
            steps.add(0, new WhatIfEvents.Step(0, "start all", 0, SimDriver::startAll));
        }
        d.run(steps, script.runMs() >= 0 ? script.runMs() : o.runMs());
        return report(spec, o, d);
    }

    /** A driver on a new simulated cluster: nothing booted (fresh) or restored from the snapshots. */
    static SimDriver start(ClusterSpec spec, Options o) {
        SimCluster sim = new SimCluster(spec, o.seed()).fencing(o.fencing() != null ? o.fencing() : !spec.fencers().isEmpty());
        long t0 = 0;
        if (o.snapshots() != null) {
            sim.startFrom(o.snapshots());
            t0 = sim.now();
        }
        SimDriver d = new SimDriver(sim, t0);
        d.arbiter(o.arbiter() != null ? o.arbiter() : arbiterOf(spec));
        return d;
    }

    static WhatIfReport report(ClusterSpec spec, Options o, SimDriver d) {
        Map<String, WhatIfReport.Downtime> down = new LinkedHashMap<>();
        long end = d.now();
        for (GroupSpec g : spec.groups()) {
            SimDriver.Uptime u = d.uptime().get(g.id());
            List<long[]> iv = new ArrayList<>(u.intervals);
            long total = iv.stream().mapToLong(x -> x[1] - x[0]).sum();
            if (u.downSince >= 0) {
                total += end - u.downSince;
            }
            down.put(g.id(), new WhatIfReport.Downtime(total, iv, u.downSince, u.everUp, u.maxOwners));
        }
        String arb = (o.arbiter() != null ? o.arbiter() : arbiterOf(spec)).name().toLowerCase().replace('_', '-');
        String header = "what-if: cluster " + spec.cluster() + ", nodes " + String.join(" ", spec.nodeIds()) + ", groups "
                + String.join(" ", spec.groups().stream().map(GroupSpec::id).toList()) + "; start: "
                + (o.snapshots() == null ? "fresh" : "snapshots of " + String.join(" ", o.snapshots().keySet()))
                + "; arbiter: " + arb + "; fencing: " + (d.sim().spec() != null && (o.fencing() != null ? o.fencing()
                : !spec.fencers().isEmpty()) ? "on" : "off") + "; seed " + o.seed();
        return new WhatIfReport(header, d.transcript(), d.after(), down, d.replication(), d.decisions(), d.answers(),
                List.copyOf(d.sim().violations()), end);
    }
}
