package org.tandemha.core.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.tandemha.api.Arbiter;
import org.tandemha.api.Verdict;

/**
 * The safety check. Its rules, all of them here:
 * <ol>
 * <li>Order: the arbiters of the configuration first, in the order listed under {@code arbiters}, then those added
 * with {@code NodeBuilder.arbiter(...)}, in the order added ({@link #inOrder}). Nothing reorders them by type: as with
 * Pacemaker's fencing levels, the operator's list is the order. List those that can only hold a takeover back
 * ({@code tiebreaker}: "this node is cut off"; {@code peer-probe}: "the peer is alive") before those that can grant
 * one ({@code witness}, {@code disk-lease}, {@code scsi}).</li>
 * <li>The first answer in that order that is not "unknown" decides: an answer counts only once every arbiter before
 * it has answered "unknown" (or run out of time). The reasons of those arbiters and of the deciding one go into the
 * verdict, and the highest generation any of them reported.</li>
 * <li>Parallel, safety first: the arbiters that only look ({@link Arbiter#actsWhenAsked()} false: a tie-breaker
 * ping, a probe of the peer) are all asked at once, when the check starts. One that may act when asked (a witness
 * grants, SCSI preempts, a disk lease is written) is asked only once every arbiter before it has answered "unknown":
 * a takeover is never granted, nor the peer fenced, that an earlier arbiter would have held back. So answers that
 * arrive out of order never decide early: a fast "peer dead" waits for the slower arbiters before it, and the result
 * is the one asking them one after another would give, sooner.</li>
 * <li>Time: the arbiters that only look get the share of {@code timing.safetyTimeout} one arbiter would get when
 * each of those that may act still needs its own; each that may act gets an equal share of what is left when it
 * is asked, so a slow one cannot starve those after it; one not asked in time is named in the verdict.</li>
 * <li>No arbiter answering means "unknown", which never leads to a takeover. With no arbiter at all, only the
 * explicit two-node-without-arbiter mode lets a silent peer count as dead.</li>
 * </ol>
 */
final class SafetyCheck {
    private final List<Arbiter> arbiters;
    private final boolean twoNodeWithoutArbiter;
    /** An arbiter that overruns the check's deadline by this much is given up on ("unknown"). */
    private static final long ANSWER_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Asks the arbiters; its threads exist only while a safety check runs (and 5 s after). */
    private final ExecutorService askers;
    private volatile RealtimeThreads realtime;

    SafetyCheck(List<Arbiter> arbiters, boolean twoNodeWithoutArbiter) {
        this.arbiters = List.copyOf(arbiters);
        this.twoNodeWithoutArbiter = twoNodeWithoutArbiter;
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, 64, 5, TimeUnit.SECONDS,
                new SynchronousQueue<>(), r -> {
                    RealtimeThreads rt = realtime;
                    Runnable run = rt == null ? r : () -> {
                        rt.applyToCurrentThread();
                        r.run();
                    };
                    Thread t = new Thread(run, "tandem-arbiter"); // at most 64: arbiters keep to their timeouts
                    t.setDaemon(true);
                    return t;
                });
        this.askers = pool;
    }

    /**
     * {@code realtime.checkPriority} for the threads that ask the arbiters (set before {@link #start()}): a witness
     * asked again every few ms, or a SCSI preempt, is not held up by a busy machine.
     */
    void realtime(RealtimeThreads rt) {
        this.realtime = rt;
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
        askers.shutdownNow();
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

    /** Tells every arbiter that this node stands aside, or no longer does ({@link Arbiter#standAside}). */
    void standAside(boolean aside) {
        for (Arbiter a : arbiters) {
            try {
                a.standAside(aside);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(SafetyCheck.class).warn("arbiter {} failed to stand aside ({}): {}",
                        a.name(), aside, e.toString());
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
        int n = arbiters.size();
        boolean[] acts = new boolean[n];
        int acting = 0;
        for (int i = 0; i < n; i++) {
            acts[i] = actsWhenAsked(arbiters.get(i));
            acting += acts[i] ? 1 : 0;
        }
        List<java.util.concurrent.Future<Verdict>> answers = new ArrayList<>(n);
        // Those that only look: all at once (rule 3), each with the share one arbiter gets (rule 4).
        long lookShare = timeout.toNanos() / (acting + 1);
        for (int i = 0; i < n; i++) {
            answers.add(acts[i] ? null : start(arbiters.get(i), peer, generation, lookShare));
        }
        List<String> reasons = new ArrayList<>();
        long seen = 0;
        try {
            for (int i = 0; i < n; i++) {
                Arbiter a = arbiters.get(i);
                java.util.concurrent.Future<Verdict> f = answers.get(i);
                if (f == null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        reasons.add(a.name() + ": not asked, the safety check ran out of time");
                        break;
                    }
                    int actingLeft = 0;
                    for (int j = i; j < n; j++) {
                        actingLeft += acts[j] ? 1 : 0;
                    }
                    f = start(a, peer, generation, left / actingLeft);
                    answers.set(i, f);
                }
                Verdict v = await(a, f, deadline);
                reasons.add(a.name() + " says " + v.reason());
                seen = Math.max(seen, v.generation());
                if (v.answer() != Verdict.Answer.UNKNOWN) {
                    return Verdict.of(v.answer(), String.join("; ", reasons), seen);
                }
            }
            return Verdict.of(Verdict.Answer.UNKNOWN, String.join("; ", reasons), seen);
        } finally {
            for (java.util.concurrent.Future<Verdict> f : answers) {
                if (f != null) {
                    f.cancel(true); // those still running after the decision are interrupted: their answer no longer counts
                }
            }
        }
    }

    private static boolean actsWhenAsked(Arbiter a) {
        try {
            return a.actsWhenAsked();
        } catch (RuntimeException e) {
            return true;
        }
    }

    private java.util.concurrent.Future<Verdict> start(Arbiter a, String peer, long generation, long nanos) {
        try {
            return askers.submit(() -> {
                try {
                    Verdict v = a.ask(peer, generation, Duration.ofNanos(Math.max(1, nanos)));
                    return v == null ? Verdict.of(Verdict.Answer.UNKNOWN, "no answer") : v;
                } catch (RuntimeException e) {
                    return Verdict.of(Verdict.Answer.UNKNOWN, "failed: " + e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.completedFuture(Verdict.of(Verdict.Answer.UNKNOWN,
                    "not asked: no thread free to ask it, or the node is closing"));
        }
    }

    /** The arbiter's answer, or "unknown" once the safety check's deadline (plus a little slack) has passed. */
    private static Verdict await(Arbiter a, java.util.concurrent.Future<Verdict> f, long deadline) {
        long left = deadline - System.nanoTime() + ANSWER_SLACK_NANOS;
        try {
            return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "no answer within the safety check's time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Verdict.of(Verdict.Answer.UNKNOWN, "the safety check was interrupted");
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "failed: " + e);
        }
    }
}
