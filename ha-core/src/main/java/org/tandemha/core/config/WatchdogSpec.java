package org.tandemha.core.config;

import java.time.Duration;

/**
 * A hardware or software watchdog the node keeps fed while it is sane. When the node must stand down but cannot
 * stop a resource, or its engine stops running (a crashed or hung daemon), it stops feeding it, and the watchdog
 * resets the machine: the last resort of self-fencing, as SBD does for Pacemaker.
 *
 * <p>Every node of the cluster has one when this is configured (the configuration is the same everywhere), so a
 * node that takes over from a peer declared dead, but not fenced, waits {@code timeout} after the peer went silent:
 * by then the peer's watchdog has reset it, and what its crashed daemon left running is gone.
 *
 * @param device   the watchdog device (usually {@code /dev/watchdog}), or {@code null} for none
 * @param interval how often it is fed
 * @param timeout  the device's timeout, set by the node when it opens it; at least three intervals
 */
public record WatchdogSpec(String device, Duration interval, Duration timeout) {
    /** The default timeout: long enough for a few missed feeds, short enough to keep takeovers quick. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public WatchdogSpec(String device, Duration interval) {
        this(device, interval, DEFAULT_TIMEOUT);
    }

    public static WatchdogSpec none() {
        return new WatchdogSpec(null, Duration.ofSeconds(1));
    }

    public boolean enabled() {
        return device != null;
    }
}
