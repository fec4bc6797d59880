package org.tandemha.core.config;

import java.time.Duration;

/**
 * A hardware or software watchdog the node keeps fed while it is sane. When the node must stand down but cannot
 * stop a resource, or its engine stops running, it stops feeding it, and the watchdog resets the machine: the
 * last resort of self-fencing.
 *
 * @param device   the watchdog device (usually {@code /dev/watchdog}), or {@code null} for none
 * @param interval how often it is fed; the device's own timeout must be several times longer
 */
public record WatchdogSpec(String device, Duration interval) {
    public static WatchdogSpec none() {
        return new WatchdogSpec(null, Duration.ofSeconds(1));
    }

    public boolean enabled() {
        return device != null;
    }
}
