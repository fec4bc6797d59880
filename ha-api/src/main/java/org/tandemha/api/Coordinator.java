package org.tandemha.api;

import java.util.Map;

/**
 * A coordination service (ZooKeeper) that decides who owns each group: one lease per group, held by one node's
 * session at a time, with a token that only grows (the lease's creation zxid). The token is the group's generation:
 * every plugin that uses generations (SCSI keys, disk writes, replication) refuses an older owner with it.
 *
 * <p>The node calls {@link #acquire} and {@link #release} on its engine thread: they must not block (work on a thread
 * of the coordinator's own). The coordinator reports back only through the {@link Listener} given to {@link #start},
 * whose calls become inputs of the engine; it never touches the node's state otherwise.
 *
 * <p>Rules an implementation keeps: report {@link Listener#suspended} as soon as the connection is lost (before the
 * session can expire on the server); after a reconnect, report {@link Listener#verified} only once it has checked
 * that each lease node it holds is owned by its current session; report a lease as granted only after the lease
 * node was created by this session.
 */
public interface Coordinator extends AutoCloseable {
    /** Connects and starts reporting to {@code listener}; returns at once. */
    void start(Listener listener);

    /**
     * Asks for the lease of {@code group}: creates its lease node for this session, or waits until the one there goes
     * away and tries again. Answered by {@link Listener#granted}; stays open until {@link #release}.
     */
    void acquire(String group);

    /** Stops waiting for the lease of {@code group}, and deletes its lease node if this session holds it. */
    void release(String group);

    /** Closes the session: every lease it holds is given up. */
    @Override
    void close();

    /** What a coordinator reports to its node; each call becomes an input of the node's engine. */
    interface Listener {
        /** This session now holds the lease of {@code group}, with {@code token} (monotonic, a fencing token). */
        void granted(String group, long token);

        /** This session no longer holds the lease of {@code group}. */
        void lost(String group, String reason);

        /** The connection was lost: the leases may expire on the server at any moment. */
        void suspended(String reason);

        /**
         * Connected (again), with every lease node this session holds checked to be owned by it: {@code leases} maps
         * those groups to their tokens.
         */
        void verified(Map<String, Long> leases);
    }
}
