package org.tandemha.heartbeat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticated request/response over UDP in the heartbeat frame format ({@link FrameCodec}, HMAC-SHA256 under the
 * cluster key), shared by the safety-check channels: the peer probe and the witness. <b>Internal</b>: public only so
 * that the {@code witness} package can use it; not part of Tandem's API.
 *
 * <p>A request carries the operation in the frame's path field, a value (a generation) in its state-version field,
 * a per-client increasing sequence number and a fresh random nonce; a reply is trusted only when it is authentic,
 * comes from the expected sender, is addressed to us and echoes the nonce, so an old reply cannot be replayed. A
 * {@link Responder} can also refuse replayed requests (per sender and incarnation, a sliding window over sequence
 * numbers).
 */
public final class SealedExchange {
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * One decoded request or reply.
     *
     * @param sender      the sender's id
     * @param op          the operation ("probe", "witness-ask"...)
     * @param incarnation the sender's incarnation
     * @param value       the carried number (a generation)
     * @param payload     the payload
     * @param received    when the receiving thread had it from the socket ({@link System#nanoTime()}, before it was
     *                    authenticated and handled), or 0 when not recorded
     */
    public record Message(String sender, String op, long incarnation, long value, byte[] payload, long received) {
        /** Without the time of receipt. */
        public Message(String sender, String op, long incarnation, long value, byte[] payload) {
            this(sender, op, incarnation, value, payload, 0);
        }
    }

    /** What a responder sends back: a value and a payload; {@code null} from a handler means no reply. */
    public record Reply(long value, byte[] payload) {
    }

    private final String cluster;
    private final byte[] key;
    private final String local;
    private final byte[] localId;
    private final long incarnation;
    private final AtomicLong sequence = new AtomicLong();

    /**
     * A client (or responder) identity.
     *
     * @param cluster the cluster name, carried and checked in every frame
     * @param key     the cluster key
     * @param local   this side's id (a node id, or "witness")
     */
    public SealedExchange(String cluster, byte[] key, String local) {
        if (FrameCodec.utf8(local).length > FrameCodec.MAX_NAME || FrameCodec.utf8(cluster).length > FrameCodec.MAX_NAME) {
            throw new IllegalArgumentException("names are limited to " + FrameCodec.MAX_NAME + " bytes");
        }
        this.cluster = cluster;
        this.key = key.clone();
        this.local = local;
        this.localId = FrameCodec.utf8(local);
        this.incarnation = HeartbeatMembership.nextIncarnation();
    }

    /** This side's id. */
    public String local() {
        return local;
    }

    /**
     * Sends {@code op} to {@code dest} at {@code to} up to {@code attempts} times within {@code timeout}, and returns
     * the first authentic reply from {@code dest} that echoes this request's nonce, or {@code null} if none came.
     *
     * @param bind the local address to send from ({@code null}: any), so the request leaves on a chosen network
     * @throws IOException if the socket cannot be opened or the request cannot be sent (no route...)
     */
    public Message request(InetSocketAddress bind, InetSocketAddress to, String dest, String op, long value,
                           byte[] payload, Duration timeout, int attempts) throws IOException {
        long start = System.nanoTime();
        long deadline = start + Math.max(1, timeout.toNanos());
        FrameCodec codec = new FrameCodec(cluster, key);
        FrameCodec.Frame f = new FrameCodec.Frame();
        byte[] buf = new byte[FrameCodec.MAX_FRAME + 1];
        byte[] destId = FrameCodec.utf8(dest);
        byte[] opName = FrameCodec.utf8(op);
        long nonce = RANDOM.nextLong() & Long.MAX_VALUE | 1;
        int tries = Math.max(1, attempts);
        long slice = Math.max(1, (deadline - start) / tries);
        try (DatagramSocket s = bind == null ? new DatagramSocket() : new DatagramSocket(bind)) {
            for (int i = 0; i < tries && System.nanoTime() < deadline; i++) {
                int len = codec.encode(buf, FrameCodec.PROBE, localId, destId, opName, incarnation,
                        sequence.incrementAndGet(), i, System.currentTimeMillis(), System.nanoTime(), nonce, 0, value,
                        payload, 0, payload.length);
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
                            && f.senderIs(destId) && f.destIs(localId) && f.pathIs(opName) && f.echoMono == nonce) {
                        return new Message(dest, op, f.incarnation, f.stateVersion, f.payload());
                    }
                }
            }
        }
        return null;
    }

    /**
     * A responder for requests addressed to this side (not started).
     *
     * @param socket        a bound socket, owned (closed) by the responder
     * @param threadName    its thread's name
     * @param refuseReplays whether to drop a request whose (incarnation, sequence) was already seen or is older
     * @param handler       computes the reply; may return {@code null} for none; must not block for long
     */
    public Responder responder(DatagramSocket socket, String threadName, boolean refuseReplays,
                               Function<Message, Reply> handler) {
        return new Responder(socket, threadName, refuseReplays, handler);
    }

    /**
     * Answers authentic requests addressed to this side on a socket, on one daemon thread, until closed. Bad packets
     * are dropped and logged (bounded: at the 1st, 2nd, 4th, 8th... drop).
     */
    public final class Responder implements AutoCloseable {
        private final Logger log;
        private final DatagramSocket socket;
        private final Function<Message, Reply> handler;
        private final boolean refuseReplays;
        private final Thread thread;
        private volatile Runnable onThreadStart = () -> { };
        private final Map<String, long[]> incarnations = new HashMap<>();
        private final Map<String, ReplayWindow> windows = new HashMap<>();
        private long dropped;

        private Responder(DatagramSocket socket, String threadName, boolean refuseReplays, Function<Message, Reply> handler) {
            this.log = LoggerFactory.getLogger(SealedExchange.class.getName() + "." + threadName);
            this.socket = socket;
            this.handler = handler;
            this.refuseReplays = refuseReplays;
            this.thread = new Thread(this::loop, threadName);
            thread.setDaemon(true);
        }

        /**
         * Something the responder's own thread runs once before it answers the first request (such as giving itself
         * a real-time priority); call before {@link #start()}. An exception it throws is logged, and answering goes on.
         */
        public Responder onThreadStart(Runnable r) {
            this.onThreadStart = java.util.Objects.requireNonNull(r, "onThreadStart");
            return this;
        }

        /** Starts answering. */
        public Responder start() {
            thread.start();
            return this;
        }

        /** The bound address (useful with port 0). */
        public InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void drop(SocketAddress from, String why) {
            if (Long.bitCount(++dropped) == 1) {
                log.warn("{}: dropped a packet from {}: {} ({} so far)", thread.getName(), from, why, dropped);
            }
        }

        private boolean fresh(String sender, long inc, long seq) {
            long[] known = incarnations.get(sender);
            if (known != null && inc < known[0]) {
                return false;
            }
            if (known == null || inc > known[0]) {
                if (incarnations.size() > 4096 && known == null) {
                    return false; // bounded memory against a flood of made-up (but authentic) senders
                }
                incarnations.put(sender, new long[] {inc});
                windows.put(sender, new ReplayWindow());
            }
            return windows.get(sender).accept(seq);
        }

        private void loop() {
            FrameCodec codec = new FrameCodec(cluster, key);
            FrameCodec.Frame f = new FrameCodec.Frame();
            byte[] in = new byte[FrameCodec.MAX_FRAME + 1];
            byte[] out = new byte[FrameCodec.MAX_FRAME];
            try {
                onThreadStart.run();
            } catch (RuntimeException e) {
                log.error("{}: at its start: {} (answering anyway)", thread.getName(), e.toString(), e);
            }
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(in, in.length);
                    socket.receive(p);
                    long received = System.nanoTime();
                    Drop d = codec.decode(in, p.getLength(), f);
                    if (d == null && f.type != FrameCodec.PROBE) {
                        d = Drop.BAD_TYPE;
                    }
                    if (d == null && !f.destIs(localId)) {
                        d = Drop.NOT_FOR_US;
                    }
                    if (d != null) {
                        drop(p.getSocketAddress(), d.text);
                        continue;
                    }
                    String sender = f.sender();
                    if (refuseReplays && !fresh(sender, f.incarnation, f.sequence)) {
                        drop(p.getSocketAddress(), Drop.REPLAY.text + " (from " + sender + ")");
                        continue;
                    }
                    long nonce = f.echoMono;
                    String op = f.path();
                    byte[] senderId = FrameCodec.utf8(sender);
                    Reply r = handler.apply(new Message(sender, op, f.incarnation, f.stateVersion, f.payload(), received));
                    if (r == null) {
                        continue;
                    }
                    int len = codec.encode(out, FrameCodec.PROBE_REPLY, localId, senderId, FrameCodec.utf8(op),
                            incarnation, sequence.incrementAndGet(), 0, System.currentTimeMillis(), System.nanoTime(),
                            nonce, 0, r.value(), r.payload(), 0, r.payload().length);
                    socket.send(new DatagramPacket(out, len, p.getSocketAddress()));
                } catch (IOException e) {
                    if (!socket.isClosed()) {
                        log.debug("{}: {}", thread.getName(), e.toString());
                    }
                } catch (RuntimeException e) {
                    log.error("{}: unexpected error (going on): {}", thread.getName(), e.toString(), e);
                }
            }
        }

        /** Stops answering and closes the socket. */
        @Override
        public void close() {
            socket.close();
        }
    }
}
