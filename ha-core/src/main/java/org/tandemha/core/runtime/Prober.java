package org.tandemha.core.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ActionContext;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ResourceParts;
import org.tandemha.core.agents.Probeable;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.engine.Input;

/**
 * Probes, as Pacemaker runs them: a one-off check of every resource of this node at node start (before the engine
 * boots) and when a peer joins (of the groups offline here), to find a resource running where its group does not
 * run: started by hand, left behind by a crash, or started by something else. An OCF agent is probed with
 * {@code monitor} and {@code OCF_RESKEY_CRM_meta_interval=0} ({@link Probeable}); other resources with their quick
 * check. A resource found running (the check says OK or DEGRADED) becomes an {@link Input.FoundRunning}: the engine
 * reports it and decides whether to stop it. A probe that fails or times out is logged only. The replicated resource
 * of a promotable group is not probed (its standby runs on every node by design).
 */
final class Prober {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final String self;
    private final ClusterSpec spec;
    private final Consumer<Input> submit;
    private final Duration slack;
    private final ExecutorService pool;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile Map<String, ResourceParts> parts = Map.of();
    /** The groups whose state here allows a probe now (offline), read on the engine's thread. */
    private volatile Supplier<CompletableFuture<Set<String>>> offlineGroups = () -> CompletableFuture.completedFuture(Set.of());

    Prober(String self, ClusterSpec spec, Consumer<Input> submit, Duration slack) {
        this.self = self;
        this.spec = spec;
        this.submit = submit;
        this.slack = slack;
        this.pool = Executors.newCachedThreadPool(NodeRuntime.named("tandem-probe-" + self, true));
    }

    void install(Map<String, ResourceParts> built, Supplier<CompletableFuture<Set<String>>> offline) {
        this.parts = Map.copyOf(built);
        this.offlineGroups = offline;
    }

    /** Probes every resource of this node and waits for the answers (each bounded by its quick check's timeout). */
    void atStart() {
        List<String> groups = spec.groups().stream().filter(g -> g.priority(self) >= 0).map(GroupSpec::id).toList();
        probe(groups, "node start");
    }

    /** A peer joined: probes the resources of the groups offline here, in the background (one round at a time). */
    void peerJoined(String peer) {
        if (!running.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        try {
            pool.execute(() -> {
                try {
                    do {
                        again.set(false);
                        Set<String> offline;
                        try {
                            offline = offlineGroups.get().get(10, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            LOG.warn("node {}: no probe after {} joined: the engine did not say which groups are offline"
                                    + " here ({})", self, peer, e.toString());
                            return;
                        }
                        probe(spec.groups().stream().map(GroupSpec::id).filter(offline::contains).toList(), peer + " joined");
                    } while (again.get());
                } finally {
                    running.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            running.set(false); // closed
        }
    }

    private void probe(List<String> groups, String why) {
        Map<String, Future<CheckResult>> probes = new LinkedHashMap<>();
        Map<String, Duration> timeouts = new LinkedHashMap<>();
        for (String gid : groups) {
            GroupSpec g = spec.group(gid).orElse(null);
            if (g == null) {
                continue;
            }
            for (ResourceSpec r : g.resources()) {
                ResourceParts p = parts.get(g.id() + "/" + r.id());
                if (p == null || r.id().equals(g.promotableResource())) {
                    continue;
                }
                Duration timeout = r.quickTimeout();
                ActionContext ctx = new ActionContext(self, g.id(), r.id(), 0, timeout, System.nanoTime() + timeout.toNanos());
                try {
                    probes.put(g.id() + "/" + r.id(), pool.submit(() -> p.resource() instanceof Probeable x ? x.probe(ctx)
                            : p.checker() instanceof Probeable y ? y.probe(ctx) : p.checker().quickCheck(ctx)));
                    timeouts.put(g.id() + "/" + r.id(), timeout);
                } catch (RejectedExecutionException e) {
                    return; // closed
                }
            }
        }
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, Future<CheckResult>> e : probes.entrySet()) {
            String key = e.getKey();
            String[] gr = key.split("/", 2);
            CheckResult res;
            try {
                res = e.getValue().get(timeouts.get(key).plus(slack).toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException ex) {
                e.getValue().cancel(true);
                LOG.warn("node {}: probe of {} ({}) did not answer within {} ms", self, key, why, timeouts.get(key).toMillis());
                continue;
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                probes.values().forEach(f -> f.cancel(true));
                return;
            } catch (Exception ex) {
                LOG.warn("node {}: probe of {} ({}) failed: {}", self, key, why, ex.toString());
                continue;
            }
            if (res == null) {
                continue;
            }
            if (res.health().healthy()) {
                found.add(key);
                submit.accept(new Input.FoundRunning(gr[0], gr[1], why + ": " + res.reason()));
            } else if (res.health() != CheckResult.Health.NOT_RUNNING) {
                LOG.warn("node {}: probe of {} ({}) says {}; it is not taken as running", self, key, why, res);
            }
        }
        LOG.debug("node {}: probed {} resources ({}); found running: {}", self, probes.size(), why, found);
    }

    void close() {
        pool.shutdownNow();
    }
}
