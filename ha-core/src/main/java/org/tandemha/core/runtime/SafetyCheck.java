package org.tandemha.core.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.api.Arbiter;
import org.tandemha.api.Verdict;

/**
 * The safety check. Its rules, all of them here:
 * <ol>
 * <li>Order: the arbiters of the configuration first, in the order listed under {@code arbiters}, then those added
 * with {@code NodeBuilder.arbiter(...)}, in the order added ({@link #inOrder}). Nothing reorders them by type: as with
 * Pacemaker's fencing levels, the operator's list is the order. List those that can only hold a takeover back
 * ({@code tiebreaker}: "this node is cut off"; {@code peer-probe}: "the peer is alive") before those that can grant
 * one ({@code witness}, {@code disk-lease}, {@code scsi}): an arbiter is asked only when every one before it said
 * "unknown".</li>
 * <li>The first answer that is not "unknown" decides; the reasons of every arbiter asked go into the verdict, and
 * the highest generation any of them reported.</li>
 * <li>Time: each arbiter gets an equal share of what is left of {@code timing.safetyTimeout}, so a slow one cannot
 * starve those after it; one not asked in time is named in the verdict.</li>
 * <li>No arbiter answering means "unknown", which never leads to a takeover. With no arbiter at all, only the
 * explicit two-node-without-arbiter mode lets a silent peer count as dead.</li>
 * </ol>
 */
final class SafetyCheck {
    private final List<Arbiter> arbiters;
    private final boolean twoNodeWithoutArbiter;

    SafetyCheck(List<Arbiter> arbiters, boolean twoNodeWithoutArbiter) {
        this.arbiters = List.copyOf(arbiters);
        this.twoNodeWithoutArbiter = twoNodeWithoutArbiter;
    }

    void start() {
        for (Arbiter a : arbiters) {
            try {
                a.start();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SafetyCheck.class).error("arbiter {} failed to start: {}", a.name(), e.toString());
            }
        }
    }

    void close() {
        for (Arbiter a : arbiters) {
            try {
                a.close();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SafetyCheck.class).warn("arbiter {} failed to close: {}", a.name(), e.toString());
            }
        }
    }

    /** Tells arbiters that keep a sticky "we lost" (a lost reservation race, a poisoned lease) that the peer is back. */
    void peerRejoined(String peer) {
        for (Arbiter a : arbiters) {
            if (a instanceof org.tandemha.api.PeerAware pa) {
                try {
                    pa.peerRejoined(peer);
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(SafetyCheck.class).warn("arbiter {} failed on peer rejoin: {}", a.name(), e.toString());
                }
            }
        }
    }

    /**
     * The order the arbiters are asked in (rule 1): those of the configuration as listed, then those added through
     * the builder as added.
     */
    static List<Arbiter> inOrder(List<Arbiter> configured, List<Arbiter> added) {
        List<Arbiter> all = new ArrayList<>(configured);
        all.addAll(added);
        return List.copyOf(all);
    }

    boolean hasArbiters() {
        return !arbiters.isEmpty();
    }

    Verdict ask(String peer, long generation, Duration timeout) {
        if (arbiters.isEmpty()) {
            return twoNodeWithoutArbiter
                    ? Verdict.of(Verdict.Answer.PEER_DEAD, "no arbiter configured (two-node without arbiter): a silent"
                            + " peer counts as dead; this risks split brain")
                    : Verdict.of(Verdict.Answer.UNKNOWN, "no arbiter configured");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> reasons = new ArrayList<>();
        long seen = 0;
        for (int i = 0; i < arbiters.size(); i++) {
            Arbiter a = arbiters.get(i);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                reasons.add(a.name() + ": not asked, the safety check ran out of time");
                break;
            }
            // Each arbiter gets its share of what is left, so a slow one cannot starve those after it.
            long share = left / (arbiters.size() - i);
            Verdict v;
            try {
                v = a.ask(peer, generation, Duration.ofNanos(share));
                if (v == null) {
                    v = Verdict.of(Verdict.Answer.UNKNOWN, "no answer");
                }
            } catch (RuntimeException e) {
                v = Verdict.of(Verdict.Answer.UNKNOWN, "failed: " + e);
            }
            reasons.add(a.name() + " says " + v.reason());
            seen = Math.max(seen, v.generation());
            if (v.answer() != Verdict.Answer.UNKNOWN) {
                return Verdict.of(v.answer(), String.join("; ", reasons), seen);
            }
        }
        return Verdict.of(Verdict.Answer.UNKNOWN, String.join("; ", reasons), seen);
    }
}
