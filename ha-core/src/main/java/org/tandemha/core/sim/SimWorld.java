package org.tandemha.core.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Input;

/**
 * What the parts of a simulated cluster share: the specification, the seeded random source, the process instances,
 * the simulated clock with its queue of scheduled tasks, and the records a test reads (log, events, violations,
 * command results). The parts are wired here: {@link SimProcesses} (node faults), {@link SimNetwork} (messages and
 * membership), {@link SimResources} (resources and checks), {@link SharedArray} (the shared disk),
 * {@link SimArbiters} (safety checks and fencing), {@link SimEdge} (what a node's runtime does with an engine's
 * actions) and {@link Invariants} (what must hold after every step).
 */
final class SimWorld {
    private record Scheduled(long at, long seq, Runnable task) {
    }

    final ClusterSpec spec;
    final Random random;
    final Map<String, SimNode> nodes = new LinkedHashMap<>();
    /** Second copies of a node's process, by node id (at most one each). */
    final Map<String, SimNode> twins = new LinkedHashMap<>();
    final List<ClusterEvent> events = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    final Map<Long, CommandResult> commandResults = new HashMap<>();
    Consumer<ClusterEvent> eventSink = e -> { };
    /** Whether fencing methods are configured: engines booted from now on may fence a peer whose stop failed. */
    boolean fencing;

    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long now;
    private long seq;
    private int steps;

    final SimProcesses processes;
    final SimNetwork network;
    final SimResources resources;
    final SharedArray array;
    final SimArbiters arbiters;
    final SimEdge edge;
    final Invariants invariants;
    /** The coordination service, when the spec has one (null: the peers decide ownership). */
    final SimCoordination coordination;

    SimWorld(ClusterSpec spec, long seed) {
        this.spec = spec;
        this.random = new Random(seed);
        for (String n : spec.nodeIds()) {
            nodes.put(n, new SimNode(n));
        }
        this.processes = new SimProcesses(this);
        this.network = new SimNetwork(this);
        this.resources = new SimResources(this);
        this.array = new SharedArray(this);
        this.arbiters = new SimArbiters(this);
        this.edge = new SimEdge(this);
        this.invariants = new Invariants(this);
        this.coordination = spec.coordinated() ? new SimCoordination(this) : null;
    }

    long now() {
        return now;
    }

    /** The node's process instance (not its second copy); a clear error for a node the cluster does not have. */
    SimNode node(String id) {
        SimNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("simulated cluster: no node '" + id + "' (the cluster's nodes are "
                    + nodes.keySet() + "; fix: use one of them)");
        }
        return n;
    }

    /** Every process instance: the nodes, then the second copies. */
    List<SimNode> all() {
        List<SimNode> l = new ArrayList<>(nodes.values());
        l.addAll(twins.values());
        return l;
    }

    /** The instances of one node id: the node and its second copy, if any. */
    List<SimNode> instances(String id) {
        SimNode t = twins.get(id);
        return t == null ? List.of(nodes.get(id)) : List.of(nodes.get(id), t);
    }

    /** The machine an instance runs on (what is fenced, what keeps the state directory). */
    SimNode machine(SimNode n) {
        return n.elsewhere ? n : nodes.get(n.id);
    }

    /** No process of the node runs (machine down, process crashed or left). */
    boolean processDown(SimNode peer) {
        return instances(peer.id).stream().allMatch(i -> i.crashed || i.engine == null);
    }

    /** Sets the clock of a cluster that has not run yet (a start from snapshots taken at engine time {@code t}). */
    void startClockAt(long t) {
        if (now != 0 || !queue.isEmpty()) {
            throw new IllegalStateException("simulated cluster: it already runs; start from snapshots before anything else");
        }
        now = t;
    }

    void log(String line) {
        log.add(now + " " + line);
    }

    // ------------------------------------------------------------------ simulated time

    /** Runs {@code r} {@code delay} ms from now (in the order scheduled, for tasks due at the same time). */
    void at(long delay, Runnable r) {
        queue.add(new Scheduled(now + Math.max(0, delay), seq++, r));
    }

    /** Runs every scheduled task and engine wake-up due up to {@code t}, in time order; then the clock reads t. */
    void runUntil(long t) {
        while (true) {
            long next = Long.MAX_VALUE;
            Scheduled s = queue.peek();
            if (s != null) {
                next = s.at;
            }
            SimNode wake = null;
            for (SimNode n : all()) {
                if (n.engine != null && !n.paused && n.wakeAt < next) {
                    next = n.wakeAt;
                    wake = n;
                }
            }
            if (next > t) {
                now = t;
                return;
            }
            now = Math.max(now, next);
            if (wake != null) {
                wake.wakeAt = Long.MAX_VALUE;
                edge.deliver(wake, new Input.Tick());
            } else {
                queue.poll().task.run();
            }
            if (++steps > 5_000_000) {
                throw new IllegalStateException("simulation does not settle: more than 5,000,000 steps by t=" + now
                        + " ms (an engine that wakes itself up without end?)");
            }
        }
    }

    /** Runs until the predicate holds or {@code maxMs} passed (checked every 50 ms); returns whether it held. */
    boolean runUntil(BooleanSupplier done, long maxMs) {
        long end = now + maxMs;
        while (now < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            runUntil(now + Math.min(50, end - now));
        }
        return done.getAsBoolean();
    }
}
