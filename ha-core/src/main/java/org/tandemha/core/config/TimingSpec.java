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
 * @param pauseReport      the shortest freeze the runtime's pause detector reports to the engine (which then moves its
 *                         pending deadlines by the pause); below {@code pauseThreshold}
 * @param actionSlack      how long past an action's own deadline (a resource action, a check, a safety check, a
 *                         fencing method) the runtime waits before it interrupts the worker and reports a timeout
 */
public record TimingSpec(Duration startupWait, Duration safetyRetryMin, Duration safetyRetryMax, Duration safetyTimeout,
                         Duration pauseThreshold, Duration commandTimeout, Duration fenceTimeout,
                         Duration pauseReport, Duration actionSlack) {
    /** Default of {@link #pauseReport()}. */
    public static final Duration DEFAULT_PAUSE_REPORT = Duration.ofSeconds(1);
    /** Default of {@link #actionSlack()}. */
    public static final Duration DEFAULT_ACTION_SLACK = Duration.ofMillis(200);

    /** The timings with the default pause report ({@link #defaultPauseReport}) and action slack. */
    public TimingSpec(Duration startupWait, Duration safetyRetryMin, Duration safetyRetryMax, Duration safetyTimeout,
                      Duration pauseThreshold, Duration commandTimeout, Duration fenceTimeout) {
        this(startupWait, safetyRetryMin, safetyRetryMax, safetyTimeout, pauseThreshold, commandTimeout, fenceTimeout,
                defaultPauseReport(pauseThreshold), DEFAULT_ACTION_SLACK);
    }

    /** The pause report when none is configured: 1s, or half the pause threshold when that is not longer than 1s. */
    public static Duration defaultPauseReport(Duration pauseThreshold) {
        return DEFAULT_PAUSE_REPORT.compareTo(pauseThreshold) < 0 ? DEFAULT_PAUSE_REPORT : pauseThreshold.dividedBy(2);
    }

    public static TimingSpec defaults() {
        return new TimingSpec(Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(30));
    }
}
