package org.tandemha.core.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * The simulated shared disk array: one registration per node (a fenced node's key was preempted and its writes are
 * rejected), the node holding the reservation, and per group the highest generation started on the disk. It can
 * forget every registration ({@link SimCluster#arrayForgets}). It also keeps the ground truth the array may forget,
 * to flag an accepted write from an older generation than one already started (a violation: the new holder's data
 * could be corrupted).
 */
final class SharedArray {
    private final SimWorld w;
    /** Per group, the highest generation started on the disk as the array remembers it (forgotten with the registrations). */
    private final Map<String, Long> diskGeneration = new HashMap<>();
    /**
     * The generations the arbiters keep (a lease block's data, a witness's memory): they survive the array losing
     * its registrations, which are not data.
     */
    private final Map<String, Long> arbiterGeneration = new HashMap<>();
    /** The ground truth the array may forget: per group, the highest generation ever started on the disk. */
    private final Map<String, Long> startedGeneration = new HashMap<>();
    /** The node holding the reservation, or null. */
    String owner;
    long writesAccepted;
    long writesRejected;

    SharedArray(SimWorld w) {
        this.w = w;
    }

    /** Volume start: the node registers its key; the takeover generation is now on the disk. */
    void volumeStarted(SimNode n, String group, long generation) {
        w.machine(n).fenced = false;
        diskGeneration.merge(group, generation, Math::max);
        arbiterGeneration.merge(group, generation, Math::max);
        startedGeneration.merge(group, generation, Math::max);
    }

    /** A check of a running volume: it writes, and first registers again if the array forgot every key. */
    void checkWrite(SimNode n, String group, long generation) {
        if (owner == null && !w.machine(n).fenced && !diskGeneration.containsKey(group)) {
            // Every key is gone (the array forgot them all), none of a peer: the volume registers and
            // reserves again, and the generation goes back on the disk (finding 6's "re-register").
            w.log(n.key + " finds every key gone from the array and registers again");
            owner = n.id;
            diskGeneration.merge(group, generation, Math::max);
            arbiterGeneration.merge(group, generation, Math::max);
        }
        write(n, group, generation);
    }

    /**
     * A write to the shared disk by a node holding the group at {@code generation}. The disk accepts it only from
     * a registered key (a fenced node's key was preempted). An accepted write from an older generation than one
     * already started on the disk is a violation: the data of the new holder could be corrupted.
     */
    private void write(SimNode n, String group, long generation) {
        if (w.machine(n).fenced || n.crashed) {
            writesRejected++;
            return;
        }
        long newest = startedGeneration.getOrDefault(group, 0L);
        if (w.coordination != null && generation < newest) {
            writesRejected++; // lease tokens: the volume checks the token and refuses an older one
            return;
        }
        writesAccepted++;
        // A group in maintenance is the operator's: the engine neither stops it nor keeps it off the disk. (The
        // simulated disk has one registration per node for all groups, so a volume of another group started
        // here registers this node again, which a real array with a volume per group would not do.)
        if (generation < newest && !(n.engine != null && n.engine.maintenance(group))) {
            w.violations.add("t=" + w.now() + " the disk accepted a write to " + group + " from " + n.id
                    + " at generation " + generation + " after generation " + newest + " started");
        }
    }

    /** The highest generation ever started for the group (the ground truth). */
    long startedGeneration(String group) {
        return startedGeneration.getOrDefault(group, 0L);
    }

    /** The highest generation the arbiters have seen, over every group (what a safety check reports). */
    long arbiterGeneration() {
        return arbiterGeneration.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    void forget() {
        w.log("the array loses every registration");
        owner = null;
        diskGeneration.clear();
    }
}
