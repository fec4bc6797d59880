package org.tandemha.core.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.Membership;
import org.tandemha.api.NodeContext;
import org.tandemha.api.ResourceParts;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.journal.Journal;

/**
 * A running node: the engine on one thread of its own ({@link StepLoop}), fed by the membership
 * ({@link MembershipInputs}), by the workers that carry out its actions ({@link ActionExecutor}), by the pause
 * detector ({@link PauseDetector}), by timers and by administrator commands (principle 9: one thread owns the
 * cluster state); its events go out through an {@link EventDispatcher}. This class starts and stops those parts in
 * order and answers the {@link ClusterNode} calls. Every action runs on a worker with its deadline; at the deadline
 * the engine counts a timeout, and {@code timing.actionSlack} later the worker is interrupted.
 */
public final class NodeRuntime implements ClusterNode, EngineView {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final ClusterSpec spec;
    private final String self;
    private final Engine engine;
    private final Membership membership;
    private final SafetyCheck safety;
    private final Path stateDir;
    /** The engine's input journal under the state directory (see {@link Journal}); null until started. */
    private Journal journal;
    private final EngineClock clock = new EngineClock();
    private final ScheduledExecutorService loop;
    private final EventDispatcher events;
    private final ActionExecutor actions;
    private final StepLoop steps;
    private final PauseDetector pauses;
    private final PluginContext context;
    private final Prober prober;
    /** The reachability monitor ({@code ping}), or null. */
    private final PingMonitor ping;
    private volatile boolean started;
    private volatile boolean closed;
    private Watchdog watchdog;
    private AutoCloseable stateLock;
    /** {@code realtime.checkPriority} for the engine's thread and the check threads. */
    private final RealtimeThreads realtime;
    /** The coordination service that decides ownership, or null (the peers decide). */
    private org.tandemha.api.Coordinator coordinator;

    NodeRuntime(ClusterSpec spec, String self, Membership membership,
                SafetyCheck safety, FencingChain fencing, Path stateDir, Map<Class<?>, Object> services,
                List<Consumer<ClusterEvent>> initialListeners) {
        this.spec = spec;
        this.self = self;
        this.membership = membership;
        this.safety = safety;
        this.stateDir = stateDir;
        this.engine = new Engine(spec, self, !fencing.isEmpty(), clock::wallTime);
        this.loop = Executors.newSingleThreadScheduledExecutor(named("tandem-engine-" + self, false));
        this.realtime = new RealtimeThreads(self, spec.realtime());
        if (realtime.enabled()) {
            safety.realtime(realtime);
        }
        this.events = new EventDispatcher(self, initialListeners);
        Consumer<Input> submit = this::submit; // the step loop is built after the executor it runs actions with
        this.actions = new ActionExecutor(self, engine, membership, safety, fencing, loop, submit, events,
                spec.timing().actionSlack(), realtime);
        this.steps = new StepLoop(spec, self, engine, loop, membership, stateDir, events, clock, actions);
        this.pauses = new PauseDetector(self, spec.timing().pauseReport(), submit);
        this.context = new PluginContext(spec, self, stateDir, Map.copyOf(services), steps, events);
        this.prober = new Prober(self, spec, submit, spec.timing().actionSlack());
        this.ping = spec.ping() == null ? null : new PingMonitor(self, spec.ping(), submit, () -> System.nanoTime() / 1_000_000);
    }

    private void submit(Input in) {
        steps.submit(in);
    }

    static ThreadFactory named(String name, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? name + "-" + n.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Installs the resources this node runs; once, before {@link #start()}. */
    void install(Map<String, ResourceParts> built) {
        actions.install(built);
        prober.install(built, this::offlineGroups);
    }

    /** The groups offline on this node, read on the engine's thread (which groups a probe looks at). */
    private CompletableFuture<java.util.Set<String>> offlineGroups() {
        CompletableFuture<java.util.Set<String>> f = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                java.util.Set<String> offline = new java.util.HashSet<>();
                for (var g : spec.groups()) {
                    if (g.priority(self) >= 0 && engine.state(g.id()) == org.tandemha.core.engine.LocalState.OFFLINE) {
                        offline.add(g.id());
                    }
                }
                f.complete(offline);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    /** Installs the coordination service; once, before {@link #start()}. */
    void coordinator(org.tandemha.api.Coordinator c) {
        this.coordinator = c;
        actions.coordinator(c);
    }

    /** The context plugins of this node get. */
    NodeContext context() {
        return context;
    }

    /**
     * The wall clock in epoch milliseconds at engine time 0: the engine's events are stamped {@code wallBase +
     * engine time}, so a replay of its inputs at their engine times gives the same time stamps.
     */
    long wallBase() {
        return clock.wallBase();
    }

    // ------------------------------------------------------------------ ClusterNode

    @Override
    public String nodeId() {
        return self;
    }

    @Override
    public synchronized void start() {
        if (started) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("node " + self + " was closed; build a new one");
        }
        // Before anything else: a second copy of this node must fail here, before it binds, renews a lease or
        // cleans up (which would stop the running copy's resources).
        stateLock = StateDirectory.lock(stateDir, self);
        started = true;
        try {
            // Before the first input, so that the journal replays from the boot (the engine is idle until then).
            journal = Journal.open(stateDir.resolve("journal"), spec.cluster(), self, spec.fingerprint(), clock.wallBase(),
                    clock.now(), engine::snapshot, SnapshotJson::toTree, Journal.Options.defaults());
            steps.journal(journal);
            if (!safety.hasArbiters() && spec.nodes().size() == 2) {
                LOG.warn("node {}: two-node cluster without arbiter: a silent peer counts as dead, which risks split brain"
                        + " when only the heartbeat paths fail; configure an arbiter (disk-lease, scsi, witness)", self);
            }
            if (spec.watchdog().enabled()) {
                watchdog = new Watchdog(self, Path.of(spec.watchdog().device()));
                try {
                    watchdog.open(spec.watchdog().timeout());
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("node " + self + ": cannot open watchdog " + spec.watchdog().device() + ": "
                            + e.getMessage() + " (load softdog, or remove watchdog from the configuration)", e);
                }
            }
            if (realtime.enabled()) {
                String why;
                try {
                    why = loop.submit(realtime::applyToCurrentThread).get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    why = "node " + self + ": realtime.checkPriority could not be applied to the engine's thread: " + e;
                }
                if (why != null && spec.realtime().required()) {
                    throw new IllegalStateException(why + "; or set realtime.required: false to run without it");
                }
            }
            // Probes before the engine boots: what runs here already is reported (the clean-up at start stops it).
            prober.atStart();
            membership.start(new MembershipInputs(self, steps::submit, steps::submitLatest, events, prober::peerJoined));
            safety.start();
            if (coordinator != null) {
                coordinator.start(new CoordinatorInputs(steps::submit));
            }
            // The engine boots (and cleans up leftovers) only once everything it needs has started.
            steps.submit(new Input.Boot(GenerationStore.load(stateDir, self), membership.incarnation()));
            if (watchdog != null) {
                long every = spec.watchdog().interval().toMillis();
                loop.scheduleAtFixedRate(() -> watchdog.feed(engine.mustReset()), 0, every, TimeUnit.MILLISECONDS);
            }
            pauses.start();
            if (ping != null) {
                ping.start();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("node {}: start failed, closing what it opened: {}", self, e.getMessage());
            closed = true;
            release();
            throw e;
        }
    }

    @Override
    public ClusterStatus status() {
        return steps.status(closed);
    }

    @Override
    public AutoCloseable subscribe(Consumer<ClusterEvent> listener) {
        return events.subscribe(listener);
    }

    @Override
    public CompletableFuture<CommandResult> switchover(String group, String targetNode) {
        return command(Input.Command.Kind.SWITCHOVER, group, targetNode);
    }

    @Override
    public CompletableFuture<CommandResult> switchback(String group) {
        return command(Input.Command.Kind.SWITCHBACK, group, null);
    }

    @Override
    public CompletableFuture<CommandResult> maintenance(String group, boolean on) {
        return command(on ? Input.Command.Kind.MAINTENANCE_ON : Input.Command.Kind.MAINTENANCE_OFF, group, null);
    }

    @Override
    public CompletableFuture<CommandResult> pathEnabled(String path, boolean enabled) {
        if (!started || closed) {
            return CompletableFuture.completedFuture(CommandResult.refused("node " + self + " is not running"));
        }
        boolean known = spec.paths().stream().anyMatch(p -> p.name().equals(path));
        if (!known) {
            return CompletableFuture.completedFuture(CommandResult.refused("no heartbeat path named '" + path + "'; paths: "
                    + spec.paths().stream().map(p -> p.name()).toList()));
        }
        boolean done;
        try {
            done = membership.setPathEnabled(path, enabled);
        } catch (RuntimeException e) {
            done = false;
        }
        if (!done) {
            return CompletableFuture.completedFuture(CommandResult.refused("this node's heartbeats cannot take path '" + path
                    + "' out of service"));
        }
        events.dispatch(new ClusterEvent(0, Instant.now(), EventKind.NOTE, ClusterEvent.Level.WARNING, self, null, null,
                "path " + path + (enabled ? " put back in service" : " taken out of service by the operator"), Map.of("path", path)));
        return CompletableFuture.completedFuture(CommandResult.ok("path " + path + (enabled ? " in service" : " out of service"), Duration.ZERO));
    }

    @Override
    public CompletableFuture<CommandResult> clear(String group) {
        return command(Input.Command.Kind.CLEAR, group, null);
    }

    @Override
    public CompletableFuture<CommandResult> promoteDr(String group, String drNode, boolean confirm, boolean fencePrimarySite) {
        Input.Command.Kind k = !confirm ? Input.Command.Kind.PROMOTE_DR_PREVIEW
                : fencePrimarySite ? Input.Command.Kind.PROMOTE_DR_FENCE : Input.Command.Kind.PROMOTE_DR;
        return command(k, group, drNode);
    }

    private CompletableFuture<CommandResult> command(Input.Command.Kind kind, String group, String target) {
        CompletableFuture<CommandResult> f = new CompletableFuture<>();
        if (!started || closed) {
            f.complete(CommandResult.refused("node " + self + " is not running"));
            return f;
        }
        long id = actions.expectCommand(f);
        steps.submit(new Input.Command(id, kind, group, target));
        return f;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        pauses.stop();
        if (started) {
            steps.submit(new Input.Shutdown());
            long bound = spec.groups().stream().flatMap(g -> g.resources().stream())
                    .mapToLong(r -> r.stopTimeout().toMillis()).sum() + 10_000;
            try {
                // The bound counts only while nothing is being stopped: a stop in flight has its own deadline, and
                // a process frozen past the bound (SIGSTOP, a long GC) must not exit in the middle of one, leaving
                // its resources half stopped and unannounced.
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound);
                long hardStop = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound * 10);
                while (!actions.awaitLeft(200)) {
                    long now = System.nanoTime();
                    if ((now >= deadline && !steps.inTransition()) || now >= hardStop) {
                        LOG.error("node {}: groups did not stop within {} ms; exiting without leaving the cluster (its"
                                + " peers keep what failed to stop blocked until this node is fenced or the group is"
                                + " cleared)", self, bound);
                        break;
                    }
                }
                // let the last announcement ("leaving") reach the peers
                Thread.sleep(Math.min(1000, 3 * spec.paths().stream().mapToLong(p -> p.interval().toMillis()).min().orElse(100)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        release();
    }

    /** Releases everything {@link #start()} opened, in reverse order; each step on its own. */
    private void release() {
        pauses.stop();
        prober.close();
        if (ping != null) {
            ping.close();
        }
        if (coordinator != null) {
            try {
                coordinator.close(); // gives up every lease: after the groups stopped, or when the start failed
            } catch (RuntimeException e) {
                LOG.warn("node {}: closing the coordination session failed: {}", self, e.toString());
            }
        }
        try {
            safety.close();
        } catch (RuntimeException e) {
            LOG.warn("node {}: closing the safety check failed: {}", self, e.toString());
        }
        try {
            membership.close();
        } catch (RuntimeException e) {
            LOG.warn("node {}: closing heartbeats failed: {}", self, e.toString());
        }
        loop.shutdownNow();
        if (journal != null) {
            try {
                loop.awaitTermination(2, TimeUnit.SECONDS); // the step in flight appends its last line
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            journal.close();
        }
        if (watchdog != null) {
            // A node that must be reset (a group it could not stop) leaves the watchdog armed when it exits.
            watchdog.close(steps.mustReset());
        }
        actions.close();
        events.close();
        actions.refuseCommands("node " + self + " closed");
        if (stateLock != null) {
            try {
                stateLock.close();
            } catch (Exception e) {
                LOG.warn("node {}: releasing the state directory lock failed: {}", self, e.toString());
            }
            stateLock = null;
        }
    }

    // ------------------------------------------------------------------ EngineView

    @Override
    public CompletableFuture<org.tandemha.core.engine.EngineSnapshot> snapshot() {
        CompletableFuture<org.tandemha.core.engine.EngineSnapshot> f = new CompletableFuture<>();
        if (!started || closed) {
            f.completeExceptionally(new IllegalStateException("node " + self + " is not running"));
            return f;
        }
        try {
            // queued behind the inputs already waiting: taken between two steps, never in the middle of one
            loop.execute(() -> {
                try {
                    f.complete(engine.snapshot());
                } catch (RuntimeException | Error e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("node " + self + " is closing"));
        }
        return f;
    }

    @Override
    public ClusterSpec configuration() {
        return spec;
    }

    /** Runs a task on the engine's thread (tests: a busy engine). */
    void onLoop(Runnable task) {
        loop.execute(task);
    }
}
