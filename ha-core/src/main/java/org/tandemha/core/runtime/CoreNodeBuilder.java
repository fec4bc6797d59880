package org.tandemha.core.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.Fencer;
import org.tandemha.api.FencerFactory;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Membership;
import org.tandemha.api.MembershipFactory;
import org.tandemha.api.NodeBuilder;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Problem;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.NodeParams;
import org.tandemha.core.config.PluginSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.agents.AdvisedTimeouts;

/**
 * Builds a {@link NodeRuntime}: reads and validates the configuration, finds resource types, arbiters, fencers and
 * the membership through {@link ServiceLoader} (plus what the application registers), and builds every resource
 * this node may run, so that a bad parameter is reported before anything starts.
 */
public final class CoreNodeBuilder implements NodeBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(CoreNodeBuilder.class);
    private Path configFile;
    private String configText;
    private boolean yaml = true;
    private String localNode;
    private final Map<String, ResourceType> types = new LinkedHashMap<>();
    private Membership membership;
    private final List<Arbiter> arbiters = new ArrayList<>();
    private final List<Fencer> fencers = new ArrayList<>();
    private final Map<Class<?>, Object> services = new LinkedHashMap<>();
    private Path stateDir;
    private final List<Consumer<ClusterEvent>> listeners = new ArrayList<>();

    @Override
    public NodeBuilder config(Path file) {
        this.configFile = file;
        this.configText = null;
        return this;
    }

    @Override
    public NodeBuilder configText(String text, boolean isYaml) {
        this.configText = text;
        this.yaml = isYaml;
        this.configFile = null;
        return this;
    }

    @Override
    public NodeBuilder localNode(String nodeId) {
        this.localNode = nodeId;
        return this;
    }

    @Override
    public NodeBuilder resourceType(ResourceType type) {
        types.put(type.name(), type);
        return this;
    }

    @Override
    public NodeBuilder membership(Membership m) {
        this.membership = m;
        return this;
    }

    @Override
    public NodeBuilder arbiter(Arbiter arbiter) {
        arbiters.add(arbiter);
        return this;
    }

    @Override
    public NodeBuilder fencer(Fencer fencer) {
        fencers.add(fencer);
        return this;
    }

    @Override
    public <T> NodeBuilder service(Class<T> type, T service) {
        services.put(type, service);
        return this;
    }

    @Override
    public NodeBuilder stateDirectory(Path dir) {
        this.stateDir = dir;
        return this;
    }

    @Override
    public NodeBuilder listener(Consumer<ClusterEvent> listener) {
        listeners.add(listener);
        return this;
    }

    @Override
    public ClusterNode build() throws InvalidConfigException {
        Map<String, ResourceType> allTypes = new LinkedHashMap<>();
        for (ResourceType t : ServiceLoader.load(ResourceType.class)) {
            allTypes.putIfAbsent(t.name(), t);
        }
        allTypes.putAll(types);
        ClusterSpec spec;
        if (configFile != null) {
            spec = ConfigLoader.load(configFile, allTypes.keySet());
        } else if (configText != null) {
            spec = ConfigLoader.parse(configText, yaml, allTypes.keySet());
        } else {
            throw new InvalidConfigException("config", "no configuration given", "call config(Path) or configText(...)");
        }
        if (localNode == null || !spec.nodeIds().contains(localNode)) {
            throw new InvalidConfigException("localNode", localNode == null ? "which node this process is was not said"
                    : "node '" + localNode + "' is not in the configuration", "call localNode(...) with one of " + spec.nodeIds());
        }
        Path dir = stateDir;
        if (dir == null) {
            dir = StateDirectory.defaultFor(spec.cluster(), localNode);
            LOG.info("node {}: no state directory given; keeping its generations and lock in {} (choose another with"
                    + " stateDirectory(...))", localNode, dir);
        }
        List<Problem> problems = new ArrayList<>();
        if (spec.watchdog().enabled()) {
            String wd = Watchdog.problem(Path.of(spec.watchdog().device()));
            if (wd != null) {
                problems.add(new Problem("watchdog.device", wd, "load a watchdog driver (modprobe softdog), give this"
                        + " node's user access to it, or remove watchdog from the configuration"));
            }
        }
        ClusterConfig cc = clusterConfig(spec, localNode);
        // The runtime needs its plugins; the plugins need the runtime's context. Build it first, install after.
        List<Arbiter> configuredArbiters = new ArrayList<>();
        List<Fencer> configuredFencers = new ArrayList<>();
        Membership m = membership;
        NodeRuntime[] holder = new NodeRuntime[1];
        NodeContext lateContext = new DeferredContext(() -> holder[0].context());
        for (PluginSpec ps : spec.arbiters()) {
            ArbiterFactory f = find(ArbiterFactory.class, ps.type(), ArbiterFactory::type);
            if (f == null) {
                problems.add(new Problem(ps.path() + ".type", "no arbiter of type '" + ps.type() + "' on the class path",
                        "add the module that provides it (disk-lease and scsi: ha-scsi; peer-probe and witness: ha-heartbeat)"));
                continue;
            }
            try {
                configuredArbiters.add(f.create(new PluginConfig(ps.id(), ps.type(), ps.path(), ps.params()), cc, lateContext));
            } catch (InvalidConfigException e) {
                problems.addAll(e.problems());
            }
        }
        for (PluginSpec ps : spec.fencers()) {
            FencerFactory f = find(FencerFactory.class, ps.type(), FencerFactory::type);
            if (f == null) {
                problems.add(new Problem(ps.path() + ".type", "no fencing method of type '" + ps.type() + "' on the class path",
                        "add the module that provides it (scsi-preempt: ha-scsi)"));
                continue;
            }
            try {
                configuredFencers.add(f.create(new PluginConfig(ps.id(), ps.type(), ps.path(), ps.params()), cc, lateContext));
            } catch (InvalidConfigException e) {
                problems.addAll(e.problems());
            }
        }
        org.tandemha.api.Coordinator coordinator = null;
        if (spec.coordinated()) {
            coordinator = coordinator(spec, cc, lateContext, problems);
        }
        if (m == null) {
            MembershipFactory mf = ServiceLoader.load(MembershipFactory.class).findFirst().orElse(null);
            if (mf == null) {
                problems.add(new Problem("paths", "no heartbeat implementation on the class path",
                        "add the dependency org.tandemha:ha-heartbeat, or pass a Membership to the builder"));
            } else {
                try {
                    m = mf.create(cc, lateContext);
                } catch (InvalidConfigException e) {
                    problems.addAll(e.problems());
                }
            }
        }
        if (!problems.isEmpty()) {
            if (coordinator != null) {
                coordinator.close();
            }
            throw new InvalidConfigException(problems);
        }
        // Resources are built before the runtime (their advised timeouts decide the timeouts the engine enforces);
        // they get a context that knows the node's identity now and reaches the runtime once it exists.
        NodeContext resourceContext = new EarlyContext(spec, localNode, dir, services, lateContext);
        Map<String, ResourceParts> parts = new LinkedHashMap<>();
        List<GroupSpec> effective = new ArrayList<>();
        for (GroupSpec g : spec.groups()) {
            if (g.priority(localNode) < 0) {
                effective.add(g);
                continue;
            }
            List<ResourceSpec> resources = new ArrayList<>();
            for (ResourceSpec r : g.resources()) {
                if (!g.dr().runsOn(r.id(), localNode)) {
                    continue; // a resource of the other site (its address): not part of the group on this node
                }
                ResourceType t = allTypes.get(r.type());
                ResourceSpec eff = r;
                try {
                    ResourceParts built = t.create(new PluginConfig(r.id(), r.type(), r.path(),
                            NodeParams.expand(r.params(), localNode)), resourceContext);
                    if (r.id().equals(g.promotableResource())
                            && !(built.resource() instanceof org.tandemha.api.PromotableResource)) {
                        problems.add(new Problem(r.path(), "group " + g.id() + " is promotable, but its first resource '"
                                + r.id() + "' (type " + r.type() + ") cannot be promoted or run as a standby",
                                "list a replicated resource first (postgresql with a replication section), or remove"
                                + " promotable: true from the group"));
                    }
                    parts.put(g.id() + "/" + r.id(), built);
                    eff = withAdvisedTimeouts(localNode, r, built);
                } catch (InvalidConfigException e) {
                    problems.addAll(e.problems());
                } catch (RuntimeException e) {
                    problems.add(new Problem(r.path(), "resource type '" + r.type() + "' failed to build it: " + e,
                            "check its parameters; this is a bug in the type if they are right"));
                }
                resources.add(eff);
            }
            effective.add(new GroupSpec(g.id(), g.nodes(), g.switchback(), g.settle(), g.maxRecoveries(),
                    g.recoveryWindow(), resources, g.promotable(), g.dr()));
        }
        if (!problems.isEmpty()) {
            m.close();
            if (coordinator != null) {
                coordinator.close();
            }
            throw new InvalidConfigException(problems);
        }
        // the same configuration (and fingerprint): only the timeouts the configuration left unset may differ
        spec = new ClusterSpec(spec.cluster(), spec.key(), spec.nodes(), spec.paths(), spec.arbiters(), spec.fencers(),
                spec.quorum(), spec.timing(), effective, spec.fingerprint(), spec.watchdog(), spec.coordination(), spec.ping(),
                spec.realtime());
        NodeRuntime rt = new NodeRuntime(spec, localNode, m, new SafetyCheck(SafetyCheck.inOrder(configuredArbiters, arbiters),
                spec.quorum().twoNodeWithoutArbiter()),
                new FencingChain(FencingChain.inOrder(configuredFencers, fencers)), dir, services, listeners);
        holder[0] = rt;
        if (coordinator != null) {
            rt.coordinator(coordinator);
        }
        rt.install(parts);
        try {
            StateDirectory.create(dir);
        } catch (IOException e) {
            throw new InvalidConfigException("stateDirectory", "cannot create " + dir + ": " + e.getMessage(),
                    "choose a writable directory with stateDirectory(...)");
        }
        return rt;
    }

    /**
     * The resource's timeouts with those its program advises ({@link AdvisedTimeouts}: an OCF agent's meta-data) where
     * the configuration set none, as Pacemaker applies an agent's advised timeouts.
     */
    static ResourceSpec withAdvisedTimeouts(String node, ResourceSpec r, ResourceParts built) {
        AdvisedTimeouts a = built.resource() instanceof AdvisedTimeouts x ? x
                : built.checker() instanceof AdvisedTimeouts y ? y : null;
        if (a == null) {
            return r;
        }
        Map<String, java.time.Duration> advised = new LinkedHashMap<>();
        for (String name : ResourceSpec.TIMEOUTS) {
            if (!r.explicit(name)) {
                a.advised(name).ifPresent(d -> advised.put(name, d));
            }
        }
        ResourceSpec eff = r.withAdvised(advised);
        if (!eff.equals(r)) {
            LOG.info("node {}: resource {}: timeouts advised by its agent apply where the configuration sets none:"
                    + " start {}, stop {}, recover {}, quickCheck {}, deepCheck {}", node, r.id(),
                    org.tandemha.api.Durations.format(eff.startTimeout()), org.tandemha.api.Durations.format(eff.stopTimeout()),
                    org.tandemha.api.Durations.format(eff.recoverTimeout()), org.tandemha.api.Durations.format(eff.quickTimeout()),
                    org.tandemha.api.Durations.format(eff.deepTimeout()));
        }
        return eff;
    }

    /** What resources see of the node while it is built: its identity now, the rest once the runtime exists. */
    private static final class EarlyContext extends NodeIdentityContext {
        private final NodeContext late;

        EarlyContext(ClusterSpec spec, String self, Path dir, Map<Class<?>, Object> services, NodeContext late) {
            super(spec, self, dir, Map.copyOf(services));
            this.late = late;
        }

        @Override
        public boolean peerDeadOrFenced(String node) {
            return late.peerDeadOrFenced(node);
        }

        @Override
        public Map<String, String> peerFacts(String node) {
            return late.peerFacts(node);
        }

        @Override
        public void publishFact(String key, String value) {
            late.publishFact(key, value);
        }

        @Override
        public void reportFenced(String reason) {
            late.reportFenced(reason);
        }

        @Override
        public void quorumVote(String device, boolean reachable) {
            late.quorumVote(device, reachable);
        }

        @Override
        public void note(String group, String resource, String message) {
            late.note(group, resource, message);
        }
    }

    /**
     * The coordination service the configuration names: a {@link org.tandemha.api.CoordinatorFactory} registered with
     * {@link #service}, else the one of that type on the class path. Without one the node is not built: the engine
     * would wait for leases nobody grants.
     */
    private org.tandemha.api.Coordinator coordinator(ClusterSpec spec, ClusterConfig cc, NodeContext context,
                                                     List<Problem> problems) {
        org.tandemha.core.config.CoordinationSpec c = spec.coordination();
        org.tandemha.api.CoordinatorFactory f = services.get(org.tandemha.api.CoordinatorFactory.class)
                instanceof org.tandemha.api.CoordinatorFactory given && given.type().equals(c.type()) ? given
                : find(org.tandemha.api.CoordinatorFactory.class, c.type(), org.tandemha.api.CoordinatorFactory::type);
        if (f == null) {
            problems.add(new Problem("coordination.type", "the configuration asks for coordination by " + c.type()
                    + " but no module on the class path provides it", "add the dependency org.tandemha:ha-" + c.type()
                    + " (it brings Apache Curator), or remove the coordination section to let the nodes decide"
                    + " ownership among themselves"));
            return null;
        }
        try {
            return f.create(new org.tandemha.api.CoordinatorFactory.Settings(c.type(), c.connect(), c.sessionTimeout(),
                    c.path(), c.digest()), cc, context);
        } catch (InvalidConfigException e) {
            problems.addAll(e.problems());
            return null;
        }
    }

    private static <F> F find(Class<F> kind, String type, java.util.function.Function<F, String> name) {
        for (F f : ServiceLoader.load(kind)) {
            if (name.apply(f).equals(type)) {
                return f;
            }
        }
        return null;
    }

    static ClusterConfig clusterConfig(ClusterSpec spec, String local) {
        List<ClusterConfig.Node> nodes = spec.nodes().stream().map(n -> new ClusterConfig.Node(n.id(), n.addresses())).toList();
        List<ClusterConfig.Path> paths = spec.paths().stream().map(p -> new ClusterConfig.Path(p.name(), p.transport(),
                p.priority(), p.interval(), p.misses(), p.options())).toList();
        org.tandemha.core.config.RealtimeSpec rt = spec.realtime();
        return new ClusterConfig(spec.cluster(), local, spec.key(), nodes, paths,
                new ClusterConfig.Realtime(rt.priority(), rt.policy(), rt.lockMemory(), rt.required()));
    }

    /** A context whose calls go to the runtime once it exists (plugins built before it only keep a reference). */
    private static final class DeferredContext implements NodeContext {
        private final java.util.function.Supplier<NodeContext> target;

        DeferredContext(java.util.function.Supplier<NodeContext> target) {
            this.target = target;
        }

        private NodeContext t() {
            NodeContext c = target.get();
            if (c == null) {
                throw new IllegalStateException("the node is not built yet");
            }
            return c;
        }

        @Override
        public String nodeId() {
            return t().nodeId();
        }

        @Override
        public String clusterName() {
            return t().clusterName();
        }

        @Override
        public List<String> peers() {
            return t().peers();
        }

        @Override
        public List<String> drNodes() {
            return t().drNodes();
        }

        @Override
        public Path stateDirectory() {
            return t().stateDirectory();
        }

        @Override
        public <T> java.util.Optional<T> service(Class<T> type) {
            return t().service(type);
        }

        @Override
        public boolean peerDeadOrFenced(String node) {
            return t().peerDeadOrFenced(node);
        }

        @Override
        public Map<String, String> peerFacts(String node) {
            return t().peerFacts(node);
        }

        @Override
        public void publishFact(String key, String value) {
            t().publishFact(key, value);
        }

        @Override
        public void reportFenced(String reason) {
            t().reportFenced(reason);
        }

        @Override
        public void quorumVote(String device, boolean reachable) {
            t().quorumVote(device, reachable);
        }

        @Override
        public void note(String group, String resource, String message) {
            t().note(group, resource, message);
        }
    }
}
