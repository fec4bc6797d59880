package org.tandemha.core.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.Membership;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PathStatus;
import org.tandemha.api.PeerAware;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.Wire;

/**
 * A running node: the engine on one thread of its own, fed by the membership, by the workers that run resource
 * actions and checks, by timers and by administrator commands (principle 9: one thread owns the cluster state).
 * Every action runs on a worker with its deadline; at the deadline the worker is interrupted and the engine has
 * already counted a timeout.
 */
public final class NodeRuntime implements ClusterNode {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
    /** How often the pause detector looks at the clock. */
    private static final long WATCH_MS = 100;
    /** Threads that run checks; a check stuck past its timeout is interrupted, which frees its thread. */
    private static final int CHECK_THREADS = 8;

    private final ClusterSpec spec;
    private final String self;
    private final Engine engine;
    private volatile Map<String, ResourceParts> parts = Map.of(); // "group/resource"
    private final Membership membership;
    private final SafetyCheck safety;
    private final FencingChain fencing;
    private final Path stateDir;
    private final Map<Class<?>, Object> services;
    private final ScheduledExecutorService loop;
    private final ExecutorService workers;
    /** Checks are many and short: a bounded pool, so a thousand checks due at once do not make a thousand threads. */
    private final ExecutorService checkers;
    private final ExecutorService eventThread;
    private final List<Consumer<ClusterEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, CompletableFuture<CommandResult>> commands = new ConcurrentHashMap<>();
    private final AtomicLong commandIds = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong eventSequence = new AtomicLong();
    private final long t0 = System.nanoTime();
    private final CountDownLatch leftLatch = new CountDownLatch(1);
    private volatile ClusterStatus snapshot;
    private volatile boolean snapshotStale = true;
    private Map<String, Long> savedGenerations = Map.of();
    private volatile Map<String, Boolean> deadOrFenced = Map.of();
    private volatile Map<String, Map<String, String>> facts = Map.of();
    private volatile boolean started;
    private volatile boolean closed;
    private ScheduledFuture<?> wakeup;
    private long wakeupAt = Long.MAX_VALUE;
    private Thread watcher;
    private Watchdog watchdog;
    private AutoCloseable stateLock;
    /** Why the generations could not be saved (the last failure), or null while they are durable. */
    private String storeError;
    private volatile String mustReset;
    private volatile boolean inTransition;

    NodeRuntime(ClusterSpec spec, String self, Membership membership,
                SafetyCheck safety, FencingChain fencing, Path stateDir, Map<Class<?>, Object> services,
                List<Consumer<ClusterEvent>> initialListeners) {
        this.spec = spec;
        this.self = self;
        this.membership = membership;
        this.safety = safety;
        this.fencing = fencing;
        this.stateDir = stateDir;
        this.services = Map.copyOf(services);
        this.listeners.addAll(initialListeners);
        this.engine = new Engine(spec, self, !fencing.isEmpty(), this::wallTime);
        this.loop = Executors.newSingleThreadScheduledExecutor(named("tandem-engine-" + self, false));
        this.workers = Executors.newCachedThreadPool(named("tandem-worker-" + self, true));
        this.checkers = Executors.newFixedThreadPool(CHECK_THREADS, named("tandem-check-" + self, true));
        this.eventThread = Executors.newSingleThreadExecutor(named("tandem-events-" + self, true));
        this.snapshot = engine.status(Instant.now());
    }

    private static ThreadFactory named(String name, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? name + "-" + n.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Installs the resources this node runs; once, before {@link #start()}. */
    void install(Map<String, ResourceParts> built) {
        this.parts = Map.copyOf(built);
    }

    /** The context plugins of this node get. */
    NodeContext context() {
        return new Context();
    }

    private long now() {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private Instant wallTime(long engineMs) {
        return Instant.now().minusMillis(now() - engineMs);
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
            membership.start(new Listener());
            safety.start();
            // The engine boots (and cleans up leftovers) only once everything it needs has started.
            submit(new Input.Boot(GenerationStore.load(stateDir, self), membership.incarnation()));
            if (watchdog != null) {
                long every = spec.watchdog().interval().toMillis();
                loop.scheduleAtFixedRate(() -> watchdog.feed(engine.mustReset()), 0, every, TimeUnit.MILLISECONDS);
            }
            watcher = new Thread(this::watchPauses, "tandem-pause-watch-" + self);
            watcher.setDaemon(true);
            watcher.start();
        } catch (RuntimeException | Error e) {
            LOG.error("node {}: start failed, closing what it opened: {}", self, e.getMessage());
            closed = true;
            release();
            throw e;
        }
    }

    @Override
    public ClusterStatus status() {
        ClusterStatus s = snapshot;
        boolean stale = snapshotStale;
        if (snapshotStale && !closed) {
            // Built on the loop thread, which owns the engine; bounded wait, else the last one, marked stale.
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

    @Override
    public AutoCloseable subscribe(Consumer<ClusterEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
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
        dispatch(new ClusterEvent(0, Instant.now(), EventKind.NOTE, ClusterEvent.Level.WARNING, self, null, null,
                "path " + path + (enabled ? " put back in service" : " taken out of service by the operator"), Map.of("path", path)));
        return CompletableFuture.completedFuture(CommandResult.ok("path " + path + (enabled ? " in service" : " out of service"), Duration.ZERO));
    }

    @Override
    public CompletableFuture<CommandResult> clear(String group) {
        return command(Input.Command.Kind.CLEAR, group, null);
    }

    private CompletableFuture<CommandResult> command(Input.Command.Kind kind, String group, String target) {
        CompletableFuture<CommandResult> f = new CompletableFuture<>();
        if (!started || closed) {
            f.complete(CommandResult.refused("node " + self + " is not running"));
            return f;
        }
        long id = commandIds.incrementAndGet();
        commands.put(id, f);
        submit(new Input.Command(id, kind, group, target));
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
        if (started) {
            submit(new Input.Shutdown());
            long bound = spec.groups().stream().flatMap(g -> g.resources().stream())
                    .mapToLong(r -> r.stopTimeout().toMillis()).sum() + 10_000;
            try {
                // The bound counts only while nothing is being stopped: a stop in flight has its own deadline, and
                // a process frozen past the bound (SIGSTOP, a long GC) must not exit in the middle of one, leaving
                // its resources half stopped and unannounced.
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound);
                long hardStop = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound * 10);
                while (!leftLatch.await(200, TimeUnit.MILLISECONDS)) {
                    long now = System.nanoTime();
                    if ((now >= deadline && !inTransition) || now >= hardStop) {
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
        if (watcher != null) {
            watcher.interrupt();
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
        if (watchdog != null) {
            // A node that must be reset (a group it could not stop) leaves the watchdog armed when it exits.
            watchdog.close(mustReset);
        }
        workers.shutdownNow();
        checkers.shutdownNow();
        eventThread.shutdown();
        try {
            eventThread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        commands.values().forEach(f -> f.complete(CommandResult.refused("node " + self + " closed")));
        if (stateLock != null) {
            try {
                stateLock.close();
            } catch (Exception e) {
                LOG.warn("node {}: releasing the state directory lock failed: {}", self, e.toString());
            }
            stateLock = null;
        }
    }

    // ------------------------------------------------------------------ the loop

    /** Runs a task on the engine's thread (tests: a busy engine). */
    void onLoop(Runnable task) {
        loop.execute(task);
    }

    private void submit(Input in) {
        snapshotStale = true; // an input waits: the view may change (and a busy engine shows in status())
        try {
            loop.execute(() -> step(in));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed: nothing more to decide
        }
    }

    private void step(Input in) {
        List<Action> actions;
        try {
            actions = engine.handle(in, now());
        } catch (RuntimeException | Error e) {
            // The engine is pure logic; a bug here must not kill the loop (principle 13).
            LOG.error("node {}: engine failed on {}", self, in, e);
            dispatch(new ClusterEvent(0, Instant.now(), EventKind.NODE_WARNING, ClusterEvent.Level.ERROR, self, null, null,
                    "internal error in the engine while handling " + in.getClass().getSimpleName() + ": " + e, Map.of()));
            return;
        }
        snapshotStale = true; // before any command completes, so its caller's next status() is fresh
        // What resources read through NodeContext (a peer declared dead, its facts) is published before the step's
        // actions run: a takeover started by this step must see the verdict that allowed it.
        Map<String, Boolean> dof = new ConcurrentHashMap<>();
        Map<String, Map<String, String>> fs = new ConcurrentHashMap<>();
        for (String n : spec.nodeIds()) {
            if (!n.equals(self)) {
                dof.put(n, engine.peerDeadOrFenced(n));
                fs.put(n, engine.peerFacts(n));
            }
        }
        deadOrFenced = dof;
        facts = fs;
        mustReset = engine.mustReset();
        inTransition = engine.inTransition();
        if (in instanceof Input.GenerationsDurable d) {
            engineKnowsNotDurable = !d.durable();
        }
        boolean durable = saveGenerations();
        for (Action a : actions) {
            try {
                if (durable || Action.runsWithoutDurableGenerations(a, engineKnowsNotDurable)) {
                    execute(a);
                } else {
                    refuse(a);
                }
            } catch (RuntimeException e) {
                LOG.error("node {}: action {} failed", self, a, e);
            }
        }
        long next = engine.nextWakeup();
        scheduleWakeup(storeError == null ? next : Math.min(next, now() + STORE_RETRY_MS));
    }

    /** Whether the engine has been told the generations are not durable (it then claims and acknowledges nothing). */
    private boolean engineKnowsNotDurable;

    /** How soon a failed write of the generations is tried again. */
    private static final long STORE_RETRY_MS = 1000;

    /**
     * Write-ahead: a generation is on disk before any action of the step that first used it runs. Returns whether
     * the generations are durable; tells the engine when that changes (it stands down while they are not).
     */
    private boolean saveGenerations() {
        Map<String, Long> gens = engine.knownGenerations();
        if (gens.equals(savedGenerations) && storeError == null) {
            return true;
        }
        try {
            GenerationStore.save(stateDir, gens, self);
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


    /** Answers an action held back because the generations are not durable, so the engine does not wait for it. */
    private void refuse(Action a) {
        String why = "not done: the generations of node " + self + " could not be saved (" + storeError + ")";
        if (a instanceof Action.RunResource r) {
            submit(new Input.ActionDone(r.id(), ActionResult.failed(why)));
        } else if (a instanceof Action.FencePeer f) {
            submit(new Input.FenceDone(f.id(), f.peer(), ActionResult.failed(why)));
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
                step(new Input.Tick());
            }, Math.max(0, at - now()), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            wakeup = null;
        }
    }

    private void execute(Action a) {
        if (a instanceof Action.Emit e) {
            dispatch(e.event());
        } else if (a instanceof Action.Announce an) {
            membership.announce(Wire.encode(an.announcement()));
        } else if (a instanceof Action.Send s) {
            membership.send(s.peer(), Wire.encode(s.message()));
        } else if (a instanceof Action.RunResource r) {
            runResource(r);
        } else if (a instanceof Action.RunCheck c) {
            runCheck(c);
        } else if (a instanceof Action.RunSafetyCheck sc) {
            runOnWorker(sc.timeout(), () -> {
                Verdict v = safety.ask(sc.peer(), sc.generation(), sc.timeout());
                submit(new Input.SafetyDone(sc.id(), sc.peer(), v));
            }, () -> submit(new Input.SafetyDone(sc.id(), sc.peer(),
                    Verdict.of(Verdict.Answer.UNKNOWN, "the safety check did not answer in time"))));
        } else if (a instanceof Action.FencePeer f) {
            runOnWorker(f.timeout(), () -> submit(new Input.FenceDone(f.id(), f.peer(), fencing.fence(self, f.peer(), f.timeout()))),
                    () -> submit(new Input.FenceDone(f.id(), f.peer(), ActionResult.timeout(f.timeout()))));
        } else if (a instanceof Action.CompleteCommand cc) {
            CompletableFuture<CommandResult> f = commands.remove(cc.id());
            if (f != null) {
                f.complete(cc.result());
            }
        } else if (a instanceof Action.PeerRejoined pr) {
            workers.execute(() -> safety.peerRejoined(pr.peer()));
            for (Map.Entry<String, ResourceParts> e : parts.entrySet()) {
                String group = e.getKey().substring(0, e.getKey().indexOf('/'));
                if (e.getValue().resource() instanceof PeerAware pa && engine.state(group) == LocalState.ONLINE) {
                    workers.execute(() -> {
                        try {
                            pa.peerRejoined(pr.peer());
                        } catch (RuntimeException ex) {
                            LOG.warn("node {}: {} failed on peer rejoin: {}", self, e.getKey(), ex.toString());
                        }
                    });
                }
            }
        } else if (a instanceof Action.RefreshPeerStates) {
            membership.refreshStates();
        } else if (a instanceof Action.Left) {
            leftLatch.countDown();
        }
    }

    /** Runs a task on a worker; at its deadline the task is interrupted and {@code onTimeout} runs instead. */
    private void runOnWorker(Duration timeout, Runnable task, Runnable onTimeout) {
        runOn(workers, timeout, task, onTimeout);
    }

    private void runOn(ExecutorService pool, Duration timeout, Runnable task, Runnable onTimeout) {
        Future<?> f = pool.submit(task);
        loop.schedule(() -> {
            if (!f.isDone()) {
                f.cancel(true);
                onTimeout.run();
            }
        }, timeout.toMillis() + 200, TimeUnit.MILLISECONDS);
    }

    private void runResource(Action.RunResource r) {
        ResourceParts p = parts.get(r.group() + "/" + r.resource());
        ActionContext ctx = new ActionContext(self, r.group(), r.resource(), r.generation(), r.timeout(),
                System.nanoTime() + r.timeout().toNanos());
        runOnWorker(r.timeout(), () -> {
            long t = System.nanoTime();
            ActionResult res;
            try {
                if (p == null) {
                    res = ActionResult.failed("resource " + r.resource() + " was not built on this node");
                } else {
                    res = switch (r.op()) {
                        case START -> p.resource().start(ctx);
                        case STOP -> p.resource().stop(ctx);
                        case RECOVER -> p.recoverer().recover(ctx, r.cause());
                    };
                }
                if (res == null) {
                    res = ActionResult.failed(r.op().name().toLowerCase() + " returned nothing");
                }
            } catch (RuntimeException | Error e) {
                res = ActionResult.failed(r.op().name().toLowerCase() + " threw " + e);
            }
            if (res.duration().isZero()) {
                res = res.withDuration(Duration.ofNanos(System.nanoTime() - t));
            }
            submit(new Input.ActionDone(r.id(), res));
        }, () -> submit(new Input.ActionDone(r.id(), ActionResult.timeout(r.timeout()))));
    }

    private void runCheck(Action.RunCheck c) {
        ResourceParts p = parts.get(c.group() + "/" + c.resource());
        ActionContext ctx = new ActionContext(self, c.group(), c.resource(), c.generation(), c.timeout(),
                System.nanoTime() + c.timeout().toNanos());
        runOn(checkers, c.timeout(), () -> {
            long t = System.nanoTime();
            CheckResult res;
            try {
                res = p == null ? CheckResult.failed("resource not built on this node")
                        : c.kind() == Action.CheckKind.QUICK ? p.checker().quickCheck(ctx) : p.checker().deepCheck(ctx);
                if (res == null) {
                    res = CheckResult.failed("the check returned nothing");
                }
            } catch (RuntimeException | Error e) {
                res = CheckResult.failed("the check threw " + e);
            }
            if (res.duration().isZero()) {
                res = res.withDuration(Duration.ofNanos(System.nanoTime() - t));
            }
            submit(new Input.CheckDone(c.id(), res));
        }, () -> submit(new Input.CheckDone(c.id(), CheckResult.timeout(c.timeout()))));
    }

    private void dispatch(ClusterEvent raw) {
        // One sequence per node for every event, the engine's and the runtime's own (paths, notes).
        ClusterEvent e = new ClusterEvent(eventSequence.incrementAndGet(), raw.time(), raw.kind(), raw.level(), raw.node(),
                raw.group(), raw.resource(), raw.message(), raw.details());
        switch (e.level()) {
            case ERROR -> LOG.error("{}", e);
            case WARNING -> LOG.warn("{}", e);
            default -> LOG.info("{}", e);
        }
        try {
            eventThread.execute(() -> {
                for (Consumer<ClusterEvent> l : listeners) {
                    try {
                        l.accept(e);
                    } catch (RuntimeException ex) {
                        LOG.warn("node {}: an event listener failed: {}", self, ex.toString());
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
            // closed
        }
    }

    /**
     * Detects that this process was frozen (SIGSTOP, a long GC pause, a starved machine) from jumps of the
     * monotonic clock between two short sleeps, and tells the engine, which stands down after a long one.
     */
    private void watchPauses() {
        long last = System.nanoTime();
        while (!Thread.currentThread().isInterrupted() && !closed) {
            try {
                Thread.sleep(WATCH_MS);
            } catch (InterruptedException e) {
                return;
            }
            long nowNs = System.nanoTime();
            long gapMs = (nowNs - last) / 1_000_000 - WATCH_MS;
            last = nowNs;
            if (gapMs > 1000) {
                submit(new Input.Resumed(gapMs));
            }
        }
    }

    // ------------------------------------------------------------------ membership and plugins

    private final class Listener implements Membership.Listener {
        @Override
        public void peerReachable(String peer, long incarnation) {
            submit(new Input.PeerReachable(peer, incarnation));
        }

        @Override
        public void peerUnreachable(String peer, String reason) {
            submit(new Input.PeerUnreachable(peer, reason));
        }

        @Override
        public void peerState(String peer, long incarnation, byte[] state) {
            if (state == null || state.length == 0) {
                return; // the peer's engine has not announced anything yet
            }
            try {
                submit(new Input.PeerState(peer, incarnation, Wire.decodeAnnouncement(state)));
            } catch (Wire.WireException e) {
                long n = malformed.incrementAndGet();
                if (Long.bitCount(n) == 1) {
                    LOG.warn("node {}: dropped a malformed state from {} ({}); {} so far", self, peer, e.getMessage(), n);
                }
            }
        }

        @Override
        public void message(String peer, byte[] message) {
            try {
                submit(new Input.PeerMessage(peer, Wire.decodeMessage(message)));
            } catch (Wire.WireException e) {
                long n = malformed.incrementAndGet();
                if (Long.bitCount(n) == 1) {
                    LOG.warn("node {}: dropped a malformed message from {} ({}); {} so far", self, peer, e.getMessage(), n);
                }
            }
        }

        @Override
        public void duplicate(String peer, long older, long newer) {
            submit(new Input.DuplicateNode(peer, older, newer));
        }

        @Override
        public void pathChanged(PathStatus path, String reason) {
            boolean up = path.state() == org.tandemha.api.PathState.UP;
            dispatch(new ClusterEvent(0, Instant.now(), up ? EventKind.PATH_UP : EventKind.PATH_DOWN,
                    up ? ClusterEvent.Level.INFO : ClusterEvent.Level.WARNING, self, null, null,
                    "path " + path.name() + " to " + path.peer() + (up ? " up" : " down") + (reason == null || reason.isEmpty() ? "" : ": " + reason),
                    Map.of("path", path.name(), "peer", path.peer())));
        }
    }

    private final class Context implements NodeContext {
        @Override
        public String nodeId() {
            return self;
        }

        @Override
        public String clusterName() {
            return spec.cluster();
        }

        @Override
        public List<String> peers() {
            return spec.nodeIds().stream().filter(n -> !n.equals(self)).toList();
        }

        @Override
        public Path stateDirectory() {
            try {
                Files.createDirectories(stateDir);
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot create the state directory " + stateDir + ": " + e.getMessage(), e);
            }
            return stateDir;
        }

        @Override
        public <T> Optional<T> service(Class<T> type) {
            return Optional.ofNullable(services.get(type)).map(type::cast);
        }

        @Override
        public boolean peerDeadOrFenced(String node) {
            return Boolean.TRUE.equals(deadOrFenced.get(node));
        }

        @Override
        public Map<String, String> peerFacts(String node) {
            return facts.getOrDefault(node, Map.of());
        }

        @Override
        public void publishFact(String key, String value) {
            submit(new Input.Fact(key, value));
        }

        @Override
        public void reportFenced(String reason) {
            submit(new Input.SelfFenced(reason));
        }

        @Override
        public void quorumVote(String device, boolean reachable) {
            submit(new Input.QuorumDevice(device, reachable));
        }

        @Override
        public void note(String group, String resource, String message) {
            dispatch(new ClusterEvent(0, Instant.now(), EventKind.NOTE, ClusterEvent.Level.INFO, self, group, resource, message, Map.of()));
        }
    }
}
