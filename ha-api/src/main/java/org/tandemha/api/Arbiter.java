package org.tandemha.api;

import java.time.Duration;

/**
 * One channel of the safety check: a probe of the peer over another network, a tie-breaker address, a witness,
 * the shared disk. Consulted, in the configured order, only when every heartbeat path to a peer is down.
 *
 * <p>An arbiter that can fence (a SCSI preempt, a witness grant) may act when asked: answering
 * {@link Verdict.Answer#PEER_DEAD} then means "the peer is fenced and this node holds the token".
 * Implementations return within {@code timeout} and never throw for an unreachable channel; they answer
 * {@link Verdict.Answer#UNKNOWN}.
 */
public interface Arbiter extends AutoCloseable {
    /** A short name for events ("witness", "scsi", "gateway"). */
    String name();

    /**
     * Called once when the node starts, before any question: an arbiter that must keep something up (answer the
     * peer's probes, report to a witness, renew a lease) starts it here.
     */
    default void start() {
    }

    /** Called once when the node stops. */
    @Override
    default void close() {
    }

    /**
     * Whether asking this arbiter may act (grant a takeover, preempt a reservation, write a lease). The safety check
     * asks arbiters that do not act all at once, in parallel with each other; one that may act is asked only once
     * every arbiter before it in the configured order has answered "unknown", as if they were asked one after
     * another, so that a takeover is never granted that an earlier arbiter would have held back. The default is
     * {@code true} (the safe assumption); probes that only look (a tie-breaker ping, a probe of the peer) say
     * {@code false}.
     */
    default boolean actsWhenAsked() {
        return true;
    }

    /**
     * This node stands aside ({@code true}), or no longer does ({@code false}). A node stands aside when a peer cannot
     * hear it while it still hears that peer (a one-way cut), and a group it gave up can go only to that peer: it has
     * stopped every group, and its peer must now be able to take them over. An arbiter that vouches for this node to
     * its peers (reports to a witness, answers their probes) stops doing so while it stands aside, so that the peer's
     * safety check finds this node gone, and vouches again when told {@code false}. Called in order, on the engine's
     * thread: must return at once. The default does nothing (an arbiter that vouches for nobody, or one where the
     * peer's question already fenced this node, such as a SCSI reservation).
     */
    default void standAside(boolean aside) {
    }

    /**
     * Asks about a silent peer.
     *
     * @param peer       the peer's node id
     * @param generation the highest group generation this node knows (a fencing token for arbiters that grant)
     * @param timeout    how long the answer may take
     */
    Verdict ask(String peer, long generation, Duration timeout);
}
