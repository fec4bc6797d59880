package org.tandemha.core.agents;

import java.time.Duration;
import java.util.Optional;

/**
 * Implemented by a resource whose program advises timeouts for its actions (an OCF agent lists them in its
 * meta-data). The engine uses them when the configuration sets none.
 *
 * <p>Action names: the engine's {@code start}, {@code stop}, {@code quickCheck}, {@code deepCheck}, {@code recover},
 * and the agent's own ({@code monitor}, {@code validate-all}, {@code meta-data}, ...).
 */
public interface AdvisedTimeouts {
    /** The timeout the program advises for {@code action}, if it advises one. */
    Optional<Duration> advised(String action);

    /** The interval the program advises for a recurring action ({@code quickCheck}, {@code deepCheck}), if any. */
    default Optional<Duration> advisedInterval(String action) {
        return Optional.empty();
    }
}
