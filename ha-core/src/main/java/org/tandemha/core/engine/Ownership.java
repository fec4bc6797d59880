package org.tandemha.core.engine;

/**
 * Decides who may run a group: the only part of the engine that grants the right to start it, and the generation
 * (the fencing token) it runs at. {@link Placement} says which node should run a group; an ownership says whether
 * that node may, and takes the right away again when another node holds a newer generation.
 *
 * <p>{@link AcknowledgedOwnership} is the peer-to-peer protocol: claims acknowledged by every other node of the
 * group (or declared dead or fenced by the safety check). A lease from a coordination service is another: it grants
 * the start when the lease is held, and reports a newer generation elsewhere when the lease was lost. The rest of
 * the engine reaches ownership only through this interface.
 */
interface Ownership {
    /**
     * The group is offline here: claim it if this node is its target and may (returns whether the group's state
     * changed), else take part in other nodes' claims (acknowledge them).
     */
    boolean offline(GroupRecord g);

    /** A claim of this node is open: start the group once it is granted, withdraw it once it cannot be. */
    boolean claiming(GroupRecord g);

    /** A peer that runs the group at a newer generation than this node's, or null: this node must stop it at once. */
    String newerElsewhere(GroupRecord g);

    /**
     * Why this node may no longer run the group it runs (ONLINE, not in maintenance), or null. A lease lost or in
     * doubt while the group was in maintenance (left running: the operator decides) is acted on here, once the
     * group is managed again.
     */
    default String lostRight(GroupRecord g) {
        return null;
    }

    /** A time at which this group's open claim is decided without any new input (-1: none). */
    default long decidesAt(GroupRecord g) {
        return -1;
    }

    /** Gives up an open claim of this node. */
    void withdraw(GroupRecord g, String why);

    /** The group stopped here (or never started): take part in other nodes' claims again. */
    void released(GroupRecord g);

    /** This node speaks for nobody any more (a second copy of a running node): drop every acknowledgement. */
    void forgetAcknowledgements();

    /** The highest generation this node knows for the group (held, claimed, acknowledged or seen). */
    long knownGeneration(GroupRecord g);

    /** The highest generation anyone has held for the group (claims do not count: they are only requests). */
    long heldGeneration(GroupRecord g);

    /** The coordination service granted this node the lease of {@code group} with {@code token}. */
    default void leaseGranted(GroupRecord g, long token) {
        // the peer protocol has no leases: nothing asked for one
    }

    /** This node lost the lease of {@code group}. */
    default void leaseLost(GroupRecord g, String reason) {
    }

    /** The session with the coordination service is suspended: stop every group, act on none. */
    default void sessionSuspended(String reason) {
    }

    /** The session is connected again and these leases were verified to be this session's. */
    default void sessionVerified(java.util.Map<String, Long> leases) {
    }

    /** Whether this node may hold groups now as far as ownership goes (false: it says it stands down). */
    default boolean mayHold() {
        return true;
    }

    /** The highest generation this node knows of any group. */
    default long knownMaxGeneration(java.util.Collection<GroupRecord> groups) {
        long k = 0;
        for (GroupRecord g : groups) {
            k = Math.max(k, knownGeneration(g));
        }
        return k;
    }
}
