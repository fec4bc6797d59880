package org.tandemha.api;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What the node offers the plugins it runs: resources, arbiters, fencers.
 */
public interface NodeContext {
    /** This node's id. */
    String nodeId();

    /** The cluster's name. */
    String clusterName();

    /** Every other configured node, in configuration order. */
    default java.util.List<String> peers() {
        return java.util.List.of();
    }

    /**
     * The nodes of the group that holds this resource, in the group's priority order (empty when unknown). A
     * resource that replicates can size itself by it (an OCF agent's {@code CRM_meta_clone_max}).
     */
    default java.util.List<String> groupNodes(String resource) {
        return java.util.List.of();
    }

    /** Whether this resource is the replicated resource of a promotable group (primary here, standby elsewhere). */
    default boolean promotable(String resource) {
        return false;
    }

    /**
     * The nodes of a remote disaster-recovery site (the {@code dr.nodes} of any group): a replicated resource runs
     * only an asynchronous standby there (never one of the synchronous standbys a commit waits for).
     */
    default java.util.List<String> drNodes() {
        return java.util.List.of();
    }

    /** A directory for this node's own files (pid files, logs, scratch), created on demand. */
    Path stateDirectory();

    /**
     * A service registered on the node builder ({@link NodeBuilder#service(Class, Object)}), such as a shared
     * lock that a volume resource uses.
     */
    <T> Optional<T> service(Class<T> type);

    /**
     * Whether the safety check declared this peer dead or fenced during its current absence. A resource may use it
     * to ignore what a dead peer leaves behind (a floating address its kernel still answers for).
     */
    boolean peerDeadOrFenced(String node);

    /** Facts a peer published about itself (see {@link #publishFact}), as last heard; empty if never heard. */
    Map<String, String> peerFacts(String node);

    /** Publishes a fact about this node to its peers, such as the MAC address of an interface. */
    void publishFact(String key, String value);

    /**
     * Tells the engine that this node has lost its hold on shared storage (its reservation key was preempted):
     * it stands down every group at once and takes over nothing until the peer is heard again.
     */
    void reportFenced(String reason);

    /**
     * Reports whether a quorum device this node uses (a witness) is reachable. With three or more nodes and
     * {@code quorum.witnessVote}, a reachable witness counts as one vote toward the majority.
     */
    default void quorumVote(String device, boolean reachable) {
    }

    /** Adds a note to the event stream, attributed to this resource. */
    void note(String group, String resource, String message);
}
