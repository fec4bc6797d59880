package org.tandemha.heartbeat.witness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Consumer;
import org.tandemha.api.Arbiter;
import org.tandemha.api.NodeContext;
import org.tandemha.api.Verdict;
import org.tandemha.heartbeat.SealedExchange;

/**
 * The node's side of the witness: reports "alive at generation G" every {@code reportInterval} from
 * {@link #start()} to {@link #close()}, and asks the witness about a silent peer. When the answer to a report says
 * that the witness granted the takeover from this node to another one (this node was paused, or cut off from the
 * witness and its peer), it tells the engine to stand down ({@link NodeContext#reportFenced}), once per grant.
 */
final class WitnessArbiter implements Arbiter {
    private static final Logger LOG = LoggerFactory.getLogger(WitnessArbiter.class);

    private final SealedExchange exchange;
    private final InetSocketAddress witness;
    private final String where;
    private final Duration reportInterval;
    private final Duration lease;
    private final Duration maxAsk;
    private final int attempts;
    private final Consumer<String> lost;
    private final AtomicLong generation = new AtomicLong();
    private long lastNotice;
    private volatile boolean paused;
    /** This node stands aside for a peer that cannot hear it: no reports, so that the witness lets the peer take over. */
    private volatile boolean aside;
    private ScheduledExecutorService reporter;
    private volatile boolean reachable = true;
    /** Tells the node whether the witness answers (its quorum vote); set by the factory. */
    private volatile Consumer<Boolean> vote = v -> { };
    private long failedReports;

    WitnessArbiter(SealedExchange exchange, InetSocketAddress witness, Duration reportInterval, Duration lease,
                   Duration maxAsk, int attempts, Consumer<String> lost) {
        this.lost = lost;
        this.exchange = exchange;
        this.witness = witness;
        this.where = witness.getHostString() + ":" + witness.getPort();
        this.reportInterval = reportInterval;
        this.lease = lease;
        this.maxAsk = maxAsk;
        this.attempts = attempts;
    }

    @Override
    public String name() {
        return "witness";
    }

    /** Where the node hears whether this witness answers, for quorum ({@code quorum.witnessVote}). */
    void onVote(Consumer<Boolean> listener) {
        this.vote = listener;
    }

    @Override
    public synchronized void start() {
        if (reporter != null) {
            return;
        }
        reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-witness-report-" + exchange.local());
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleWithFixedDelay(this::report, 0, reportInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Tests: stop and resume reporting without a new incarnation, as a paused process would. */
    void pauseReports(boolean on) {
        paused = on;
    }

    /**
     * While this node stands aside (a peer cannot hear it, and it stopped every group), it stops reporting: after its
     * lease the witness grants the peer's takeover. When it reports again, the answer tells it that it lost (the
     * witness's notice for this incarnation): it stands down, which changes nothing, as it runs no group then.
     */
    @Override
    public void standAside(boolean on) {
        if (on != aside) {
            LOG.warn("witness {}: {} {}", where, exchange.local(), on ? "stands aside: no more reports until it takes part"
                    + " again, so that the witness lets its peer take over" : "takes part again: reporting again");
        }
        aside = on;
    }

    /** One report; never throws (a periodic task must not die silently). */
    private void report() {
        if (paused || aside) {
            return;
        }
        try {
            Duration wait = reportInterval.compareTo(Duration.ofSeconds(1)) < 0 ? reportInterval : Duration.ofSeconds(1);
            SealedExchange.Message reply = exchange.request(null, witness, WitnessServer.ID, WitnessServer.REPORT,
                    generation.get(), payload(null), wait, 1);
            if (reply != null) {
                generation.accumulateAndGet(reply.value(), Math::max);
                byte[] p = reply.payload();
                if (p.length > 8) {
                    long granted = ByteBuffer.wrap(p).getLong();
                    if (granted > lastNotice) {
                        lastNotice = granted;
                        String text = new String(p, 8, p.length - 8, StandardCharsets.UTF_8);
                        LOG.error("witness {}: {}; {} stands down", where, text, exchange.local());
                        lost.accept(text);
                    }
                }
                if (!reachable) {
                    LOG.info("witness {} answers the reports of {} again", where, exchange.local());
                }
                reachable = true;
                vote.accept(true);
                failedReports = 0;
            } else {
                missed("no answer within " + wait.toMillis() + " ms");
            }
        } catch (IOException | RuntimeException e) {
            missed(e.toString());
        }
    }

    private void missed(String why) {
        failedReports++;
        if (failedReports >= 3) {
            vote.accept(false);
        }
        if (reachable && failedReports >= 3) {
            reachable = false;
            LOG.warn("witness {} did not answer {} reports of {} in a row ({}); the safety check cannot count on it",
                    where, failedReports, exchange.local(), why);
        }
    }

    private byte[] payload(String peer) {
        byte[] p = peer == null ? new byte[0] : peer.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + p.length).putLong(lease.toMillis()).put(p).array();
    }

    /**
     * Asks the witness. A "peer alive" is asked again (every tenth of a report interval, 5 to 50 ms: the grant is
     * seen at most that late, 10 ms at the usual 100 ms; each ask is one small datagram) for up to one
     * lease and one report interval while the time allows: the peer's last report may have come up to a report
     * interval after its last heartbeat, so the witness sees the silence that much later than this node. Asking
     * again grants nothing early (the witness decides on its own clock) and saves the safety check's back-off.
     */
    @Override
    public Verdict ask(String peer, long gen, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long pollUntil = start + lease.toNanos() + reportInterval.toNanos();
        long pause = Math.max(5, Math.min(50, reportInterval.toMillis() / 10));
        Verdict v = askOnce(peer, gen, timeout);
        while (v.answer() == Verdict.Answer.PEER_ALIVE) {
            long now = System.nanoTime();
            if (now + pause * 1_000_000L >= Math.min(deadline, pollUntil)) {
                break;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            Verdict next = askOnce(peer, gen, Duration.ofNanos(deadline - System.nanoTime()));
            if (next.answer() == Verdict.Answer.UNKNOWN) {
                break; // no answer this time: the last real answer stands
            }
            v = next;
        }
        return v;
    }

    private Verdict askOnce(String peer, long gen, Duration timeout) {
        generation.accumulateAndGet(gen, Math::max);
        Duration t = timeout.compareTo(maxAsk) < 0 ? timeout : maxAsk;
        if (t.isNegative() || t.isZero()) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "no time left to ask witness " + where);
        }
        SealedExchange.Message reply;
        try {
            reply = exchange.request(null, witness, WitnessServer.ID, WitnessServer.ASK, gen, payload(peer), t, attempts);
        } catch (IOException | RuntimeException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "cannot ask witness " + where + ": " + e.getMessage());
        }
        if (reply == null) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "witness " + where + " did not answer within " + t.toMillis() + " ms");
        }
        byte[] p = reply.payload();
        Verdict.Answer answer = p.length < 1 ? null : WitnessServer.answer(p[0] & 0xff);
        if (answer == null || reply.value() < 0) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "witness " + where + " sent an answer this node cannot read");
        }
        generation.accumulateAndGet(reply.value(), Math::max);
        String reason = new String(p, 1, p.length - 1, StandardCharsets.UTF_8);
        return Verdict.of(answer, reason, reply.value());
    }

    @Override
    public synchronized void close() {
        if (reporter != null) {
            reporter.shutdownNow();
            try {
                reporter.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
