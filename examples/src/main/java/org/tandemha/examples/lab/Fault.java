package org.tandemha.examples.lab;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * One fault as drawn by the nemesis: what, on which node (the group's holder or the standby, resolved when the fault
 * runs), for how long, and for loss the rate and the path. A fault may carry a second one that overlaps it, starting
 * {@code overlapAtMs} after it. Everything here comes from the seeded {@link Random} alone, so a seed reproduces the
 * sequence whatever the cluster does.
 */
record Fault(int number, FaultKind kind, boolean onHolder, long durationMs, int lossPercent, String path, Fault overlap,
             long overlapAtMs) {

    /** The faults of one cluster: first every kind once (in a seeded order), then random draws. */
    static List<Fault> plan(String cluster, long seed, int count) {
        Random r = new Random(seed ^ (cluster.equals("web") ? 0x5eedL : 0xdbL << 16));
        List<FaultKind> kinds = FaultKind.forCluster(cluster);
        List<FaultKind> first = new ArrayList<>(kinds);
        Collections.shuffle(first, r);
        List<Fault> out = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            FaultKind k = i <= first.size() ? first.get(i - 1) : kinds.get(r.nextInt(kinds.size()));
            Fault f = draw(r, i, k);
            // About one fault in six gets a second, overlapping one (never a second process fault: one node at a time).
            boolean overlap = r.nextInt(6) == 0 && i > first.size();
            FaultKind second = kinds.get(r.nextInt(kinds.size()));
            long at = r.nextInt(1000);
            if (overlap && compatible(k, second)) {
                Fault o = draw(r, i, second);
                f = new Fault(i, f.kind, f.onHolder, f.durationMs, f.lossPercent, f.path, o, Math.min(at, f.durationMs));
            }
            out.add(f);
        }
        return out;
    }

    private static boolean compatible(FaultKind a, FaultKind b) {
        List<FaultKind> network = List.of(FaultKind.HB_LINK_DOWN, FaultKind.HB_SILENT, FaultKind.ONE_WAY, FaultKind.LOSS,
                FaultKind.WITNESS_RESTART);
        // the second is a network or witness fault of another kind: overlapping process faults would leave no node
        return a != b && network.contains(b) && a != FaultKind.STOP_HANG;
    }

    private static Fault draw(Random r, int number, FaultKind k) {
        boolean holder = r.nextInt(10) < 7;
        long d = switch (k) {
            case SIGSTOP_SHORT -> 50 + r.nextInt(150);
            case SIGSTOP_LONG -> 1500 + r.nextInt(2500);
            case JVM_KILL, NODE_KILL -> 500 + r.nextInt(2500);
            case STOP_HANG -> 500 + r.nextInt(5000);
            case CLEAN_RESTART, RESOURCE_KILL -> 0;
            default -> 1000 + r.nextInt(3000);
        };
        int loss = 5 + r.nextInt(46);
        String path = r.nextBoolean() ? "heartbeat" : "public";
        return new Fault(number, k, holder, d, loss, path, null, 0);
    }

    String describe(String node) {
        String what = switch (kind) {
            case LOSS -> kind + " " + lossPercent + "% on the " + path + " path of " + node;
            case WITNESS_RESTART, ARRAY_RESTART -> kind.toString();
            case HB_LINK_DOWN -> kind + " (the link of " + node + ")";
            default -> kind + " of " + node;
        };
        return what + (durationMs > 0 ? " for " + durationMs + " ms" : "");
    }
}
