package org.tandemha.api;

import java.util.List;

/**
 * The cluster's eyes: heartbeats over one or more paths, implemented by {@code ha-heartbeat} (or a simulation in
 * tests). It tells the engine which peers are reachable, carries the engine's state to its peers with every
 * heartbeat, and carries the engine's requests and replies.
 *
 * <p>A peer is reachable while any path to it is up. A path going down while another is up is reported
 * ({@link Listener#pathChanged}) but is not a peer loss.
 */
public interface Membership extends AutoCloseable {
    /** Starts sending and receiving. Listener calls may come from any thread; the engine queues them. */
    void start(Listener listener);

    /**
     * Sets the state this node announces: opaque bytes that go out with every heartbeat until replaced. Called by
     * the engine whenever its state changes.
     */
    void announce(byte[] state);

    /**
     * Sends a message to one peer over its best path that is up, best effort. Returns {@code false} if no path is
     * up. The engine retries what matters.
     */
    boolean send(String peer, byte[] message);

    /**
     * Takes a path out of service, or puts it back (maintenance of a NIC, a drill): out of service, the path
     * neither sends nor accepts heartbeats, so it goes down like a cut cable. Returns {@code false} if there is no
     * such path or the membership cannot do it.
     */
    default boolean setPathEnabled(String path, boolean enabled) {
        return false;
    }

    /**
     * Delivers every reachable peer's latest state again ({@link Listener#peerState}), with its next heartbeat:
     * the engine asks for it when what it knew may be older than what was delivered (after this process was frozen).
     */
    default void refreshStates() {
    }

    /**
     * This process's incarnation (it grows each time the node starts), or 0 if the membership has none. It tells
     * two copies of one node apart (see {@link Listener#duplicate}).
     */
    default long incarnation() {
        return 0;
    }

    /** Every path to every peer, for the status view. */
    List<PathStatus> paths();

    /** Stops heartbeats and releases sockets. */
    @Override
    void close();

    /** What a membership reports to the engine. */
    interface Listener {
        /** The peer is heard on at least one path; {@code incarnation} changes when the peer restarts. */
        void peerReachable(String peer, long incarnation);

        /** The peer is silent on every path. */
        void peerUnreachable(String peer, String reason);

        /** The peer's latest announced state (see {@link Membership#announce}). */
        void peerState(String peer, long incarnation, byte[] state);

        /** A message from the peer (see {@link Membership#send}). */
        void message(String peer, byte[] message);

        /** A path changed state; {@code reason} reads like "3 heartbeats missed, last seen 612 ms ago". */
        void pathChanged(PathStatus path, String reason);

        /**
         * Two incarnations of one peer are heard at once (not a restart: the older keeps talking after the newer
         * appeared): a second copy of that node runs. Reported again while it lasts, at most about once a second.
         */
        default void duplicate(String peer, long older, long newer) {
        }
    }
}
