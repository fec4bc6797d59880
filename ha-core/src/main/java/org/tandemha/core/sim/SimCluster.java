package org.tandemha.core.sim;

import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.tandemha.api.ActionResult;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

/**
 * A whole cluster of real {@link Engine}s in one thread and <b>simulated time</b>: nothing sleeps, a minute of
 * cluster life runs in milliseconds, and a run is deterministic for a given seed. Around the engines it simulates
 * what a node's runtime would meet: a network that can drop, delay, reorder and partition (both ways or one way), a
 * membership with a detection delay per direction ({@value #DETECT_MS} ms), a safety check (arbiter), fencing, a
 * shared disk array, and resources that can fail, crash, hang and time out. After every step it checks that no group
 * has two owners (see {@link #runningOn}) and that a fenced node stops its groups in time; what breaks is listed by
 * {@link #violations()}.
 *
 * <p>Use it to test how a cluster configuration behaves under faults, in a unit test (an example is in the
 * {@linkplain org.tandemha.core.sim package description}).
 * The first resource of each group is its volume on the shared disk. Resources take 10 to 50 ms per action; the
 * network delivers in 5 ms unless told otherwise ({@link #network}).
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
 * <h2>Resource faults</h2> {@link #fault} (see {@link Fault}) and {@link #kill}.
 * <h2>Arbiter and fencing</h2> {@link #arbiter} picks how the safety check answers ({@link ArbiterMode});
 * {@link #scriptedArbiter}, {@link #arbiterAnswers} and {@link #fencerAnswers} script it instead.
 * <h2>Coordination service</h2> With a {@code coordination} section ({@link Specs#coordinated}), a simulated ZooKeeper
 * grants the group leases: {@link #coordinationCut}, {@link #coordinationHeal}, {@link #expireSession}; a pause or a
 * crash silences the session until it expires. A volume then refuses writes from an older lease token (a fencing
 * token the resource checks), and a node running a group at an older token than one started counts as fenced for
 * that group; it must stop it within {@link #FENCED_STOP_BOUND_MS} unless frozen.
 * <h2>Array faults</h2> {@link #arrayForgets}: the array loses every registration and reservation (a reboot, a
 * controller failover without APTPL): it forgets who holds it and the generation on it. This is not a fence: no
 * node's key was preempted by a peer.
 * <h2>Looking inside</h2> {@link #observe} sees every input each engine handles with the actions it returned;
 * {@link #engine} and {@link #replaceEngine} give and swap a node's engine between inputs.
 */
public final class SimCluster {
    /** How the simulated safety check answers. */
    public enum ArbiterMode {
        /** Tells the truth: a crashed peer is dead, a live (even paused) one is alive. */ TRUTH,
        /** A shared-disk race: the first node to ask about the other wins and fences it; the other lost. */ DISK_RACE,
        /** No arbiter answers. */ SILENT
    }

    /** Faults a simulated resource can be given (per node, group and resource; see {@link #fault}). */
    public enum Fault {
        /** The resource works. */ NONE,
        /** A start fails (the resource does not run). */ START_FAILS,
        /** A start never answers (the engine's deadline times it out). */ START_HANGS,
        /** A stop fails (the resource keeps running). */ STOP_FAILS,
        /** A stop never answers. */ STOP_HANGS,
        /** Checks fail until the next successful recovery. */ CHECK_FAILS_ONCE,
        /** Every check fails. */ CHECK_FAILS,
        /** Checks never answer. */ CHECK_HANGS,
        /** A recovery fails (the resource is down afterwards). */ RECOVER_FAILS,
        /** Promotable groups: the standby here stops receiving (its copy falls behind), though its checks pass. */ STANDBY_LAGS,
        /** Promotable groups: a standby's start fails (its rewind or re-clone failed): an alarm. */ STANDBY_START_FAILS
    }

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

    /** Sees every input a simulated engine handles, right after it handled it (see {@link #observe}). */
    @FunctionalInterface
    public interface InputObserver {
        /**
         * @param node    the process instance: the node id, or for a second copy of a node's process (see
         *                {@link #duplicate}) the id followed by {@code '} and a serial
         * @param nowMs   the simulated time the input was handled at
         * @param input   the input, as the engine got it
         * @param actions what the engine returned (all of it, also what the write-ahead rule then refused)
         */
        void handled(String node, long nowMs, Input input, List<Action> actions);
    }

    /** Heartbeat interval: a lost announcement goes out again with the next heartbeat. */
    public static final long HEARTBEAT_MS = 100;
    /** A peer is declared unreachable this long after its heartbeats stop (100 ms x 3). */
    public static final long DETECT_MS = 300;
    /** A fenced node that runs (not frozen) must have stopped its groups within this time. */
    public static final long FENCED_STOP_BOUND_MS = 15_000;

    private final SimWorld w;
    private long nextCommandId = 1;

    /** A cluster of {@code spec}'s nodes, none started yet; {@code seed} fixes every random choice of the run. */
    public SimCluster(ClusterSpec spec, long seed) {
        this.w = new SimWorld(spec, seed);
    }

    /** How the safety check answers from now on (default {@link ArbiterMode#TRUTH}). */
    public SimCluster arbiter(ArbiterMode mode) {
        w.arbiters.mode = mode;
        return this;
    }

    /** Every message takes {@code delayMs} (default 5) and is lost with probability {@code drop} (default 0). */
    public SimCluster network(long delayMs, double drop) {
        w.network.netDelayMs = delayMs;
        w.network.dropRate = drop;
        return this;
    }

    /** Every event an engine emits is also given to {@code sink} (they are all kept in {@link #events()}). */
    public SimCluster onEvent(Consumer<ClusterEvent> sink) {
        w.eventSink = sink;
        return this;
    }

    /** Fencing methods configured or not (the engines' {@code canFence}); takes effect at the next boot. */
    public SimCluster fencing(boolean on) {
        w.fencing = on;
        return this;
    }

    /**
     * Calls {@code o} for every input any simulated engine handles, right after {@link Engine#handle}, with the
     * actions it returned: the inputs of one instance, in order, rebuild its engine's decisions (a journal).
     */
    public SimCluster observe(InputObserver o) {
        w.edge.observe(o);
        return this;
    }

    /** How many inputs the engines handled so far (every call of {@link Engine#handle}). */
    long handledInputs() {
        return w.edge.handled;
    }

    /** The cluster's specification. */
    public ClusterSpec spec() {
        return w.spec;
    }

    /**
     * Starts the cluster from saved engine snapshots (node id to its engine's snapshot) instead of booting it: the
     * engines carry on where they were (see {@link SimRestore}); a node without a snapshot is down. Call it first.
     */
    public void startFrom(java.util.Map<String, org.tandemha.core.engine.EngineSnapshot> snapshots) {
        SimRestore.restore(w, snapshots);
    }

    /** Boots every node. */
    public void startAll() {
        for (SimNode n : w.nodes.values()) {
            w.processes.boot(n);
        }
    }

    /** (Re)starts the node's process: a fresh engine and incarnation. Nothing happens if it runs already. */
    public void boot(String node) {
        w.processes.boot(node);
    }

    /** A machine crash: the engine(s) and every resource on the node are gone. */
    public void crash(String node) {
        w.processes.crash(node);
    }

    /**
     * kill -9 of the Tandem process alone: the machine stays up and every resource it started keeps running and
     * answering. Peers stop hearing the node. Its next {@link #boot} cleans the leftovers up.
     */
    public void crashDaemon(String node) {
        w.processes.crashDaemon(node);
    }

    /**
     * An orderly shutdown ({@link Input.Shutdown}): the engine stops its groups and says when it has left; the process
     * then exits (after its last heartbeats carried the final announcement). What still runs stays running.
     */
    public void shutdown(String node) {
        w.processes.shutdown(node);
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
        w.processes.duplicate(node, sameMachine);
    }

    /** The second copy of the node's process is killed (its resources are the machine's: they stay as they are). */
    public void stopDuplicate(String node) {
        w.processes.stopDuplicate(node);
    }

    /** From now on the node's generation store cannot be written ({@code true}) or can again. */
    public void generationStoreFails(String node, boolean fails) {
        w.processes.generationStoreFails(node, fails);
    }

    /** SIGSTOP: the engine stops, its resources keep running; peers stop hearing it. */
    public void pause(String node) {
        w.processes.pause(node);
    }

    /** SIGCONT: the engine learns how long it was frozen, then gets what arrived meanwhile. */
    public void resume(String node) {
        w.processes.resume(node);
    }

    /**
     * The node loses the coordination service (a partition from the ensemble): its session expires on the server
     * after the session timeout, its client suspends after two thirds of it. Only with {@code coordination}.
     */
    public void coordinationCut(String node) {
        coordination().cut(node);
    }

    /** The node reaches the coordination service again. */
    public void coordinationHeal(String node) {
        coordination().heal(node);
    }

    /** The coordination service expires the node's session now. */
    public void expireSession(String node) {
        coordination().expireSession(node);
    }

    private SimCoordination coordination() {
        if (w.coordination == null) {
            throw new IllegalStateException("simulated cluster: the spec has no coordination section (fix: build it"
                    + " with Specs.coordinated)");
        }
        return w.coordination;
    }

    /** Every heartbeat path between a and b goes down, both ways. */
    public void cut(String a, String b) {
        w.network.cut(a, b);
    }

    /** {@code to} no longer hears {@code from}; {@code from} still hears {@code to} (a one-way cut). */
    public void cutOneWay(String from, String to) {
        w.network.cutOneWay(from, to);
    }

    /** The paths between a and b come back, both ways. */
    public void heal(String a, String b) {
        w.network.heal(a, b);
    }

    /** Every cut comes back. */
    public void healAll() {
        w.network.healAll();
    }

    /** Messages from {@code from} to {@code to} are lost with this probability (0 to 1). */
    public void loss(String from, String to, double rate) {
        w.network.loss(from, to, rate);
    }

    /** Each message gets a random extra delay of 0 to {@code ms}: messages overtake each other. */
    public void reorder(long ms) {
        w.network.reorder(ms);
    }

    /** No more loss or reordering (cuts stay as they are). */
    public void clearNetworkFaults() {
        w.network.clearFaults();
    }

    /** How many times a node heard two live instances of one peer at once. */
    public int duplicatesHeard() {
        return w.network.duplicatesHeard;
    }

    /**
     * The array loses every registration and reservation (a reboot, a controller failover, no APTPL): it no longer
     * knows who holds it nor the generation written on it. Not a fence: no node's key was preempted by a peer.
     */
    public void arrayForgets() {
        w.array.forget();
    }

    /** Writes the shared disk accepted (each check of a running volume writes). */
    public long writesAccepted() {
        return w.array.writesAccepted;
    }

    /** Writes the shared disk rejected (from a fenced or crashed node). */
    public long writesRejected() {
        return w.array.writesRejected;
    }

    /** From now on, the resource on that node behaves as {@code f} says. */
    public void fault(String node, String group, String resource, Fault f) {
        w.resources.fault(node, group, resource, f);
    }

    /** Every resource works again. */
    public void clearFaults() {
        w.resources.clearFaults();
    }

    /**
     * A fact the node publishes to its peers now, as a plugin does through its context (the reachability monitor's
     * count of ping hosts, {@link org.tandemha.core.config.PingSpec#FACT}); nothing if the node is down.
     */
    public void fact(String node, String key, String value) {
        w.edge.deliver(w.node(node), new Input.Fact(key, value));
    }

    /** Makes a running resource die (a crash of the process): its next check fails. */
    public void kill(String node, String group, String resource) {
        w.resources.kill(node, group, resource);
    }

    /** Turns the scripted arbiter on (answers come from {@link #arbiterAnswers}) or off (back to the mode). */
    public SimCluster scriptedArbiter(boolean on) {
        w.arbiters.scripted(on);
        return this;
    }

    /** Scripted answers replace the mode's answer only for the askers and peers scripted; the rest answer by the mode. */
    public SimCluster scriptOverMode() {
        w.arbiters.scriptOverMode();
        return this;
    }

    /** From now on, {@code asker}'s safety check about {@code peer} (null: about any peer) answers this. */
    public void arbiterAnswers(String asker, String peer, ScriptedAnswer a) {
        w.arbiters.answers(asker, peer, a);
    }

    /** From now on, fencing goes like this (null: it works, the peer is powered off). */
    public void fencerAnswers(ScriptedFence f) {
        w.arbiters.fencerAnswers(f);
    }

    /**
     * An operator command on {@code node} ({@code target}: the target node of a switchover, or null); returns its id
     * for {@link #commandResult}. A node whose process is down refuses it.
     */
    public long command(String node, Input.Command.Kind kind, String group, String target) {
        return w.processes.command(nextCommandId++, node, kind, group, target);
    }

    /** The command's result, or null while it is not complete. */
    public CommandResult commandResult(long id) {
        return w.commandResults.get(id);
    }

    /** What an operator does before "clear" after a failed stop: makes sure the group's leftovers are gone. */
    public void operatorCleanup(String group) {
        w.processes.operatorCleanup(group);
    }

    /** Runs the cluster for {@code ms} simulated milliseconds. */
    public void runFor(long ms) {
        runUntil(now() + ms);
    }

    /** Runs the cluster until the simulated time {@code t} (ms since the start). */
    public void runUntil(long t) {
        w.runUntil(t);
    }

    /** Runs until the predicate holds or {@code maxMs} passed (checked every 50 ms); returns whether it held. */
    public boolean runUntil(BooleanSupplier done, long maxMs) {
        return w.runUntil(done, maxMs);
    }

    /** The simulated time, in ms since the start. */
    public long now() {
        return w.now();
    }

    /** Every event the engines emitted, in order. */
    public List<ClusterEvent> events() {
        return w.events;
    }

    /** What went wrong (two owners of a group, a fenced node still running a group, a stale disk write). */
    public List<String> violations() {
        return w.violations;
    }

    /** What was done to the cluster, one line each, starting with the simulated time. */
    public List<String> log() {
        return w.log;
    }

    /** The node's view of the group, or null while its process is down. */
    public LocalState state(String node, String group) {
        Engine e = engine(node);
        return e == null ? null : e.state(group);
    }

    /** The group's generation as the node knows it, or -1 while its process is down. */
    public long generation(String node, String group) {
        Engine e = engine(node);
        return e == null ? -1 : e.generation(group);
    }

    /** The node's current engine (not its second copy's), or null while its process is down. */
    public Engine engine(String node) {
        return w.node(node).engine;
    }

    /**
     * Replaces the node's engine between two inputs, for instance with one restored from a snapshot of the current
     * one, which then carries on (its next wake-up is taken from it). It must be built for the same node from the
     * same spec ({@link #newEngine}); the node's process must be running.
     */
    public void replaceEngine(String node, Engine e) {
        w.processes.replaceEngine(node, e);
    }

    /**
     * A new engine for the node, built as a boot builds one (the cluster's spec, the fencing setting, the simulated
     * wall clock) and not yet booted: feed it observed inputs to replay a node's decisions. {@code node} may also
     * be an instance name an {@link InputObserver} was given (a second copy's {@code node1'1}).
     */
    public Engine newEngine(String node) {
        int copy = node.indexOf('\'');
        return w.processes.newEngine(w.node(copy < 0 ? node : node.substring(0, copy)).id);
    }

    /** The nodes whose process runs. */
    public Set<String> nodesUp() {
        return w.invariants.nodesUp();
    }

    /** How the machine is: {@code up}, {@code down}, {@code paused}, {@code fenced}, {@code process down}, {@code left}. */
    public String condition(String node) {
        return w.processes.condition(node);
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
    /** Promotable groups: the live unfenced nodes where the replicated resource runs as the primary (at most one). */
    public List<String> primaries(String group) {
        return w.invariants.primariesOf(w.spec.group(group).orElseThrow());
    }

    /** Promotable groups: the node's copy of the group's data as {@code timeline:offset}. */
    public String position(String node, String group) {
        long[] p = w.resources.position(node, group);
        return p[0] + ":" + p[1];
    }

    /** Promotable groups: every promotion so far, as {@code node@generation}, in order. */
    public List<String> promotions(String group) {
        return List.copyOf(w.resources.promotions.getOrDefault(group, List.of()));
    }

    /** Promotable groups: whether the replicated resource runs as a standby on the node's machine. */
    public boolean standbyRunning(String node, String group) {
        return w.resources.standbys.contains(node + "/" + group);
    }

    public List<String> runningOn(String group) {
        return w.invariants.runningOn(group);
    }

    /** Nodes where something of the group runs although they are no owner (see {@link #runningOn}). */
    public List<String> leftoversOn(String group) {
        return w.invariants.leftoversOn(group);
    }

    /** Nodes whose engine says the group is ONLINE. */
    public List<String> onlineOn(String group) {
        return w.invariants.onlineOn(group);
    }

    /** One line: per group, each node's state and generation ({@code down} while its process is down). */
    public String describe() {
        return w.invariants.describe();
    }
}
