package org.tandemha.core.sim;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Severity;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

/**
 * A whole cluster in one thread and simulated time: engines, a network that can drop, delay, reorder and partition
 * (both ways or one way), a membership with a detection delay per direction, an arbiter, a shared array, and
 * resources that can fail, crash, hang and time out. Deterministic for a given seed. After every step it checks
 * that no group has two owners (see {@link #runningOn}).
 *
 * <h2>Node faults</h2>
 * <ul>
 * <li>{@link #crash}: the machine dies; the engine and every resource on it are gone.</li>
 * <li>{@link #crashDaemon}: only the Tandem process dies (kill -9, an OOM kill); its resources keep running and keep
 * answering (an address the kernel holds, a process in its own session, a mount). Peers stop hearing the node; a
 * truthful arbiter calls it dead. When the node boots again its engine's start-up clean-up stops the leftovers.</li>
 * <li>{@link #shutdown}: an operator's orderly stop ({@link Input.Shutdown}); the node leaves when its engine says
 * {@link Action.Left}; whatever still runs there (a stop that failed) stays running.</li>
 * <li>{@link #duplicate}: a second copy of the node's process on the same machine (same id, same state directory,
 * same resources, a new incarnation) runs next to the first one; both are heard by the peers.</li>
 * <li>{@link #pause}/{@link #resume}: SIGSTOP/SIGCONT.</li>
 * <li>{@link #generationStoreFails}: the node's generation store cannot be written: what it claims is not durable.</li>
 * </ul>
 * <h2>Network faults</h2> {@link #cut} (both ways), {@link #cutOneWay} (one node stops hearing another, which still
 * hears it), {@link #loss} (random loss per link and direction; announcements ride on every heartbeat, so a lost
 * one is sent again at the next heartbeat) and {@link #reorder} (each message gets a random extra delay).
 * <h2>Array faults</h2> {@link #arrayForgets}: the array loses every registration and reservation (a reboot, a
 * controller failover without APTPL): it forgets who holds it and the generation on it. This is not a fence: no
 * node's key was preempted by a peer.
 */
public final class SimCluster {
    /** How the simulated safety check answers. */
    public enum ArbiterMode {
        /** Tells the truth: a crashed peer is dead, a live (even paused) one is alive. */
        TRUTH,
        /** A shared-disk race: the first node to ask about the other wins and fences it; the other lost. */
        DISK_RACE,
        /** No arbiter answers. */
        SILENT
    }

    /** Faults a simulated resource can be given. */
    public enum Fault { NONE, START_FAILS, START_HANGS, STOP_FAILS, STOP_HANGS, CHECK_FAILS_ONCE, CHECK_FAILS, CHECK_HANGS, RECOVER_FAILS }

    private record Scheduled(long at, long seq, Runnable task) {
    }

    final class Node {
        final String id;
        /** Key of this instance in the peers' membership: the id, or the id and a serial for a second copy. */
        final String key;
        /** A second copy of the process on the same machine (see {@link #duplicate}). */
        final boolean twin;
        /** A second copy on another machine: its own resources, state directory and reservation key. */
        boolean elsewhere;
        Engine engine;
        long incarnation;
        boolean crashed; // the Tandem process is not running (machine down, daemon crashed, left, or never booted)
        boolean machineDown; // the machine itself is down: nothing of it runs
        boolean left; // the process exited after an orderly shutdown; what still ran stays running
        boolean generationStoreFails;
        /** This instance told its engine that the generations are not durable (and whether the engine has it). */
        boolean storeFailing;
        boolean engineKnowsNotDurable;
        boolean paused;
        long pausedAt;
        long resumedAt;
        boolean fenced;
        long fencedSince = -1;
        long activeSince = -1; // start of the current streak of running groups while fenced
        long wakeAt = Long.MAX_VALUE;
        Announcement announced;
        final List<Input> held = new ArrayList<>();
        final Map<String, Boolean> reach = new HashMap<>(); // peer instance key -> reachable as told
        Map<String, Boolean> running = new HashMap<>(); // group/resource -> running (shared by the copies on a machine)
        Map<String, Long> persisted = Map.of(); // survives crashes, as the runtime's state directory does
        /** Groups still in this engine's start-up clean-up (not yet OFFLINE or FAILED since its boot). */
        final Set<String> cleaning = new HashSet<>();

        Node(String id) {
            this(id, id, false);
        }

        Node(String id, String key, boolean twin) {
            this.id = id;
            this.key = key;
            this.twin = twin;
        }
    }

    private final ClusterSpec spec;
    private final Random random;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    /** Second copies of a node's process, by node id (at most one each). */
    private final Map<String, Node> twins = new LinkedHashMap<>();
    private int twinSerial;
    private final Set<String> cut = new HashSet<>(); // "a>b": b does not hear a
    private final Map<String, Double> loss = new HashMap<>(); // "a>b" -> probability that a message from a to b is lost
    private long reorderMs; // each message gets a random extra delay of 0..reorderMs
    /** Heartbeat interval: a lost announcement goes out again with the next heartbeat. */
    static final long HEARTBEAT_MS = 100;
    private final Map<String, Fault> faults = new HashMap<>(); // node/group/resource
    private final List<ClusterEvent> events = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    /** The shared disk: per group, the highest generation started on it as the array remembers it (forgotten when the array loses its registrations). */
    private final Map<String, Long> diskGeneration = new HashMap<>();
    /**
     * The generations the arbiters keep (a lease block's data, a witness's memory): they survive the array losing
     * its registrations, which are not data.
     */
    private final Map<String, Long> arbiterGeneration = new HashMap<>();
    /** The ground truth the array may forget: per group, the highest generation ever started on the disk. */
    private final Map<String, Long> startedGeneration = new HashMap<>();
    private long writesAccepted;
    private long writesRejected;
    private final Map<Long, CommandResult> commandResults = new HashMap<>();
    private final List<String> log = new ArrayList<>();
    private long now;
    private long seq;
    private long nextCommandId = 1;
    private ArbiterMode arbiter = ArbiterMode.TRUTH;
    /** A peer is declared unreachable this long after its heartbeats stop (100 ms x 3). */
    static final long DETECT_MS = 300;
    private final long detectMs = DETECT_MS;
    private long netDelayMs = 5;
    private double dropRate;
    private String diskOwner;
    private Consumer<ClusterEvent> eventSink = e -> { };
    private int steps;

    public SimCluster(ClusterSpec spec, long seed) {
        this.spec = spec;
        this.random = new Random(seed);
        for (String n : spec.nodeIds()) {
            nodes.put(n, new Node(n));
        }
    }

    public SimCluster arbiter(ArbiterMode mode) {
        this.arbiter = mode;
        return this;
    }

    public SimCluster network(long delayMs, double drop) {
        this.netDelayMs = delayMs;
        this.dropRate = drop;
        return this;
    }

    public SimCluster onEvent(Consumer<ClusterEvent> sink) {
        this.eventSink = sink;
        return this;
    }

    public long now() {
        return now;
    }

    public List<ClusterEvent> events() {
        return events;
    }

    public List<String> violations() {
        return violations;
    }

    public List<String> log() {
        return log;
    }

    // ------------------------------------------------------------------ control

    public void startAll() {
        for (Node n : nodes.values()) {
            boot(n);
        }
    }

    /** (Re)starts the node's process: a fresh engine and incarnation. Nothing happens if it runs already. */
    public void boot(String node) {
        Node n = nodes.get(node);
        Node twin = twins.get(node);
        if (twin != null && !twin.elsewhere && alive(twin, twin.incarnation)) {
            // a copy of the node already runs on this machine and holds the state directory's lock
            log.add(now + " boot " + node + " is refused by the state directory's lock (" + twin.key + " runs)");
            return;
        }
        if (n.crashed || n.engine == null) {
            boot(n);
        }
    }

    private void boot(Node n) {
        n.engine = new Engine(spec, n.id, fencing, ms -> Instant.ofEpochMilli(1_700_000_000_000L + ms));
        n.incarnation = now + 1 + random.nextInt(1000);
        if (n.machineDown || n.twin) {
            n.fenced = false; // a machine that was down registers again before it holds anything
        }
        n.crashed = false;
        n.machineDown = false;
        n.left = false;
        n.paused = false;
        n.announced = null;
        n.held.clear();
        n.reach.clear();
        n.cleaning.clear();
        for (GroupSpec g : spec.groups()) {
            n.cleaning.add(g.id());
        }
        log.add(now + " boot " + n.key);
        n.storeFailing = false;
        n.engineKnowsNotDurable = false;
        deliver(n, new Input.Boot(machine(n).persisted, n.incarnation));
        linksChanged(n);
    }

    /** Every link to and from {@code n} is evaluated again by the membership. */
    private void linksChanged(Node n) {
        for (Node o : all()) {
            if (!o.id.equals(n.id)) {
                linkChanged(n, o);
                linkChanged(o, n);
            }
        }
    }

    /** Every process instance: the nodes, then the second copies. */
    private List<Node> all() {
        List<Node> l = new ArrayList<>(nodes.values());
        l.addAll(twins.values());
        return l;
    }

    /** The instances of one node id: the node and its second copy, if any. */
    private List<Node> instances(String id) {
        Node t = twins.get(id);
        return t == null ? List.of(nodes.get(id)) : List.of(nodes.get(id), t);
    }

    /** The machine an instance runs on (what is fenced, what keeps the state directory). */
    private Node machine(Node n) {
        return n.elsewhere ? n : nodes.get(n.id);
    }

    /** A machine crash: the engine(s) and every resource on the node are gone. */
    public void crash(String node) {
        Node n = nodes.get(node);
        if (n.machineDown) {
            return;
        }
        log.add(now + " crash " + node);
        n.machineDown = true;
        n.left = false;
        n.running.clear();
        for (Node i : instances(node)) {
            if (!i.elsewhere) {
                stopProcess(i); // a second copy on another machine runs on
            }
        }
    }

    /**
     * kill -9 of the Tandem process alone: the machine stays up and every resource it started keeps running and
     * answering. Peers stop hearing the node. Its next {@link #boot} cleans the leftovers up.
     */
    public void crashDaemon(String node) {
        Node n = nodes.get(node);
        if (n.crashed) {
            return;
        }
        log.add(now + " daemon of " + node + " crashes; its resources keep running");
        stopProcess(n);
    }

    private void stopProcess(Node n) {
        if (n.crashed && n.engine == null) {
            return;
        }
        n.crashed = true;
        n.engine = null;
        n.paused = false;
        n.wakeAt = Long.MAX_VALUE;
        n.held.clear();
        linksChanged(n);
    }

    /**
     * An orderly shutdown ({@link Input.Shutdown}): the engine stops its groups and says when it has left; the process
     * then exits (after its last heartbeats carried the final announcement). What still runs stays running.
     */
    public void shutdown(String node) {
        Node n = nodes.get(node);
        if (n.crashed || n.engine == null) {
            return;
        }
        log.add(now + " shutdown " + node);
        deliver(n, new Input.Shutdown());
        // NodeRuntime.close waits for the engine to leave at most the sum of the stop timeouts plus 10 s, then
        // exits anyway: a node whose stop failed exits without leaving, what it could not stop still running
        long bound = spec.groups().stream().flatMap(g -> g.resources().stream()).mapToLong(r -> r.stopTimeout().toMillis())
                .sum() + 10_000;
        exitAfter(n, n.incarnation, bound);
    }

    /** The runtime's bound: it counts only while nothing is being stopped (a frozen process must not exit mid-stop). */
    private void exitAfter(Node n, long inc, long delay) {
        at(delay, () -> {
            if (!alive(n, inc)) {
                return;
            }
            if (n.paused || n.engine.inTransition()) {
                exitAfter(n, inc, 200);
                return;
            }
            // To its peers this is a crashed process: they keep what they heard it announce FAILED blocked (scenarios
            // 55, 56); what they never heard of is a crash's leftovers, which only fencing or a watchdog covers.
            log.add(now + " " + n.key + " exits without leaving" + (anyRunning(n) ? "; still running: " + runningKeys(n) : ""));
            stopProcess(n);
        });
    }

    /** The process exits after it has left: its last announcement (leaving) goes out with a few more heartbeats. */
    private void leave(Node n, long inc) {
        at(3 * HEARTBEAT_MS + netDelayMs + reorderMs, () -> {
            if (alive(n, inc)) {
                log.add(now + " " + n.key + " left" + (anyRunning(n) ? "; still running: " + runningKeys(n) : ""));
                stopProcess(n);
                n.left = !n.twin;
            }
        });
    }

    private boolean anyRunning(Node n) {
        return n.running.values().stream().anyMatch(Boolean::booleanValue);
    }

    private List<String> runningKeys(Node n) {
        return n.running.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).sorted().toList();
    }

    /**
     * A second copy of the node's process starts on the same machine (a unit file and a manual start): same id, same
     * state directory, same resources, a new incarnation. Both copies are heard by the peers, and both hear them.
     */
    public void duplicate(String node) {
        duplicate(node, true);
    }

    /**
     * A second copy of the node's process, on the same machine ({@code sameMachine}: same resources, same state
     * directory) or on another machine configured with the same node id (its own resources and state directory).
     */
    public void duplicate(String node, boolean sameMachine) {
        Node n = nodes.get(node);
        Node old = twins.get(node);
        if ((sameMachine && n.machineDown) || (old != null && !old.crashed)) {
            return;
        }
        if (sameMachine && !n.crashed) {
            // NodeRuntime.start locks the state directory first: the copy fails before it boots or touches anything
            log.add(now + " a second copy of " + node + " is refused by the state directory's lock");
            return;
        }
        Node t = new Node(node, node + "'" + (++twinSerial), true);
        t.elsewhere = !sameMachine;
        if (sameMachine) {
            t.running = n.running;
            n.left = false; // the machine's process is this copy now: what runs there is its, or a crash's leftovers
        }
        twins.put(node, t);
        log.add(now + " a second copy of " + node + " starts" + (sameMachine ? "" : " on another machine"));
        boot(t);
    }

    /** The second copy of the node's process is killed (its resources are the machine's: they stay as they are). */
    public void stopDuplicate(String node) {
        Node t = twins.get(node);
        if (t == null || t.crashed) {
            return;
        }
        log.add(now + " the second copy of " + node + " is killed");
        stopProcess(t);
    }

    /** From now on the node's generation store cannot be written ({@code true}) or can again. */
    public void generationStoreFails(String node, boolean fails) {
        log.add(now + " generation store of " + node + (fails ? " cannot be written" : " works again"));
        nodes.get(node).generationStoreFails = fails;
        for (Node i : instances(node)) {
            if (!fails) {
                at(0, () -> deliver(i, new Input.Tick())); // the runtime tries the write again every second
            }
        }
    }

    /** SIGSTOP: the engine stops, its resources keep running; peers stop hearing it. */
    public void pause(String node) {
        Node n = nodes.get(node);
        if (n.crashed || n.paused) {
            return;
        }
        log.add(now + " pause " + node);
        n.paused = true;
        n.pausedAt = now;
        linksChanged(n);
    }

    public void resume(String node) {
        Node n = nodes.get(node);
        if (!n.paused) {
            return;
        }
        log.add(now + " resume " + node);
        n.paused = false;
        n.resumedAt = now;
        List<Input> held = new ArrayList<>(n.held);
        n.held.clear();
        deliver(n, new Input.Resumed(now - n.pausedAt));
        if (n.fenced) {
            deliver(n, new Input.SelfFenced("sim: reservation key preempted"));
        }
        for (Input in : held) {
            deliver(n, in);
        }
        linksChanged(n);
    }

    /** Every heartbeat path between a and b goes down, both ways. */
    public void cut(String a, String b) {
        log.add(now + " cut " + a + "-" + b);
        cut.add(a + ">" + b);
        cut.add(b + ">" + a);
        linkPairChanged(a, b);
    }

    /** {@code to} no longer hears {@code from}; {@code from} still hears {@code to} (a one-way cut). */
    public void cutOneWay(String from, String to) {
        log.add(now + " cut " + from + ">" + to + " (" + to + " no longer hears " + from + ")");
        cut.add(from + ">" + to);
        linkPairChanged(from, to);
    }

    private void linkPairChanged(String a, String b) {
        for (Node x : instances(a)) {
            for (Node y : instances(b)) {
                linkChanged(x, y);
                linkChanged(y, x);
            }
        }
    }

    public void heal(String a, String b) {
        log.add(now + " heal " + a + "-" + b);
        cut.remove(a + ">" + b);
        cut.remove(b + ">" + a);
        linkPairChanged(a, b);
    }

    public void healAll() {
        for (Node a : nodes.values()) {
            for (Node b : nodes.values()) {
                if (a != b && (cut.contains(a.id + ">" + b.id) || cut.contains(b.id + ">" + a.id))) {
                    heal(a.id, b.id);
                }
            }
        }
    }

    /** Messages from {@code from} to {@code to} are lost with this probability (0 to 1). */
    public void loss(String from, String to, double rate) {
        log.add(now + " loss " + from + ">" + to + " " + Math.round(rate * 100) + "%");
        if (rate <= 0) {
            loss.remove(from + ">" + to);
        } else {
            loss.put(from + ">" + to, rate);
        }
    }

    /** Each message gets a random extra delay of 0 to {@code ms}: messages overtake each other. */
    public void reorder(long ms) {
        log.add(now + " reorder up to " + ms + " ms");
        this.reorderMs = Math.max(0, ms);
    }

    /** No more loss or reordering (cuts stay as they are). */
    public void clearNetworkFaults() {
        loss.clear();
        reorderMs = 0;
    }

    /**
     * The array loses every registration and reservation (a reboot, a controller failover, no APTPL): it no longer
     * knows who holds it nor the generation written on it. Not a fence: no node's key was preempted by a peer.
     */
    public void arrayForgets() {
        log.add(now + " the array loses every registration");
        diskOwner = null;
        diskGeneration.clear();
    }

    public void fault(String node, String group, String resource, Fault f) {
        log.add(now + " fault " + node + "/" + group + "/" + resource + " " + f);
        faults.put(node + "/" + group + "/" + resource, f);
    }

    public void clearFaults() {
        faults.clear();
    }

    /** Makes a running resource die (a crash of the process): its next check fails. */
    public void kill(String node, String group, String resource) {
        Node n = nodes.get(node);
        log.add(now + " kill " + node + "/" + group + "/" + resource);
        n.running.remove(group + "/" + resource);
    }

    public long command(String node, Input.Command.Kind kind, String group, String target) {
        long id = nextCommandId++;
        log.add(now + " command " + node + " " + kind + " " + group + (target == null ? "" : " " + target));
        Node n = nodes.get(node);
        if (n.engine == null) {
            commandResults.put(id, CommandResult.refused("node down"));
        } else {
            deliver(n, new Input.Command(id, kind, group, target));
        }
        return id;
    }

    public CommandResult commandResult(long id) {
        return commandResults.get(id);
    }

    public Set<String> nodesUp() {
        Set<String> s = new HashSet<>();
        for (Node n : nodes.values()) {
            if (!n.crashed) {
                s.add(n.id);
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ time

    public void runFor(long ms) {
        runUntil(now + ms);
    }

    public void runUntil(long t) {
        while (true) {
            long next = Long.MAX_VALUE;
            Scheduled s = queue.peek();
            if (s != null) {
                next = s.at;
            }
            Node wake = null;
            for (Node n : all()) {
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
                deliver(wake, new Input.Tick());
            } else {
                queue.poll().task.run();
            }
            if (++steps > 5_000_000) {
                throw new IllegalStateException("simulation does not settle");
            }
        }
    }

    /** Runs until the predicate holds or {@code maxMs} passed; returns whether it held. */
    public boolean runUntil(java.util.function.BooleanSupplier done, long maxMs) {
        long end = now + maxMs;
        while (now < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            runFor(Math.min(50, end - now));
        }
        return done.getAsBoolean();
    }

    private void at(long delay, Runnable r) {
        queue.add(new Scheduled(now + Math.max(0, delay), seq++, r));
    }

    // ------------------------------------------------------------------ views

    public LocalState state(String node, String group) {
        Node n = nodes.get(node);
        return n.engine == null ? null : n.engine.state(group);
    }

    public long generation(String node, String group) {
        Node n = nodes.get(node);
        return n.engine == null ? -1 : n.engine.generation(group);
    }

    public Engine engine(String node) {
        return nodes.get(node).engine;
    }

    /**
     * The group's owners: nodes where a resource of the group runs and that count as live and unfenced.
     * <ul>
     * <li>A fenced node (its key preempted, or powered off) is no owner: it can no longer harm the group.</li>
     * <li>A node whose Tandem process crashed (the machine is up) is no owner while its process is down: its
     * leftovers are what a takeover must make harmless (fencing, the address taken over, a watchdog).</li>
     * <li>A node that left after an orderly shutdown is an owner if anything of the group still runs there: it
     * told its peers it left, and no safety check vouched for it.</li>
     * <li>A node whose process runs (also frozen) is an owner, except while its engine's start-up clean-up of the
     * group is under way (the engine has not yet called the group OFFLINE or FAILED since its boot): the clean-up
     * is what makes leftovers from before the restart harmless. With two copies of the process on the machine, one
     * copy past its clean-up is enough.</li>
     * </ul>
     */
    public List<String> runningOn(String group) {
        List<String> r = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (!n.machineDown && !n.fenced && runs(n, group) && live(n, group)) {
                r.add(n.id);
            }
        }
        for (Node t : twins.values()) {
            if (t.elsewhere && !t.fenced && runs(t, group) && !t.crashed && t.engine != null && !t.cleaning.contains(group)) {
                r.add(t.key); // another machine with the same node id
            }
        }
        return r;
    }

    /** Nodes where something of the group runs although they are no owner (see {@link #runningOn}). */
    public List<String> leftoversOn(String group) {
        List<String> r = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (!n.machineDown && runs(n, group) && (n.fenced || !live(n, group))) {
                r.add(n.id);
            }
        }
        return r;
    }

    private boolean runs(Node n, String group) {
        for (ResourceSpec rs : spec.group(group).orElseThrow().resources()) {
            if (Boolean.TRUE.equals(n.running.get(group + "/" + rs.id()))) {
                return true;
            }
        }
        return false;
    }

    private boolean live(Node n, String group) {
        boolean anyProcess = false;
        for (Node i : instances(n.id)) {
            if (i.engine != null && !i.crashed && !i.elsewhere) {
                anyProcess = true;
                if (!i.cleaning.contains(group)) {
                    return true;
                }
            }
        }
        return !anyProcess && n.left;
    }

    /** Nodes whose engine says the group is ONLINE. */
    public List<String> onlineOn(String group) {
        List<String> r = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (n.engine != null && n.engine.state(group) == LocalState.ONLINE) {
                r.add(n.id);
            }
        }
        return r;
    }

    // ------------------------------------------------------------------ the edge

    private void deliver(Node n, Input in) {
        if (n.crashed || n.engine == null) {
            return;
        }
        if (n.paused) {
            n.held.add(in);
            return;
        }
        List<Action> actions = n.engine.handle(in, now);
        if (in instanceof Input.GenerationsDurable d) {
            n.engineKnowsNotDurable = !d.durable();
        }
        // write-ahead, as NodeRuntime does: a step whose generations are not durable runs nothing that uses one
        boolean durable = !machine(n).generationStoreFails;
        if (durable) {
            machine(n).persisted = n.engine.knownGenerations();
            if (n.storeFailing) {
                n.storeFailing = false;
                long inc = n.incarnation;
                at(0, () -> {
                    if (alive(n, inc)) {
                        deliver(n, new Input.GenerationsDurable(true, null));
                    }
                });
            }
        } else if (!n.storeFailing) {
            n.storeFailing = true;
            long inc = n.incarnation;
            at(0, () -> {
                if (alive(n, inc)) {
                    deliver(n, new Input.GenerationsDurable(false, "sim: the generation store cannot be written"));
                }
            });
        }
        for (Action a : actions) {
            if (durable || Action.runsWithoutDurableGenerations(a, n.engineKnowsNotDurable)) {
                execute(n, a);
            } else {
                refuseNotDurable(n, a);
            }
        }
        if (n.engine == null) {
            return;
        }
        // A clean-up that failed (FAILED) leaves what ran there as the crash's leftovers: they were there before
        // the node came back, and only fencing or a watchdog deals with them; the group is the node's again once
        // it is stopped (OFFLINE, after a clear) or started by this process.
        n.cleaning.removeIf(g -> n.engine.state(g) != LocalState.UNKNOWN && n.engine.state(g) != LocalState.STOPPING
                && n.engine.state(g) != LocalState.FAILED);
        n.wakeAt = n.engine.nextWakeup();
        if (n.fenced && spec.groups().stream().noneMatch(g -> n.engine.state(g.id()).active())) {
            n.fenced = false; // stood down; it registers again before it may hold anything
        }
        checkInvariant();
    }

    /** A fenced node that runs (not frozen) must have stopped its groups within this time. */
    static final long FENCED_STOP_BOUND_MS = 15_000;

    private void checkInvariant() {
        for (Node n : nodes.values()) {
            if (!n.fenced || n.crashed || n.paused || n.engine == null || n.fencedSince < 0) {
                n.activeSince = -1;
                continue;
            }
            String still = null;
            for (GroupSpec g : spec.groups()) {
                LocalState st = n.engine.state(g.id());
                if (st.active() && st != LocalState.FAILED && st != LocalState.UNKNOWN && !n.engine.maintenance(g.id())) {
                    still = g.id() + " " + st; // (a group in maintenance is the operator's: left running on purpose)
                    break;
                }
            }
            if (still == null) {
                n.activeSince = -1; // stopped, or FAILED after a stop that failed (a watchdog's case)
            } else if (n.activeSince < 0) {
                n.activeSince = now;
            } else if (now - Math.max(n.activeSince, n.resumedAt) > FENCED_STOP_BOUND_MS) {
                violations.add("t=" + now + " " + n.id + " was fenced at " + n.fencedSince + " and still has " + still);
                n.fencedSince = -1; // report once
            }
        }
        for (GroupSpec g : spec.groups()) {
            List<String> on = runningOn(g.id());
            if (on.size() > 1) {
                violations.add("t=" + now + " group " + g.id() + " runs on " + on);
            }
        }
    }


    private void refuseNotDurable(Node n, Action a) {
        long inc = n.incarnation;
        ActionResult no = ActionResult.failed("sim: not done, the generations could not be saved");
        if (a instanceof Action.RunResource r) {
            at(0, () -> {
                if (alive(n, inc)) {
                    deliver(n, new Input.ActionDone(r.id(), no));
                }
            });
        } else if (a instanceof Action.FencePeer f) {
            at(0, () -> {
                if (alive(n, inc)) {
                    deliver(n, new Input.FenceDone(f.id(), f.peer(), no));
                }
            });
        }
    }

    private Fault faultOf(Node n, String group, String resource) {
        return faults.getOrDefault(n.id + "/" + group + "/" + resource, Fault.NONE);
    }

    private void execute(Node n, Action a) {
        long inc = n.incarnation;
        if (a instanceof Action.Emit e) {
            events.add(e.event());
            eventSink.accept(e.event());
        } else if (a instanceof Action.Announce an) {
            n.announced = an.announcement();
            for (Node o : all()) {
                if (!o.id.equals(n.id)) {
                    sendState(n, o);
                }
            }
        } else if (a instanceof Action.Left) {
            leave(n, inc);
        } else if (a instanceof Action.Send s) {
            for (Node o : instances(s.peer())) {
                if (linkUp(n, o) && !lost(n, o)) {
                    at(delay(), () -> deliver(o, new Input.PeerMessage(n.id, s.message())));
                }
            }
        } else if (a instanceof Action.RunResource r) {
            runResource(n, inc, r);
        } else if (a instanceof Action.RunCheck c) {
            runCheck(n, inc, c);
        } else if (a instanceof Action.RunSafetyCheck sc) {
            at(50, () -> {
                if (alive(n, inc)) {
                    Verdict v = verdict(n, nodes.get(sc.peer()));
                    long diskGen = arbiterGeneration.values().stream().mapToLong(Long::longValue).max().orElse(0);
                    Verdict answer = scripted(n, sc.peer(), Verdict.of(v.answer(), v.reason(), diskGen));
                    if (answer != null) {
                        deliver(n, new Input.SafetyDone(sc.id(), sc.peer(), answer));
                    }
                }
            });
        } else if (a instanceof Action.FencePeer f) {
            at(50, () -> {
                ActionResult fenced = fence(nodes.get(f.peer()));
                if (fenced != null && alive(n, inc)) {
                    deliver(n, new Input.FenceDone(f.id(), f.peer(), fenced));
                }
            });
        } else if (a instanceof Action.RefreshPeerStates) {
            for (Node o : all()) {
                if (!o.id.equals(n.id) && Boolean.TRUE.equals(n.reach.get(o.key))) {
                    sendState(o, n);
                }
            }
        } else if (a instanceof Action.CompleteCommand cc) {
            commandResults.put(cc.id(), cc.result());
        }
    }

    private boolean alive(Node n, long inc) {
        return !n.crashed && n.incarnation == inc && n.engine != null;
    }

    private Verdict verdict(Node asker, Node peer) {
        switch (arbiter) {
            case TRUTH -> {
                // The process is what answers the arbiters: a node whose process crashed or left is dead to them,
                // even if its resources still run.
                return processDown(peer) ? Verdict.of(Verdict.Answer.PEER_DEAD, "sim: " + peer.id + " is down")
                        : Verdict.of(Verdict.Answer.PEER_ALIVE, "sim: " + peer.id + " is alive");
            }
            case SILENT -> {
                return Verdict.of(Verdict.Answer.UNKNOWN, "sim: no arbiter answers");
            }
            default -> {
                // A shared disk: a live owner keeps it; otherwise the asker preempts and the peer is fenced.
                Node owner = diskOwner == null ? null : nodes.get(diskOwner);
                if (owner != null && !owner.id.equals(asker.id) && !processDown(owner) && !owner.fenced) {
                    return Verdict.of(Verdict.Answer.WE_LOST, "sim: " + diskOwner + " holds the disk");
                }
                diskOwner = asker.id;
                if (!peer.machineDown && !peer.fenced) {
                    peer.fenced = true; // preempted: also the leftovers of a crashed process are cut off the disk
                    peer.fencedSince = now;
                }
                return Verdict.of(Verdict.Answer.PEER_DEAD, "sim: preempt won, " + peer.id + " fenced");
            }
        }
    }

    /** No process of the node runs (machine down, process crashed or left). */
    private boolean processDown(Node peer) {
        return instances(peer.id).stream().allMatch(i -> i.crashed || i.engine == null);
    }

    private void runResource(Node n, long inc, Action.RunResource r) {
        Fault f = faultOf(n, r.group(), r.resource());
        String key = r.group() + "/" + r.resource();
        long latency = 10 + random.nextInt(40);
        switch (r.op()) {
            case START -> {
                if (f == Fault.START_HANGS) {
                    return;
                }
                at(latency, () -> {
                    if (!alive(n, inc)) {
                        return;
                    }
                    if (f == Fault.START_FAILS) {
                        n.running.put(key, false);
                        deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: start fails")));
                    } else {
                        n.running.put(key, true);
                        if (isDisk(r.group(), r.resource())) {
                            // Volume start: register our key; the takeover generation is now on the disk.
                            machine(n).fenced = false;
                            diskGeneration.merge(r.group(), r.generation(), Math::max);
                            arbiterGeneration.merge(r.group(), r.generation(), Math::max);
                            startedGeneration.merge(r.group(), r.generation(), Math::max);
                        }
                        deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: started")));
                    }
                });
            }
            case STOP -> {
                if (f == Fault.STOP_HANGS) {
                    return;
                }
                at(latency, () -> {
                    if (!alive(n, inc)) {
                        return;
                    }
                    if (f == Fault.STOP_FAILS) {
                        deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: stop fails")));
                    } else {
                        n.running.put(key, false);
                        deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: stopped")));
                    }
                });
            }
            case RECOVER -> at(latency, () -> {
                if (!alive(n, inc)) {
                    return;
                }
                if (f == Fault.RECOVER_FAILS) {
                    n.running.put(key, false);
                    deliver(n, new Input.ActionDone(r.id(), ActionResult.failed("sim: recovery fails")));
                } else {
                    n.running.put(key, true);
                    if (f == Fault.CHECK_FAILS_ONCE) {
                        faults.remove(n.id + "/" + key);
                    }
                    deliver(n, new Input.ActionDone(r.id(), ActionResult.done("sim: restarted")));
                }
            });
        }
    }

    private void runCheck(Node n, long inc, Action.RunCheck c) {
        Fault f = faultOf(n, c.group(), c.resource());
        if (f == Fault.CHECK_HANGS) {
            return;
        }
        String key = c.group() + "/" + c.resource();
        at(1 + random.nextInt(10), () -> {
            if (!alive(n, inc)) {
                return;
            }
            if (isDisk(c.group(), c.resource()) && Boolean.TRUE.equals(n.running.get(key))) {
                if (diskOwner == null && !machine(n).fenced && !diskGeneration.containsKey(c.group())) {
                    // Every key is gone (the array forgot them all), none of a peer: the volume registers and
                    // reserves again, and the generation goes back on the disk (finding 6's "re-register").
                    log.add(now + " " + n.key + " finds every key gone from the array and registers again");
                    diskOwner = n.id;
                    diskGeneration.merge(c.group(), c.generation(), Math::max);
                    arbiterGeneration.merge(c.group(), c.generation(), Math::max);
                }
                write(n, c.group(), c.generation());
            }
            if (machine(n).fenced) {
                deliver(n, new Input.SelfFenced("sim: RESERVATION CONFLICT"));
                return;
            }
            CheckResult res;
            if (!Boolean.TRUE.equals(n.running.get(key))) {
                res = CheckResult.notRunning("sim: not running");
            } else if (f == Fault.CHECK_FAILS || f == Fault.CHECK_FAILS_ONCE) {
                res = CheckResult.failed(Severity.SOFT, "sim: check fails");
            } else {
                res = CheckResult.ok("sim: ok");
            }
            deliver(n, new Input.CheckDone(c.id(), res));
        });
    }

    // ------------------------------------------------------------------ membership

    /** Whether {@code b} hears {@code a} (heartbeats and messages from a reach b). */
    private boolean linkUp(Node a, Node b) {
        return !a.crashed && !b.crashed && !a.paused && !b.paused && !cut.contains(a.id + ">" + b.id);
    }

    /** Whether one message from a to b is lost. */
    private boolean lost(Node a, Node b) {
        double p = dropRate + loss.getOrDefault(a.id + ">" + b.id, 0.0);
        return p > 0 && random.nextDouble() < p;
    }

    /** One message's transit time: the network delay plus any reordering delay. */
    private long delay() {
        return netDelayMs + (reorderMs > 0 ? (long) random.nextInt((int) reorderMs + 1) : 0);
    }

    /**
     * Sends {@code from}'s announcement to {@code to}. Announcements ride on every heartbeat: a lost one goes out
     * again with the next heartbeat, as long as it is still the current one.
     */
    private void sendState(Node from, Node to) {
        Announcement an = from.announced;
        if (an == null || from.crashed || from.engine == null) {
            return;
        }
        long inc = from.incarnation;
        if (!linkUp(from, to) || lost(from, to)) {
            resendState(from, to, an, inc);
            return;
        }
        at(delay(), () -> {
            if (linkUp(from, to) && from.incarnation == inc && Boolean.TRUE.equals(to.reach.get(from.key))) {
                deliver(to, new Input.PeerState(from.id, inc, an));
            } else {
                resendState(from, to, an, inc);
            }
        });
    }

    /**
     * The next heartbeat carries the announcement again, as long as it is still the current one and {@code to}'s
     * membership still counts {@code from} as heard: a gap shorter than the detection delay (a short pause, a
     * brief cut, a lost packet) costs one heartbeat, not the announcement. Once the membership has noticed the
     * silence, the link coming back sends the announcement anew.
     */
    private void resendState(Node from, Node to, Announcement an, long inc) {
        if (!Boolean.TRUE.equals(to.reach.get(from.key))) {
            return;
        }
        at(HEARTBEAT_MS, () -> {
            if (from.announced == an && from.incarnation == inc && !from.crashed && !to.crashed) {
                sendState(from, to);
            }
        });
    }

    /**
     * The membership of {@code to} re-evaluates whether it hears the instance {@code from}, after the detection
     * delay (per direction: a one-way cut is seen only by the side that stops hearing). The peer counts as
     * unreachable only when no instance of it is heard.
     */
    private void linkChanged(Node from, Node to) {
        boolean up = linkUp(from, to);
        long delay = up ? netDelayMs : detectMs;
        at(delay, () -> {
            if (to.crashed || to.engine == null) {
                return;
            }
            boolean nowUp = linkUp(from, to);
            if (nowUp != up) {
                return; // changed again meanwhile; that change has its own evaluation
            }
            Boolean was = to.reach.get(from.key);
            if (up && !Boolean.TRUE.equals(was)) {
                to.reach.put(from.key, true);
                heardTwice(to, from);
                deliver(to, new Input.PeerReachable(from.id, from.incarnation));
                sendState(from, to);
            } else if (!up && !Boolean.FALSE.equals(was) && was != null) {
                to.reach.put(from.key, false);
                Node other = instances(from.id).stream().filter(i -> i != from && Boolean.TRUE.equals(to.reach.get(i.key)))
                        .findFirst().orElse(null);
                if (other == null) {
                    deliver(to, new Input.PeerUnreachable(from.id, "sim: " + detectMs + " ms without heartbeats"));
                } else {
                    // the membership goes back to the copy it still hears, and delivers that copy's state
                    deliver(to, new Input.PeerReachable(other.id, other.incarnation));
                    sendState(other, to);
                }
            }
        });
    }

    /** How many times a node heard two live instances of one peer at once (finding 3's alarm). */
    private int duplicatesHeard;

    public int duplicatesHeard() {
        return duplicatesHeard;
    }

    /** The membership reports the two copies again, about once a second, for as long as it hears both. */
    private void repeatWhileHeardTwice(Node to, Node a, Node b) {
        long incA = a.incarnation;
        long incB = b.incarnation;
        long incTo = to.incarnation;
        at(1000, () -> {
            if (alive(to, incTo) && alive(a, incA) && alive(b, incB) && Boolean.TRUE.equals(to.reach.get(a.key))
                    && Boolean.TRUE.equals(to.reach.get(b.key))) {
                deliver(to, new Input.DuplicateNode(b.id, Math.min(incA, incB), Math.max(incA, incB)));
                repeatWhileHeardTwice(to, a, b);
            }
        });
    }

    private void heardTwice(Node to, Node from) {
        for (Node i : instances(from.id)) {
            // a crashed instance sends nothing: its reach only lags (the heartbeats report two copies only when the
            // old incarnation keeps sending after the new one appeared)
            if (i != from && Boolean.TRUE.equals(to.reach.get(i.key)) && alive(i, i.incarnation)) {
                duplicatesHeard++;
                log.add(now + " " + to.key + " hears two copies of " + from.id + " (incarnations " + i.incarnation
                        + " and " + from.incarnation + ")");
                deliver(to, new Input.DuplicateNode(from.id, Math.min(i.incarnation, from.incarnation),
                        Math.max(i.incarnation, from.incarnation)));
                repeatWhileHeardTwice(to, i, from);
            }
        }
    }

    private boolean isDisk(String group, String resource) {
        return spec.group(group).orElseThrow().resources().get(0).id().equals(resource);
    }

    /**
     * A write to the shared disk by a node holding the group at {@code generation}. The disk accepts it only from
     * a registered key (a fenced node's key was preempted). An accepted write from an older generation than one
     * already started on the disk is a violation: the data of the new holder could be corrupted.
     */
    private void write(Node n, String group, long generation) {
        if (machine(n).fenced || n.crashed) {
            writesRejected++;
            return;
        }
        writesAccepted++;
        long newest = startedGeneration.getOrDefault(group, 0L);
        // A group in maintenance is the operator's: the engine neither stops it nor keeps it off the disk. (The
        // simulated disk has one registration per node for all groups, so a volume of another group started
        // here registers this node again, which a real array with a volume per group would not do.)
        if (generation < newest && !(n.engine != null && n.engine.maintenance(group))) {
            violations.add("t=" + now + " the disk accepted a write to " + group + " from " + n.id + " at generation "
                    + generation + " after generation " + newest + " started");
        }
    }

    public long writesAccepted() {
        return writesAccepted;
    }

    public long writesRejected() {
        return writesRejected;
    }

    /** What an operator does before "clear" after a failed stop: makes sure the group's leftovers are gone. */
    public void operatorCleanup(String group) {
        for (Node n : nodes.values()) {
            if (n.engine != null && n.engine.state(group) == LocalState.FAILED) {
                log.add(now + " operator cleans up " + group + " on " + n.id);
                n.running.keySet().removeIf(k -> k.startsWith(group + "/"));
            }
        }
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (GroupSpec g : spec.groups()) {
            sb.append(g.id()).append(':');
            for (Node n : nodes.values()) {
                sb.append(' ').append(n.id).append('=').append(n.engine == null ? "down" : n.engine.state(g.id()) + "/" + n.engine.generation(g.id()));
            }
            sb.append("; ");
        }
        return sb.toString();
    }

    public Duration elapsed() {
        return Duration.ofMillis(now);
    }

    // ---- added for scenarios

    /** How the machine is, as the test harness sees it: {@code up}, {@code down}, {@code paused} or {@code fenced}. */
    public String condition(String node) {
        Node n = nodes.get(node);
        Node t = twins.get(node);
        String copy = t != null && !t.crashed && t.engine != null ? " (and a second copy)" : "";
        if (n.machineDown || (n.engine == null && !n.crashed)) {
            return "down"; // the machine is down, or the node was never started
        }
        if (n.crashed || n.engine == null) {
            String what = n.left ? "left" : "process down";
            return (anyRunning(n) ? what + " (still running: " + String.join(", ", runningKeys(n)) + ")" : what)
                    + (n.fenced ? " fenced" : "") + copy;
        }
        return (n.paused ? "paused" : n.fenced ? "fenced" : "up") + copy;
    }

    // ---- added for arbiter scenarios

    /** Whether fencing methods are configured: engines booted from now on may fence a peer whose stop failed. */
    private boolean fencing;
    /** Scripted safety-check answers: key "asker>peer", or "asker>*" for any peer of that asker. */
    private final Map<String, ScriptedAnswer> script = new HashMap<>();
    private boolean scriptOn;
    /** How fencing goes: null = the peer is powered off and fencing reports done. */
    private ScriptedFence fenceScript;

    /**
     * A scripted safety-check answer. {@code answer} null: the arbiter never answers (the engine's own deadline turns
     * that into UNKNOWN). {@code generation} is the Verdict's generation. {@code fences}: a PEER_DEAD answer that
     * also preempts the peer's reservation (as a disk arbiter does): the peer counts as fenced from then on.
     */
    public record ScriptedAnswer(Verdict.Answer answer, String reason, long generation, boolean fences) {
    }

    /** A scripted fencing outcome: {@code result} null means fencing never answers (the engine times it out). */
    public record ScriptedFence(ActionResult result) {
    }

    /** Fencing methods configured or not (the engines' {@code canFence}); takes effect at the next boot. */
    public SimCluster fencing(boolean on) {
        this.fencing = on;
        return this;
    }

    /** Turns the scripted arbiter on (answers come from {@link #arbiterAnswers}) or off (back to the mode). */
    public SimCluster scriptedArbiter(boolean on) {
        log.add(now + " scripted arbiter " + (on ? "on" : "off"));
        this.scriptOn = on;
        if (on) {
            this.arbiter = ArbiterMode.TRUTH; // side-effect free; its answer is replaced by the script
        }
        return this;
    }

    /** From now on, {@code asker}'s safety check about {@code peer} (null: about any peer) answers this. */
    public void arbiterAnswers(String asker, String peer, ScriptedAnswer a) {
        log.add(now + " arbiter " + asker + " about " + (peer == null ? "*" : peer) + " answers " + a);
        script.put(asker + ">" + (peer == null ? "*" : peer), a);
    }

    /** From now on, fencing goes like this (null: it works, the peer is powered off). */
    public void fencerAnswers(ScriptedFence f) {
        log.add(now + " fencer answers " + f);
        this.fenceScript = f;
    }

    /** The answer {@code asker} gets about {@code peer}: {@code real} unless scripted; null for no answer at all. */
    private Verdict scripted(Node asker, String peer, Verdict real) {
        if (!scriptOn) {
            return real;
        }
        ScriptedAnswer a = script.get(asker.id + ">" + peer);
        if (a == null) {
            a = script.get(asker.id + ">*");
        }
        if (a == null) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "script: no answer scripted for " + asker.id + " about " + peer);
        }
        if (a.answer() == null) {
            return null;
        }
        if (a.fences() && a.answer() == Verdict.Answer.PEER_DEAD) {
            Node p = nodes.get(peer);
            if (!p.crashed && !p.fenced) {
                log.add(now + " " + peer + " fenced by " + asker.id + "'s arbiter");
                p.fenced = true;
                p.fencedSince = now;
            }
        }
        return Verdict.of(a.answer(), a.reason(), a.generation());
    }

    /** Carries out a fencing request against {@code peer}; returns its result, or null if it never answers. */
    private ActionResult fence(Node peer) {
        ScriptedFence f = fenceScript;
        if (f == null || (f.result() != null && f.result().isDone())) {
            crash(peer.id);
            return f == null ? ActionResult.done("powered off") : f.result();
        }
        log.add(now + " fencing " + peer.id + " " + (f.result() == null ? "hangs" : "fails: " + f.result()));
        return f.result();
    }
}
