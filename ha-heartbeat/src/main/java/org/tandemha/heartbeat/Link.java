package org.tandemha.heartbeat;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import org.tandemha.api.PathState;

/**
 * One path to one peer: its failure detector, its cached heartbeat frame, and the figures the status view reads.
 * Mutable fields are owned by the heartbeat thread; the volatile ones are published for {@code paths()}.
 */
final class Link {
    final PathRuntime path;
    final Peer peer;
    final InetSocketAddress remote;
    final FailureDetector detector;

    /** Cached heartbeat frame: rebuilt only when the announced state changes; then only the longs and MAC change. */
    byte[] frame;
    int frameLen;
    int longsAt;
    long frameStateVersion = -1;
    long pathSeqOut;

    long lastPeerMono;
    long lastPeerMonoAt;

    /** TCP: the connection this node sends on (read by close() from another thread). */
    volatile Channel out;
    boolean connecting;
    long nextConnectAt;

    volatile PathState state = PathState.UNKNOWN;
    volatile long rttNanos = -1;
    volatile double lossPercent;
    volatile long lastSeenWall;

    Link(PathRuntime path, Peer peer, InetSocketAddress remote, long startNanos) {
        this.path = path;
        this.peer = peer;
        this.remote = remote;
        this.detector = new FailureDetector(path.spec.intervalNanos, path.spec.misses, startNanos);
    }
}
