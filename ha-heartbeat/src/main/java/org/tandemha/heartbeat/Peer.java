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

    Peer(String id) {
        this.id = id;
        this.idBytes = FrameCodec.utf8(id);
    }
}
