package org.tandemha.heartbeat.tiebreaker;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.tandemha.api.Arbiter;
import org.tandemha.api.Verdict;

/**
 * Probes a tie-breaker address (a gateway) from this node: unreachable means this node is cut off
 * ({@code WE_LOST}); reachable means the peer is gone or cut off, which this probe cannot tell apart
 * ({@code UNKNOWN}, or {@code PEER_DEAD} when so configured).
 *
 * <p>TCP: a connection that is accepted or refused (a reset) both prove that the host answered; only a timeout or a
 * network error ("no route to host", "network is unreachable") counts as unreachable. ICMP: an echo request through
 * {@link InetAddress#isReachable(int)}, which sends real ICMP only with root (CAP_NET_RAW); without it the JDK tries
 * a TCP connection to port 7 instead, which again counts a refusal as an answer.
 */
final class TieBreakerArbiter implements Arbiter {
    /**
     * How one probe went.
     *
     * @param fast whether it failed at once (an error, not a timeout): the next attempt waits a little first
     */
    record Probe(boolean reachable, String how, boolean fast) {
        Probe(boolean reachable, String how) {
            this(reachable, how, false);
        }
    }

    /** Probes the target once within a time. */
    interface Prober {
        Probe probe(Duration timeout);
    }

    private final String local;
    private final String target;
    private final Prober prober;
    private final int attempts;
    private final Duration maxWait;
    private final boolean peerDeadWhenReachable;

    TieBreakerArbiter(String local, String target, Prober prober, int attempts, Duration maxWait,
                      boolean peerDeadWhenReachable) {
        this.local = local;
        this.target = target;
        this.prober = prober;
        this.attempts = attempts;
        this.maxWait = maxWait;
        this.peerDeadWhenReachable = peerDeadWhenReachable;
    }

    @Override
    public String name() {
        return "tiebreaker";
    }

    /** It only looks: asked in parallel with the other arbiters that only look. */
    @Override
    public boolean actsWhenAsked() {
        return false;
    }

    @Override
    public Verdict ask(String peer, long generation, Duration timeout) {
        Duration budget = timeout.compareTo(maxWait) < 0 ? timeout : maxWait;
        long deadline = System.nanoTime() + budget.toNanos();
        String last = null;
        int probed = 0;
        for (int i = 0; i < attempts; i++) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            Duration slice = Duration.ofNanos(Math.max(1_000_000, left / (attempts - i)));
            Probe p;
            probed++;
            try {
                p = prober.probe(slice);
            } catch (RuntimeException e) {
                p = new Probe(false, e.toString());
            }
            if (p.reachable()) {
                return peerDeadWhenReachable
                        ? Verdict.of(Verdict.Answer.PEER_DEAD, "gateway " + target + " reachable from " + local + " (" + p.how()
                                + "): " + peer + " is taken for dead (peerDeadWhenReachable)")
                        : Verdict.of(Verdict.Answer.UNKNOWN, "gateway " + target + " reachable from " + local + " (" + p.how()
                                + "): " + peer + " is gone or cut off; asking the next arbiter");
            }
            last = p.how();
            long pause = Math.min(deadline - System.nanoTime(), slice.toNanos()) / 4;
            // a probe that failed at once (no route) is not retried in a busy loop
            if (pause > 0 && i + 1 < attempts && p.fast()) {
                try {
                    Thread.sleep(Math.max(1, pause / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Verdict.of(Verdict.Answer.UNKNOWN, "interrupted while probing gateway " + target);
                }
            }
        }
        if (probed == 0) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "no time left to probe gateway " + target);
        }
        return Verdict.of(Verdict.Answer.WE_LOST, "gateway " + target + " unreachable from " + local + " (" + last
                + "; " + probed + " attempt" + (probed == 1 ? "" : "s") + "): this node is cut off");
    }

    /** A TCP connection: accepted or refused both mean the host answered. */
    static Prober tcp(InetSocketAddress to) {
        return timeout -> {
            long t0 = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(to, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
                return new Probe(true, "TCP port " + to.getPort() + " accepted in " + ms(t0));
            } catch (ConnectException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("refused")) {
                    return new Probe(true, "TCP port " + to.getPort() + " refused the connection in " + ms(t0)
                            + ": the host answered");
                }
                return new Probe(false, "TCP to port " + to.getPort() + ": " + m + " after " + ms(t0), true);
            } catch (SocketTimeoutException e) {
                return new Probe(false, "no TCP answer on port " + to.getPort() + " within " + ms(t0));
            } catch (IOException e) {
                return new Probe(false, "TCP to port " + to.getPort() + ": " + e.getMessage() + " after " + ms(t0), true);
            }
        };
    }

    /** An ICMP echo (real ICMP needs root; otherwise the JDK's TCP port 7 fallback). */
    static Prober icmp(InetAddress to) {
        return timeout -> {
            long t0 = System.nanoTime();
            try {
                boolean ok = to.isReachable((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
                return ok ? new Probe(true, "echo answered in " + ms(t0))
                        : new Probe(false, "no echo reply within " + ms(t0));
            } catch (IOException e) {
                return new Probe(false, "echo request failed: " + e.getMessage(), true);
            }
        };
    }

    private static String ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000 + " ms";
    }
}
