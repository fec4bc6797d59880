package org.tandemha.core.config;

import java.time.Duration;

/**
 * Quorum rules.
 *
 * @param twoNodeWithoutArbiter the explicit opt-in to run two nodes with no arbiter (warned at each start)
 * @param lossGrace             how long a node without quorum keeps its groups before stopping them
 * @param witnessVote           whether a configured witness counts as a vote
 */
public record QuorumSpec(boolean twoNodeWithoutArbiter, Duration lossGrace, boolean witnessVote) {
    public static QuorumSpec defaults() {
        return new QuorumSpec(false, Duration.ofSeconds(5), true);
    }
}
