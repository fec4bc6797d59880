package org.tandemha.heartbeat;

import java.util.ArrayList;
import java.util.List;

/** What the membership knows of one peer. Owned by the heartbeat thread. */
final class Peer {
    enum Reach { UNKNOWN, REACHABLE, UNREACHABLE }

    final String id;
    final byte[] idBytes;
    final List<Link> links = new ArrayList<>();
    final ReplayWindow window = new ReplayWindow();
    long incarnation;
    long stateVersion = -1;
    byte[] state;
    boolean stateDelivered;
    Reach reach = Reach.UNKNOWN;
    /** The highest sequence number accepted from the current incarnation. */
    long maxSeq;
    /** The incarnation before the last restart, the highest sequence seen from it, and when the switch was. */
    long prevIncarnation;
    long prevMaxSeq;
    long switchedAt;
    long duplicateReportedAt;
    /** When a frame of the current incarnation was last accepted (nanos). */
    long lastCurrentAt;

    Peer(String id) {
        this.id = id;
        this.idBytes = FrameCodec.utf8(id);
    }
}
