package org.tandemha.core.runtime;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.EventKind;
import org.tandemha.api.Membership;
import org.tandemha.api.PathStatus;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.Wire;

/**
 * The engine's thread (principle 9: one thread owns the cluster state). Each input is one step: the engine decides,
 * the node's view is published to plugins, the generations are written ahead, then the step's actions run, and the
 * next wake-up is armed. Write-ahead: a generation is on disk before any action of the step that first used it runs;
 * while the generations cannot be saved, what needs them is answered "not done" instead of run, the engine is told,
 * and the write is tried again every second.
 */
final class StepLoop {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
    /** How soon a failed write of the generations is tried again. */
    private static final long STORE_RETRY_MS = 1000;

    private final ClusterSpec spec;
    private final String self;
    private final Engine engine;
    private final ScheduledExecutorService loop;
    private final Membership membership;
    private final Path stateDir;
    private final EventDispatcher events;
    private final EngineClock clock;
    private final Action.Handler executor;

    private volatile ClusterStatus snapshot;
    private volatile boolean snapshotStale = true;
    private volatile Map<String, Boolean> deadOrFenced = Map.of();
    private volatile Map<String, Map<String, String>> facts = Map.of();
    private volatile String mustReset;
    private volatile boolean inTransition;
    private Map<String, Long> savedGenerations = Map.of();
    /** Why the generations could not be saved (the last failure), or null while they are durable. */
    private String storeError;
    /** Whether the engine has been told the generations are not durable (it then claims and acknowledges nothing). */
    private boolean engineKnowsNotDurable;
    private ScheduledFuture<?> wakeup;
    private long wakeupAt = Long.MAX_VALUE;
    /** The peers (every node but this one), in the configuration's order. */
    private final List<String> peers;
    /**
     * Inputs waiting for the engine's thread, in the order they came, with the engine time they came at ({@link Input}
     * or, from {@link #submitLatest}, a {@code Supplier<Input>} asked when its turn comes). One task on the loop
     * drains them: a burst of check results wakes the engine's thread once, not once per result.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<Waiting> waiting = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** An input and the engine time it came at. */
    private record Waiting(Object input, long at) {
    }
    /** Whether a drain task is queued on the loop or running. */
    private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
    /** At most this many inputs per drain task, so that other work on the loop (a status, a wake-up) is not held up. */
    private static final int DRAIN_BATCH = 64;
    /** The journal of the engine's inputs (null: none); written on the engine's thread only. */
    private volatile org.tandemha.core.journal.Journal journal;

    StepLoop(ClusterSpec spec, String self, Engine engine, ScheduledExecutorService loop, Membership membership,
             Path stateDir, EventDispatcher events, EngineClock clock, Action.Handler executor) {
        this.spec = spec;
        this.self = self;
        this.engine = engine;
        this.loop = loop;
        this.membership = membership;
        this.stateDir = stateDir;
        this.events = events;
        this.clock = clock;
        this.executor = executor;
        this.snapshot = engine.status(Instant.now());
        this.peers = spec.nodeIds().stream().filter(n -> !n.equals(self)).toList();
        this.remembered = stateDir == null ? Map.of() : Map.copyOf(GenerationStore.load(stateDir, self));
    }

    /**
     * The generations on disk when this node started: every save writes at least these. Inputs reach the engine
     * before it boots (a peer's heartbeat, a probe); the engine then knows no generation of its own yet, and a save
     * of what it knows overwrote the remembered ones with lower ones before the boot read them: a restarted node
     * claimed a generation it had held before (a fencing token reused).
     */
    private final Map<String, Long> remembered;

    /** Queues an input for the engine's thread; dropped once the node is closed. */
    void submit(Input in) {
        snapshotStale = true; // an input waits: the view may change (and a busy engine shows in status())
        if (loop.isShutdown()) {
            return; // closed: nothing more to decide
        }
        waiting.add(new Waiting(in, clock.now()));
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (draining.compareAndSet(false, true)) {
            try {
                loop.execute(this::drain);
            } catch (RejectedExecutionException e) {
                waiting.clear(); // closed: nothing more to decide
            }
        }
    }

    /** On the engine's thread: the waiting inputs, one step each, in the order they came. */
    private void drain() {
        for (int n = 0; n < DRAIN_BATCH; n++) {
            if (!stepWaiting()) {
                break;
            }
        }
        draining.set(false);
        if (!waiting.isEmpty()) {
            scheduleDrain();
        }
    }

    /**
     * Queues an input decided on the engine's thread when its turn comes ({@code latest} gives it then; null: none).
     * For inputs of which only the newest matters (a peer's announcement superseded by a newer one queued meanwhile).
     */
    void submitLatest(java.util.function.Supplier<Input> latest) {
        snapshotStale = true;
        if (loop.isShutdown()) {
            return;
        }
        waiting.add(new Waiting(latest, clock.now()));
        scheduleDrain();
    }

    /** Whether a peer was declared dead or fenced, as of the last step (what plugins read). */
    boolean peerDeadOrFenced(String node) {
        return Boolean.TRUE.equals(deadOrFenced.get(node));
    }

    /** A peer's published facts, as of the last step. */
    Map<String, String> peerFacts(String node) {
        return facts.getOrDefault(node, Map.of());
    }

    /** Why this node must be reset (a group it could not stop), or null; as of the last step. */
    String mustReset() {
        return mustReset;
    }

    /** Whether a group is starting or stopping here, as of the last step. */
    boolean inTransition() {
        return inTransition;
    }

    /**
     * The node's status: built on the engine's thread, waiting at most 2 s; a busy engine gives the last one, marked
     * stale.
     */
    ClusterStatus status(boolean closed) {
        ClusterStatus s = snapshot;
        boolean stale = snapshotStale;
        if (snapshotStale && !closed) {
            try {
                s = loop.submit(() -> {
                    snapshotStale = false;
                    snapshot = engine.status(Instant.now());
                    return snapshot;
                }).get(2, TimeUnit.SECONDS);
                stale = false;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                s = snapshot;
            }
        }
        List<PathStatus> paths;
        try {
            paths = membership.paths();
        } catch (RuntimeException e) {
            paths = List.of();
        }
        return new ClusterStatus(s.cluster(), s.localNode(), s.time(), s.nodes(), paths, s.groups(), stale);
    }

    /** Journals every input from now on (before the first input: the journal then replays from the boot). */
    void journal(org.tandemha.core.journal.Journal j) {
        this.journal = j;
    }

    /** Takes the oldest waiting input, if any, to the engine; false when none waited. */
    private boolean stepWaiting() {
        Waiting w = waiting.poll();
        if (w == null) {
            return false;
        }
        Input in;
        if (w.input() instanceof Input i) {
            in = i;
        } else {
            @SuppressWarnings("unchecked")
            java.util.function.Supplier<Input> latest = (java.util.function.Supplier<Input>) w.input();
            in = latest.get();
        }
        if (in != null) {
            step(in, w.at());
        }
        return true;
    }

    /**
     * One step, at the engine time {@code at} the input came at (the engine keeps its time monotonic): a busy engine
     * thread that comes to a check's result late still decides it at the time it came, so that a result that came in
     * time is not taken for a timeout because the engine was behind (seen at 10,000 resources starting under C1).
     */
    private void step(Input in, long at) {
        List<Action> actions;
        long now = at;
        try {
            actions = engine.handle(in, now);
        } catch (RuntimeException | Error e) {
            // The engine is pure logic; a bug here must not kill the loop (principle 13).
            LOG.error("node {}: engine failed on {}", self, in, e);
            events.dispatch(new ClusterEvent(0, Instant.now(), EventKind.NODE_WARNING, ClusterEvent.Level.ERROR, self, null, null,
                    "internal error in the engine while handling " + in.getClass().getSimpleName() + ": " + e, Map.of()));
            return;
        }
        org.tandemha.core.journal.Journal j = journal;
        if (j != null) {
            j.append(now, in, actions); // never throws: a failing journal stops, the node carries on
        }
        snapshotStale = true; // before any command completes, so its caller's next status() is fresh
        // What resources read through NodeContext (a peer declared dead, its facts) is published before the step's
        // actions run: a takeover started by this step must see the verdict that allowed it.
        // (new maps only when something changed: most steps are check results, which change neither)
        if (peerViewChanged()) {
            Map<String, Boolean> dof = new ConcurrentHashMap<>();
            Map<String, Map<String, String>> fs = new ConcurrentHashMap<>();
            for (String n : peers) {
                dof.put(n, engine.peerDeadOrFenced(n));
                fs.put(n, engine.peerFacts(n));
            }
            deadOrFenced = dof;
            facts = fs;
        }
        mustReset = engine.mustReset();
        if (inTransition || !actions.isEmpty()) {
            // (a group starts or stops moving only in a step that returns actions: its state change is an event; the
            // scan of every group is skipped for the many steps that return none, such as a passing check's result)
            inTransition = engine.inTransition();
        }
        if (in instanceof Input.GenerationsDurable d) {
            engineKnowsNotDurable = !d.durable();
        }
        boolean durable = saveGenerations();
        for (Action a : actions) {
            try {
                if (durable || Action.runsWithoutDurableGenerations(a, engineKnowsNotDurable)) {
                    a.dispatch(executor);
                } else {
                    Input answer = Action.heldBackAnswer(a, "not done: the generations of node " + self
                            + " could not be saved (" + storeError + ")");
                    if (answer != null) {
                        submit(answer);
                    }
                }
            } catch (RuntimeException e) {
                LOG.error("node {}: action {} failed", self, a, e);
            }
        }
        long next = engine.nextWakeup();
        scheduleWakeup(storeError == null ? next : Math.min(next, clock.now() + STORE_RETRY_MS));
    }

    /** Whether what plugins read about the peers (declared dead or fenced, their facts) differs from the engine's. */
    private boolean peerViewChanged() {
        Map<String, Boolean> dof = deadOrFenced;
        Map<String, Map<String, String>> fs = facts;
        for (String n : peers) {
            Boolean d = dof.get(n);
            if (d == null || d != engine.peerDeadOrFenced(n) || fs.get(n) != engine.peerFacts(n)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Write-ahead: a generation is on disk before any action of the step that first used it runs. Returns whether
     * the generations are durable; tells the engine when that changes (it stands down while they are not).
     */
    private boolean saveGenerations() {
        if (storeError == null && engine.knownGenerationsEqual(savedGenerations)) {
            return true; // the common step: nothing to write, and no map built to find that out
        }
        Map<String, Long> gens = engine.knownGenerations();
        Map<String, Long> write = gens;
        if (!remembered.isEmpty()) {
            Map<String, Long> merged = new java.util.LinkedHashMap<>(gens);
            remembered.forEach((k, v) -> merged.merge(k, v, Math::max)); // never below what this node remembered
            write = merged;
        }
        try {
            GenerationStore.save(stateDir, write, self);
            savedGenerations = gens;
            if (storeError != null) {
                storeError = null;
                LOG.warn("node {}: generations saved again in {}", self, stateDir);
                submit(new Input.GenerationsDurable(true, null));
                if (engine.lastAnnouncement() != null) {
                    membership.announce(Wire.encode(engine.lastAnnouncement())); // what was held back
                }
            }
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            String why = "cannot write " + stateDir.resolve("generations.properties") + ": " + e;
            if (storeError == null) {
                LOG.error("node {}: {}; standing down until it can", self, why);
                submit(new Input.GenerationsDurable(false, why));
            }
            storeError = why;
            return false;
        }
    }

    private void scheduleWakeup(long at) {
        if (at == wakeupAt && wakeup != null && !wakeup.isDone()) {
            return;
        }
        if (wakeup != null) {
            wakeup.cancel(false);
        }
        wakeupAt = at;
        if (at == Long.MAX_VALUE) {
            wakeup = null;
            return;
        }
        try {
            wakeup = loop.schedule(() -> {
                wakeupAt = Long.MAX_VALUE;
                // what came before this wake-up is decided first, in order (a check's result waiting behind a
                // burst of inputs is not overtaken by the timer that would declare it timed out); bounded, so that
                // inputs coming faster than they are decided cannot hold the timer back for good
                for (int n = 0; n < 100_000 && stepWaiting(); n++) {
                    // (each step decides one)
                }
                step(new Input.Tick(), clock.now());
            }, Math.max(0, at - clock.now()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            wakeup = null;
        }
    }
}
