package org.tandemha.heartbeat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.Arbiter;
import org.tandemha.api.Verdict;

/**
 * Asks the peer "are you there?" over its probe address, with a fresh random nonce, and trusts only an authentic
 * reply that echoes the nonce (so an old reply cannot be replayed). Answers probes from the peer on its own socket.
 */
final class PeerProbeArbiter implements Arbiter, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerProbeArbiter.class);
    private static final byte[] PATH = FrameCodec.utf8("probe");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String cluster;
    private final byte[] key;
    private final byte[] localId;
    private final Map<String, InetSocketAddress> addresses;
    private final int attempts;
    private final DatagramSocket responder;
    private final Thread thread;
    private final long incarnation = HeartbeatMembership.nextIncarnation();

    PeerProbeArbiter(String cluster, String local, byte[] key, Map<String, InetSocketAddress> addresses, int attempts)
            throws SocketException {
        this.cluster = cluster;
        this.key = key.clone();
        this.localId = FrameCodec.utf8(local);
        this.addresses = Map.copyOf(addresses);
        this.attempts = attempts;
        this.responder = new DatagramSocket(addresses.get(local));
        this.thread = new Thread(this::answer, "tandem-peer-probe-" + local);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public String name() {
        return "peer-probe";
    }

    /** Answers authentic probes addressed to this node. Bad packets are dropped (and logged, bounded). */
    private void answer() {
        FrameCodec codec = new FrameCodec(cluster, key);
        FrameCodec.Frame f = new FrameCodec.Frame();
        byte[] in = new byte[FrameCodec.MAX_FRAME + 1];
        byte[] out = new byte[FrameCodec.MAX_FRAME];
        long dropped = 0;
        while (!responder.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(in, in.length);
                responder.receive(p);
                Drop d = codec.decode(in, p.getLength(), f);
                if (d == null && f.type != FrameCodec.PROBE) {
                    d = Drop.BAD_TYPE;
                }
                if (d == null && !f.destIs(localId)) {
                    d = Drop.NOT_FOR_US;
                }
                if (d != null) {
                    if (Long.bitCount(++dropped) == 1) {
                        LOG.warn("peer-probe: dropped a packet from {}: {} ({} so far)", p.getSocketAddress(), d.text, dropped);
                    }
                    continue;
                }
                byte[] sender = FrameCodec.utf8(f.sender());
                int len = codec.encode(out, FrameCodec.PROBE_REPLY, localId, sender, PATH, incarnation, f.sequence, 0,
                        System.currentTimeMillis(), System.nanoTime(), f.sequence, 0, 0, new byte[0], 0, 0);
                responder.send(new DatagramPacket(out, len, p.getSocketAddress()));
            } catch (IOException e) {
                if (!responder.isClosed()) {
                    LOG.debug("peer-probe: {}", e.toString());
                }
            } catch (RuntimeException e) {
                LOG.error("peer-probe: unexpected error (going on): {}", e.toString(), e);
            }
        }
    }

    @Override
    public Verdict ask(String peer, long generation, Duration timeout) {
        InetSocketAddress to = addresses.get(peer);
        if (to == null) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "peer-probe has no address for " + peer);
        }
        long start = System.nanoTime();
        long deadline = start + Math.max(1, timeout.toNanos());
        FrameCodec codec = new FrameCodec(cluster, key);
        FrameCodec.Frame f = new FrameCodec.Frame();
        byte[] buf = new byte[FrameCodec.MAX_FRAME + 1];
        byte[] peerId = FrameCodec.utf8(peer);
        long nonce = RANDOM.nextLong() & Long.MAX_VALUE | 1;
        long slice = Math.max(1, (deadline - start) / attempts);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(addresses.get(new String(localId,
                java.nio.charset.StandardCharsets.UTF_8)).getAddress(), 0))) {
            for (int i = 0; i < attempts && System.nanoTime() < deadline; i++) {
                int len = codec.encode(buf, FrameCodec.PROBE, localId, peerId, PATH, incarnation, nonce, i,
                        System.currentTimeMillis(), System.nanoTime(), 0, 0, generation, new byte[0], 0, 0);
                s.send(new DatagramPacket(buf, len, to));
                long sliceEnd = Math.min(deadline, System.nanoTime() + slice);
                while (true) {
                    long left = sliceEnd - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    s.setSoTimeout((int) Math.max(1, left / 1_000_000));
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    if (codec.decode(buf, p.getLength(), f) == null && f.type == FrameCodec.PROBE_REPLY
                            && f.senderIs(peerId) && f.destIs(localId) && f.echoMono == nonce) {
                        return Verdict.of(Verdict.Answer.PEER_ALIVE, peer + " answered the probe at " + to.getAddress().getHostAddress()
                                + ":" + to.getPort() + " in " + (System.nanoTime() - start) / 1_000_000 + " ms");
                    }
                }
            }
        } catch (IOException e) {
            return Verdict.of(Verdict.Answer.UNKNOWN, "cannot probe " + peer + " at " + to + ": " + e.getMessage());
        }
        return Verdict.of(Verdict.Answer.UNKNOWN, "no authenticated answer from " + peer + " at "
                + to.getAddress().getHostAddress() + ":" + to.getPort() + " within " + timeout.toMillis() + " ms");
    }

    /** Stops answering (tests; in a node the arbiter lives as long as the process). */
    @Override
    public void close() {
        responder.close();
    }
}
