package org.tandemha.heartbeat;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.Map;
import org.tandemha.api.Arbiter;
import org.tandemha.api.Verdict;

/**
 * Asks the peer "are you there?" over its probe address, with a fresh random nonce, and trusts only an authentic
 * reply that echoes the nonce (so an old reply cannot be replayed). Answers probes from the peer on its own socket.
 */
final class PeerProbeArbiter implements Arbiter, AutoCloseable {
    static final String OP = "probe";

    private final String local;
    private final Map<String, InetSocketAddress> addresses;
    private final int attempts;
    private final Duration maxWait;
    private final SealedExchange exchange;
    private final SealedExchange.Responder responder;
    /** This node stands aside for a peer that cannot hear it: it does not answer probes (see {@link #standAside}). */
    private volatile boolean aside;

    PeerProbeArbiter(String cluster, String local, byte[] key, Map<String, InetSocketAddress> addresses, int attempts,
                     Duration maxWait) throws SocketException {
        this.maxWait = maxWait;
        this.local = local;
        this.addresses = Map.copyOf(addresses);
        this.attempts = attempts;
        this.exchange = new SealedExchange(cluster, key, local);
        this.responder = exchange.responder(new DatagramSocket(addresses.get(local)), "tandem-peer-probe-" + local,
                false, m -> OP.equals(m.op()) && !aside ? new SealedExchange.Reply(0, new byte[0]) : null).start();
    }

    @Override
    public String name() {
        return "peer-probe";
    }

    /** While this node stands aside (it runs no group), its peers' probes go unanswered: it does not vouch for itself. */
    @Override
    public void standAside(boolean on) {
        aside = on;
    }

    /** It only looks: asked in parallel with the other arbiters that only look. */
    @Override
    public boolean actsWhenAsked() {
        return false;
    }

    @Override
    public Verdict ask(String peer, long generation, Duration timeout) {
        InetSocketAddress to = addresses.get(peer);
        if (to == null) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "peer-probe has no address for " + peer);
        }
        long start = System.nanoTime();
        Duration wait = timeout.compareTo(maxWait) < 0 ? timeout : maxWait;
        try {
            SealedExchange.Message reply = exchange.request(new InetSocketAddress(addresses.get(local).getAddress(), 0),
                    to, peer, OP, generation, new byte[0], wait, attempts);
            if (reply != null) {
                return Verdict.of(Verdict.Answer.PEER_ALIVE, peer + " answered the probe at " + to.getAddress().getHostAddress()
                        + ":" + to.getPort() + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            }
        } catch (IOException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "cannot probe " + peer + " at " + to + ": " + e.getMessage());
        }
        return Verdict.of(Verdict.Answer.UNKNOWN, "no authenticated answer from " + peer + " at "
                + to.getAddress().getHostAddress() + ":" + to.getPort() + " within " + wait.toMillis() + " ms");
    }

    /** Stops answering (tests; in a node the arbiter lives as long as the process). */
    @Override
    public void close() {
        responder.close();
    }
}
