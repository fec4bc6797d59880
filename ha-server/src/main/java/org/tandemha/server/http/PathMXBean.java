package org.tandemha.server.http;

/** One heartbeat path to one peer over JMX, {@code org.tandemha:type=Path,node=<node>,name=<path>,peer=<peer>}. */
public interface PathMXBean {
    /** UP, DOWN or UNKNOWN. */
    String getState();

    /** True if heartbeats arrive. */
    boolean isUp();

    /** Round-trip time in milliseconds, -1 until measured. */
    double getRttMs();

    /** Heartbeat loss in percent. */
    double getLossPercent();

    /** Milliseconds since the last heartbeat, -1 if none yet. */
    long getLastSeenAgoMs();
}
