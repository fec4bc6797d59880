package org.tandemha.core.config;

import java.time.Duration;

/**
 * Cluster-wide timings.
 *
 * @param startupWait      how long a starting node waits to hear a peer before it runs the safety check about it
 * @param safetyRetryMin   first wait before asking the arbiters again after "unknown" or "alive"
 * @param safetyRetryMax   the longest wait between two safety checks (the backoff's bound)
 * @param safetyTimeout    how long one safety check may take
 * @param pauseThreshold   a node that finds it was frozen longer than this stands down its groups on wake-up
 * @param commandTimeout   how long an administrator command may take before it is reported as not completed
 * @param fenceTimeout     how long one fencing method may take
 */
public record TimingSpec(Duration startupWait, Duration safetyRetryMin, Duration safetyRetryMax, Duration safetyTimeout,
                         Duration pauseThreshold, Duration commandTimeout, Duration fenceTimeout) {
    public static TimingSpec defaults() {
        return new TimingSpec(Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(30));
    }
}
