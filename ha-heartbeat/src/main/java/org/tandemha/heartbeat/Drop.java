package org.tandemha.heartbeat;

/** Why an inbound packet was dropped. Every drop is counted; none is thrown up the stack. */
enum Drop {
    TRUNCATED("shorter than the smallest frame"),
    OVERSIZED("longer than the " + FrameCodec.MAX_FRAME + "-byte frame limit"),
    BAD_MAC("authentication failed (wrong cluster key, or altered in transit)"),
    BAD_MAGIC("not a Tandem heartbeat frame"),
    BAD_VERSION("unsupported frame version"),
    BAD_TYPE("unknown frame type"),
    MALFORMED("field lengths do not add up"),
    WRONG_CLUSTER("belongs to another cluster"),
    UNKNOWN_SENDER("sender is not a configured node"),
    NOT_FOR_US("addressed to another node"),
    WRONG_PATH("sent on another path"),
    SELF("our own frame"),
    REPLAY("sequence number already seen or older than the replay window"),
    STALE_INCARNATION("from an older incarnation of the sender");

    final String text;

    Drop(String text) {
        this.text = text;
    }
}
