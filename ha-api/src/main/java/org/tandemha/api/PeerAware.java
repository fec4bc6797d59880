package org.tandemha.api;

/**
 * Optional interface of a {@link Resource} that wants to know when a peer comes back (it was unreachable, or it
 * restarted). The engine calls it for resources that run on this node. A floating address uses it to announce
 * itself again, so that no client stays pointed at the node that lost.
 */
public interface PeerAware {
    /** A peer is reachable again after a partition, or restarted. Must return quickly. */
    void peerRejoined(String peer);
}
