package org.tandemha.api;

import java.time.Duration;
import java.time.Instant;

/**
 * One heartbeat path to one peer, for the status view.
 *
 * @param name     the path's name, such as {@code heartbeat} or {@code public}
 * @param peer     the peer's node id
 * @param transport the medium: {@code udp}, {@code tcp}, {@code multicast}, {@code disk}
 * @param priority lower is preferred
 * @param state    up, down or unknown
 * @param rtt      the last round-trip time, or {@code null} if not measured
 * @param lossPercent heartbeats lost recently, in percent
 * @param lastSeen wall-clock time of the last heartbeat from the peer on this path, or {@code null}
 */
public record PathStatus(String name, String peer, String transport, int priority, PathState state, Duration rtt,
                         double lossPercent, Instant lastSeen) {
}
