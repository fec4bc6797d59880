package org.tandemha.core.runtime;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Membership;
import org.tandemha.api.PeerAware;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Verdict;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.Wire;

/**
 * Carries out the engine's actions, one method per kind ({@link Action.Handler}: a new kind of action does not
 * compile until it is handled here). Resource actions, checks, safety checks and fencing run on workers, each with its
 * deadline plus {@code timing.actionSlack}: at that point the worker is interrupted and the engine is told of a
 * timeout (it has already counted one at the deadline itself). Results come back as inputs. Runs on the engine's
 * thread; the workers never touch the engine.
 */
final class ActionExecutor implements Action.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
    /**
     * Threads that run quick checks, and deep checks: a pool per kind, so that slow deep checks (a query, a write)
     * never hold up the quick ones; a check stuck past its timeout is interrupted, which frees its thread. Threads
     * exist only while there are checks to run (they end after 10 s idle).
     */
    private static final int QUICK_THREADS = Integer.getInteger("tandem.quickCheckThreads", 4);
    private static final int DEEP_THREADS = Integer.getInteger("tandem.deepCheckThreads", 2);

    private final String self;
    private final Engine engine;
    private final Membership membership;
    private final SafetyCheck safety;
    private final FencingChain fencing;
    private final ScheduledExecutorService loop;
    private final Consumer<Input> submit;
    private final EventDispatcher events;
    private final long slackMs;
    private final ExecutorService workers;
    /** Checks are many and short: bounded pools, so a thousand checks due at once do not make a thousand threads. */
    private final ExecutorService quickCheckers;
    private final ExecutorService deepCheckers;
    /**
     * Watches the deadlines of actions and checks, off the engine's thread: a check that ends in time cancels its
     * watch (removed from the queue at once), so a thousand checks a second cost the engine's thread nothing here.
     */
    private final ScheduledThreadPoolExecutor deadlines;
    private final Map<Long, CompletableFuture<CommandResult>> commands = new ConcurrentHashMap<>();
    private final AtomicLong commandIds = new AtomicLong();
    private final CountDownLatch left = new CountDownLatch(1);
    private volatile Map<String, ResourceParts> parts = Map.of(); // "group/resource"
    /** The coordination service, or null when the peers decide ownership. */
    private volatile org.tandemha.api.Coordinator coordinator;

    ActionExecutor(String self, Engine engine, Membership membership, SafetyCheck safety, FencingChain fencing,
                   ScheduledExecutorService loop, Consumer<Input> submit, EventDispatcher events, Duration slack) {
        this(self, engine, membership, safety, fencing, loop, submit, events, slack,
                new RealtimeThreads(self, org.tandemha.core.config.RealtimeSpec.none()));
    }

    /**
     * With {@code realtime}: the action threads, the check threads and the deadline watcher take
     * {@code realtime.checkPriority}.
     */
    ActionExecutor(String self, Engine engine, Membership membership, SafetyCheck safety, FencingChain fencing,
                   ScheduledExecutorService loop, Consumer<Input> submit, EventDispatcher events, Duration slack,
                   RealtimeThreads realtime) {
        this.self = self;
        this.engine = engine;
        this.membership = membership;
        this.safety = safety;
        this.fencing = fencing;
        this.loop = loop;
        this.submit = submit;
        this.events = events;
        this.slackMs = slack.toMillis();
        // the actions (a safety check, a claim, a resource's start) too: a failover's steps wait for no busy process
        this.workers = Executors.newCachedThreadPool(realtime.wrap(NodeRuntime.named("tandem-worker-" + self, true)));
        this.quickCheckers = bounded(QUICK_THREADS, realtime.wrap(NodeRuntime.named("tandem-check-" + self, true)));
        this.deepCheckers = bounded(DEEP_THREADS, realtime.wrap(NodeRuntime.named("tandem-deep-check-" + self, true)));
        this.deadlines = new ScheduledThreadPoolExecutor(1, realtime.wrap(NodeRuntime.named("tandem-deadlines-" + self, true)));
        this.deadlines.setRemoveOnCancelPolicy(true);
    }

    private static ExecutorService bounded(int threads, java.util.concurrent.ThreadFactory f) {
        ThreadPoolExecutor p = new ThreadPoolExecutor(Math.max(1, threads), Math.max(1, threads), 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), f);
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    /** Installs the resources this node runs; once, before the node starts. */
    void install(Map<String, ResourceParts> built) {
        this.parts = Map.copyOf(built);
    }

    /** Sets the coordination service the lease actions go to; once, before the node starts. */
    void coordinator(org.tandemha.api.Coordinator c) {
        this.coordinator = c;
    }

    /** Registers the future of an administrator command; returns the id the engine completes it with. */
    long expectCommand(CompletableFuture<CommandResult> f) {
        long id = commandIds.incrementAndGet();
        commands.put(id, f);
        return id;
    }

    /** Waits for the engine to have left (stopped every group); false after {@code ms}. */
    boolean awaitLeft(long ms) throws InterruptedException {
        return left.await(ms, TimeUnit.MILLISECONDS);
    }

    /** Interrupts every action and check still running. */
    void close() {
        workers.shutdownNow();
        quickCheckers.shutdownNow();
        deepCheckers.shutdownNow();
        deadlines.shutdownNow();
    }

    /** Refuses the administrator commands still waiting for the engine. */
    void refuseCommands(String reason) {
        commands.values().forEach(f -> f.complete(CommandResult.refused(reason)));
    }

    // ------------------------------------------------------------------ Action.Handler

    @Override
    public void emit(Action.Emit a) {
        events.dispatch(a.event());
    }

    @Override
    public void announce(Action.Announce a) {
        membership.announce(Wire.encode(a.announcement()));
    }

    @Override
    public void send(Action.Send a) {
        membership.send(a.peer(), Wire.encode(a.message()));
    }

    @Override
    public void runSafetyCheck(Action.RunSafetyCheck a) {
        runOn(workers, a.timeout(), () -> {
            Verdict v = safety.ask(a.peer(), a.generation(), a.timeout());
            submit.accept(new Input.SafetyDone(a.id(), a.peer(), v));
        }, () -> submit.accept(new Input.SafetyDone(a.id(), a.peer(),
                Verdict.of(Verdict.Answer.UNKNOWN, "the safety check did not answer in time"))));
    }

    @Override
    public void fencePeer(Action.FencePeer a) {
        runOn(workers, a.timeout(), () -> submit.accept(new Input.FenceDone(a.id(), a.peer(), fencing.fence(self, a.peer(), a.timeout()))),
                () -> submit.accept(new Input.FenceDone(a.id(), a.peer(), ActionResult.timeout(a.timeout()))));
    }

    @Override
    public void completeCommand(Action.CompleteCommand a) {
        CompletableFuture<CommandResult> f = commands.remove(a.id());
        if (f != null) {
            f.complete(a.result());
        }
    }

    @Override
    public void peerRejoined(Action.PeerRejoined a) {
        workers.execute(() -> safety.peerRejoined(a.peer()));
        for (Map.Entry<String, ResourceParts> e : parts.entrySet()) {
            String group = e.getKey().substring(0, e.getKey().indexOf('/'));
            if (e.getValue().resource() instanceof PeerAware pa && engine.state(group) == LocalState.ONLINE) {
                workers.execute(() -> {
                    try {
                        pa.peerRejoined(a.peer());
                    } catch (RuntimeException ex) {
                        LOG.warn("node {}: {} failed on peer rejoin: {}", self, e.getKey(), ex.toString());
                    }
                });
            }
        }
    }

    @Override
    public void refreshPeerStates(Action.RefreshPeerStates a) {
        membership.refreshStates();
    }

    @Override
    public void left(Action.Left a) {
        left.countDown();
    }

    @Override
    public void acquireLease(Action.AcquireLease a) {
        org.tandemha.api.Coordinator c = coordinator;
        if (c == null) {
            LOG.error("node {}: the engine asked for the lease of group {} but no coordination service runs", self, a.group());
            return;
        }
        try {
            c.acquire(a.group()); // never blocks: the answer comes back as an input
        } catch (RuntimeException e) {
            LOG.error("node {}: asking for the lease of group {} failed: {}", self, a.group(), e.toString());
        }
    }

    /** Told on the engine thread, in order (each arbiter returns at once): see {@link SafetyCheck#standAside}. */
    @Override
    public void standAside(Action.StandAside a) {
        if (a.aside()) {
            LOG.error("node {}: stands aside ({}): its arbiters stop vouching for it", self, a.reason());
        } else {
            LOG.info("node {}: no longer stands aside: its arbiters vouch for it again", self);
        }
        safety.standAside(a.aside());
    }

    @Override
    public void releaseLease(Action.ReleaseLease a) {
        org.tandemha.api.Coordinator c = coordinator;
        if (c == null) {
            return;
        }
        try {
            c.release(a.group());
        } catch (RuntimeException e) {
            LOG.error("node {}: releasing the lease of group {} failed: {}", self, a.group(), e.toString());
        }
    }

    @Override
    public void runResource(Action.RunResource r) {
        ResourceParts p = parts.get(r.group() + "/" + r.resource());
        ActionContext ctx = new ActionContext(self, r.group(), r.resource(), r.generation(), r.timeout(),
                System.nanoTime() + r.timeout().toNanos());
        runOn(workers, r.timeout(), () -> {
            long t = System.nanoTime();
            ActionResult res;
            try {
                if (p == null && (r.op() == Action.ResourceOp.STOP || r.op() == Action.ResourceOp.STOP_STANDBY)) {
                    // a node outside the group's node list never built (nor started) it: its clean-up at start has
                    // nothing to stop (a failure here would block the group on every node)
                    res = ActionResult.done("resource " + r.resource() + " is not built on this node: nothing of it runs here");
                } else if (p == null) {
                    res = ActionResult.failed("resource " + r.resource() + " was not built on this node");
                } else {
                    res = switch (r.op()) {
                        case START -> p.resource().start(ctx);
                        case STOP, STOP_STANDBY -> p.resource().stop(ctx);
                        case RECOVER -> p.recoverer().recover(ctx, r.cause());
                        case PROMOTE, DEMOTE, START_STANDBY -> Replicated.run(r.op(), p, ctx);
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
            submit.accept(new Input.ActionDone(r.id(), res));
        }, () -> submit.accept(new Input.ActionDone(r.id(), ActionResult.timeout(r.timeout()))));
    }

    @Override
    public void runCheck(Action.RunCheck c) {
        ResourceParts p = parts.get(c.group() + "/" + c.resource());
        ActionContext ctx = new ActionContext(self, c.group(), c.resource(), c.generation(), c.timeout(),
                System.nanoTime() + c.timeout().toNanos());
        runOn(c.kind() == Action.CheckKind.QUICK ? quickCheckers : deepCheckers, c.timeout(), () -> {
            long t = System.nanoTime();
            CheckResult res;
            try {
                res = p == null ? CheckResult.failed("resource not built on this node")
                        : c.kind() == Action.CheckKind.STANDBY ? Replicated.standbyCheck(p, ctx, submit)
                        : c.kind() == Action.CheckKind.QUICK ? Replicated.primaryCheck(p, ctx, p.checker().quickCheck(ctx), submit)
                        : p.checker().deepCheck(ctx);
                if (res == null) {
                    res = CheckResult.failed("the check returned nothing");
                }
            } catch (RuntimeException | Error e) {
                res = CheckResult.failed("the check threw " + e);
            }
            if (res.duration().isZero()) {
                res = res.withDuration(Duration.ofNanos(System.nanoTime() - t));
            }
            submit.accept(new Input.CheckDone(c.id(), res));
        }, () -> submit.accept(new Input.CheckDone(c.id(), CheckResult.timeout(c.timeout()))));
    }

    /**
     * Runs a task on a pool; at its deadline plus the action slack the task is interrupted and {@code onTimeout}
     * runs instead (on the deadline thread, which only hands the timeout to the engine). A task that ends in time
     * cancels its deadline.
     */
    private void runOn(ExecutorService pool, Duration timeout, Runnable task, Runnable onTimeout) {
        // null, then the deadline's future, or TRUE once the task ended (whichever comes first cancels the deadline)
        java.util.concurrent.atomic.AtomicReference<Object> watch = new java.util.concurrent.atomic.AtomicReference<>();
        Future<?> f;
        try {
            f = pool.submit(() -> {
                try {
                    task.run();
                } finally {
                    if (watch.getAndSet(Boolean.TRUE) instanceof ScheduledFuture<?> w) {
                        w.cancel(false);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            return; // closed
        }
        try {
            ScheduledFuture<?> w = deadlines.schedule(() -> {
                if (!f.isDone()) {
                    f.cancel(true);
                    onTimeout.run();
                }
            }, timeout.toMillis() + slackMs, TimeUnit.MILLISECONDS);
            if (!watch.compareAndSet(null, w)) {
                w.cancel(false); // the task already ended
            }
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

}
