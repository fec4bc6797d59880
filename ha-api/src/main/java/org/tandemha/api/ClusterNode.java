package org.tandemha.api;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A running cluster node, as an embedding application sees it. Built by {@link Tandem#builder()}.
 *
 * <p>Commands return a future that completes when the command is carried out, or is refused with a reason when
 * the cluster's state does not allow it (the group is unknown, the target is down, the group is in maintenance).
 * Futures never complete exceptionally for a refusal; they carry a {@link CommandResult}.
 */
public interface ClusterNode extends AutoCloseable {
    /** This node's id. */
    String nodeId();

    /**
     * Starts heartbeats and the engine. Groups start where the cluster decides.
     *
     * <p>First it locks the node's state directory: a second copy of a running node fails here. A start that fails
     * (the lock, a heartbeat port in use, a watchdog that cannot be opened) closes everything it opened and has
     * touched no resource: the engine's start-up clean-up runs only after everything else has started.
     *
     * @throws IllegalStateException with the reason and the fix when the node cannot start
     */
    void start();

    /** A snapshot of the cluster as this node sees it. */
    ClusterStatus status();

    /** Subscribes to events; they are delivered in order, on a thread of the node. */
    AutoCloseable subscribe(Consumer<ClusterEvent> listener);

    /** Graceful switchover: stops the group where it runs (top-down), then starts it on {@code targetNode}. */
    CompletableFuture<CommandResult> switchover(String group, String targetNode);

    /** Moves the group back to its most preferred available node (the administrator's switchback). */
    CompletableFuture<CommandResult> switchback(String group);

    /**
     * Maintenance: with {@code on}, the cluster leaves the group alone (no start, stop or recovery; checks still
     * report). With {@code off}, it manages it again.
     */
    CompletableFuture<CommandResult> maintenance(String group, boolean on);

    /**
     * Takes a heartbeat path out of service on this node (it goes down like a cut cable: a warning, never a
     * failover while another path is up), or puts it back.
     */
    CompletableFuture<CommandResult> pathEnabled(String path, boolean enabled);

    /** Clears the failures recorded for a group (blocked nodes, a failed stop after manual cleanup). */
    CompletableFuture<CommandResult> clear(String group);

    /**
     * Remote disaster recovery: promotes the DR node {@code drNode} of a promotable group. Without {@code confirm} it
     * only answers the data at risk (bytes the DR copy is behind, seconds since the last transaction it received) and
     * changes nothing. Confirmed, it must be given on the DR node itself, and is refused while a node of the primary
     * site may still hold the group, unless {@code fencePrimarySite}: the operator declares those nodes fenced (powered
     * off or cut off); they are demoted if they return. Answered once the group is online on {@code drNode}.
     */
    default CompletableFuture<CommandResult> promoteDr(String group, String drNode, boolean confirm, boolean fencePrimarySite) {
        return CompletableFuture.completedFuture(CommandResult.refused("this node does not support promote-dr"));
    }

    /** Stops this node: its groups are stopped in order, then heartbeats stop. */
    @Override
    void close();
}
