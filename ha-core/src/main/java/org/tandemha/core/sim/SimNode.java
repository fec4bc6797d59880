package org.tandemha.core.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;

/**
 * One simulated process instance of a node: its engine, what it announced and heard, whether it runs, is frozen or
 * fenced, and the resources running on its machine. A second copy of a node's process (see
 * {@link SimCluster#duplicate}) is an instance of its own with the same id.
 */
final class SimNode {
    final String id;
    /** Key of this instance in the peers' membership: the id, or the id and a serial for a second copy. */
    final String key;
    /** A second copy of the process on the same machine (see {@link SimCluster#duplicate}). */
    final boolean twin;
    /** A second copy on another machine: its own resources, state directory and reservation key. */
    boolean elsewhere;
    Engine engine;
    long incarnation;
    boolean crashed; // the Tandem process is not running (machine down, daemon crashed, left, or never booted)
    boolean machineDown; // the machine itself is down: nothing of it runs
    boolean left; // the process exited after an orderly shutdown; what still ran stays running
    boolean generationStoreFails;
    /** Its engine stands aside for a peer that cannot hear it: its arbiters no longer vouch for it (see SimArbiters). */
    boolean standingAside;
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

    SimNode(String id) {
        this(id, id, false);
    }

    SimNode(String id, String key, boolean twin) {
        this.id = id;
        this.key = key;
        this.twin = twin;
    }

    /** Whether this process instance still runs the incarnation {@code inc}. */
    boolean alive(long inc) {
        return !crashed && incarnation == inc && engine != null;
    }

    boolean anyRunning() {
        return running.values().stream().anyMatch(Boolean::booleanValue);
    }

    List<String> runningKeys() {
        return running.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).sorted().toList();
    }
}
