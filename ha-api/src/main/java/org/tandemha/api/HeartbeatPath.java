package org.tandemha.api;

/**
 * A heartbeat path over a medium other than the network, such as a few blocks of a shared disk (as SBD and VCS
 * do). The membership runs it next to its network paths and applies the same failure detector to what it hears:
 * it calls {@link #beat} every interval, and the path reports each new heartbeat it reads from a peer.
 * Such a path carries liveness only, not the engine's state or messages.
 */
public interface HeartbeatPath extends AutoCloseable {
    /** The path's configured name. */
    String name();

    /** Starts reading peers' heartbeats; {@code receiver} may be called from any thread. */
    void start(Receiver receiver);

    /**
     * Writes this node's heartbeat. Called by the membership every interval, from its heartbeat thread; must
     * return quickly (a bounded write), and report failure by returning {@code false} rather than throwing.
     */
    boolean beat(long incarnation, long sequence);

    /** Stops reading and writing. */
    @Override
    void close();

    /** Receives what the path hears. */
    interface Receiver {
        /** A new heartbeat from a peer (a sequence number it had not seen). */
        void heard(String peer, long incarnation, long sequence, long senderTimeMillis);
    }
}
