package org.tandemha.heartbeat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.HeartbeatPath;

/**
 * The socket edge of one path: thin. It moves bytes between Netty and {@link HeartbeatMembership#onFrame}; every
 * decision is made by the membership on its heartbeat thread (the path's channels are registered on that same
 * single-threaded event loop).
 */
abstract class PathRuntime {
    static final Logger LOG = LoggerFactory.getLogger(HeartbeatMembership.class);
    static final boolean EPOLL = Epoll.isAvailable();
    static final long BIND_TIMEOUT_MS = 5_000;

    final PathSpec spec;
    final HeartbeatMembership m;
    final List<Link> links = new ArrayList<>();
    long nextSendAt;
    /**
     * When set (a test's cut, or the operator took the path out of service), nothing is sent and everything received
     * is dropped, at the socket edge.
     */
    volatile boolean cut;

    PathRuntime(PathSpec spec, HeartbeatMembership m) {
        this.spec = spec;
        this.m = m;
    }

    abstract void start(EventLoopGroup group) throws Exception;

    /** Sends a sealed frame to the link's peer. Called on the heartbeat thread; copies the bytes before returning. */
    abstract boolean send(Link link, byte[] frame, int len);

    /** Extension paths: writes this node's heartbeat. */
    void beat(long incarnation, long sequence) {
    }

    abstract void close();

    private long socketErrors;

    /** Logs a socket error: the 1st, 2nd, 4th, 8th... (bounded under a persistent fault). Heartbeat thread only. */
    final void socketError(Throwable t) {
        socketErrors++;
        if (Long.bitCount(socketErrors) == 1) {
            LOG.warn("heartbeat path `{}` on {}: socket error ({} so far): {}", spec.name, m.localNode(), socketErrors, why(t));
        }
    }

    static PathRuntime of(PathSpec spec, HeartbeatMembership m) {
        if (spec.extension != null) {
            return new Extension(spec, m);
        }
        return switch (spec.transport) {
            case "udp", "multicast" -> new Udp(spec, m);
            case "tcp" -> new Tcp(spec, m);
            default -> throw new IllegalStateException("unexpected transport " + spec.transport);
        };
    }

    static String why(Throwable t) {
        return t == null ? "unknown error" : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Hands a received frame to the membership (copied into its scratch buffer: no allocation). */
    final void received(ByteBuf content) {
        if (cut) {
            return;
        }
        int n = content.readableBytes();
        if (n > FrameCodec.MAX_FRAME) {
            m.drop(Drop.OVERSIZED, this);
            return;
        }
        byte[] scratch = m.scratchIn;
        content.getBytes(content.readerIndex(), scratch, 0, n);
        m.onFrame(this, scratch, n);
    }

    /** UDP unicast, or multicast (one datagram per peer, sent to the group). */
    static final class Udp extends PathRuntime {
        private Channel channel;
        private final ReusedBuffer.Recv recv = new ReusedBuffer.Recv(FrameCodec.MAX_FRAME + 1);
        private final ReusedBuffer out = new ReusedBuffer(FrameCodec.MAX_FRAME);

        Udp(PathSpec spec, HeartbeatMembership m) {
            super(spec, m);
        }

        @Override
        void start(EventLoopGroup group) throws Exception {
            boolean mc = spec.group != null;
            Bootstrap b = new Bootstrap().group(group)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, recv)
                    .option(ChannelOption.SO_RCVBUF, 1 << 20)
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            received(p.content());
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            if (!cut) {
                                m.readComplete();
                            }
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
                            socketError(t);
                        }
                    });
            if (EPOLL) {
                // An IPv4 socket for IPv4 paths: IP_MULTICAST_IF is ignored on a dual-stack IPv6 socket.
                InternetProtocolFamily fam = spec.local.getAddress() instanceof java.net.Inet6Address
                        ? InternetProtocolFamily.IPv6 : InternetProtocolFamily.IPv4;
                b.channelFactory(() -> new EpollDatagramChannel(fam));
            } else {
                b.channelFactory(() -> new NioDatagramChannel(InternetProtocolFamily.IPv4));
            }
            if (mc) {
                NetworkInterface nif = NetworkInterface.getByInetAddress(spec.local.getAddress());
                if (nif == null) {
                    throw new IllegalStateException("no network interface has address " + spec.local.getAddress().getHostAddress());
                }
                b.option(ChannelOption.SO_REUSEADDR, true)
                        .option(ChannelOption.IP_MULTICAST_IF, nif)
                        .option(ChannelOption.IP_MULTICAST_TTL, spec.ttl);
                // The wildcard address: a socket bound to the group could not send (its source would be multicast).
                // What arrives from elsewhere is authenticated like everything else.
                ChannelFuture f = b.bind(new InetSocketAddress(spec.group.getPort()));
                channel = await(f, "bind port " + spec.group.getPort());
                ChannelFuture j = ((DatagramChannel) channel).joinGroup(spec.group, nif);
                if (!j.await(BIND_TIMEOUT_MS, TimeUnit.MILLISECONDS) || !j.isSuccess()) {
                    throw new IllegalStateException("cannot join multicast group " + spec.group.getAddress().getHostAddress()
                            + " on " + nif.getName() + ": " + why(j.cause()));
                }
            } else {
                channel = await(b.bind(spec.local), "bind " + spec.local);
            }
        }

        @Override
        boolean send(Link link, byte[] frame, int len) {
            Channel ch = channel;
            if (cut || ch == null || !ch.isActive()) {
                return false;
            }
            ByteBuf buf = ch.eventLoop().inEventLoop() ? out.take(ch.alloc(), len) : ch.alloc().directBuffer(len);
            buf.writeBytes(frame, 0, len);
            InetSocketAddress to = spec.group != null ? spec.group : link.remote;
            ch.writeAndFlush(new DatagramPacket(buf, to), ch.voidPromise());
            return true;
        }

        @Override
        void close() {
            if (channel != null) {
                channel.close().awaitUninterruptibly(1000);
                // the reused buffers are the event loop's: given back there, after the channel's last read and write
                try {
                    channel.eventLoop().execute(() -> {
                        recv.buffer.release();
                        out.release();
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the loop is gone, and its buffers with it (the cleaner frees them)
                }
            }
        }
    }

    /** TCP: one connection per peer to send on, and a server that receives; frames are length-prefixed. */
    static final class Tcp extends PathRuntime {
        private Channel server;
        private Bootstrap client;
        private final java.util.Set<Channel> accepted = java.util.concurrent.ConcurrentHashMap.newKeySet();

        Tcp(PathSpec spec, HeartbeatMembership m) {
            super(spec, m);
        }

        private ChannelHandler frames() {
            return new SimpleChannelInboundHandler<ByteBuf>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                    received(msg);
                }

                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                    if (!cut) {
                        m.readComplete();
                    }
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
                    if (t instanceof TooLongFrameException) {
                        m.drop(Drop.OVERSIZED, Tcp.this);
                    } else {
                        LOG.debug("heartbeat path `{}`: connection error: {}", spec.name, why(t));
                    }
                    ctx.close();
                }
            };
        }

        @Override
        void start(EventLoopGroup group) throws Exception {
            ServerBootstrap sb = new ServerBootstrap().group(group)
                    .channel(EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.add(ch);
                            ch.closeFuture().addListener(f -> accepted.remove(ch));
                            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(FrameCodec.MAX_FRAME + 4, 0, 4, 0, 4),
                                    frames());
                        }
                    });
            server = await(sb.bind(spec.local), "listen on " + spec.local);
            long timeoutMs = Math.max(100, Math.min(2000, spec.intervalNanos * spec.misses / 1_000_000));
            client = new Bootstrap().group(group)
                    .channel(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMs)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(FrameCodec.MAX_FRAME + 4, 0, 4, 0, 4),
                                    frames());
                        }
                    });
        }

        @Override
        boolean send(Link link, byte[] frame, int len) {
            if (cut) {
                return false;
            }
            Channel ch = link.out;
            if (ch == null || !ch.isActive()) {
                connect(link);
                return false;
            }
            if (!ch.isWritable()) {
                return false; // the peer is not reading: never queue without bound
            }
            ByteBuf out = ch.alloc().directBuffer(4 + len);
            out.writeInt(len);
            out.writeBytes(frame, 0, len);
            ch.writeAndFlush(out, ch.voidPromise());
            return true;
        }

        private void connect(Link link) {
            long now = System.nanoTime();
            if (link.connecting || now < link.nextConnectAt || client == null) {
                return;
            }
            link.connecting = true;
            link.nextConnectAt = now + spec.intervalNanos;
            ChannelFuture f = client.connect(link.remote, new InetSocketAddress(spec.local.getAddress(), 0));
            f.addListener(done -> {
                link.connecting = false;
                if (done.isSuccess()) {
                    link.out = f.channel();
                    LOG.debug("heartbeat path `{}`: connected to {} at {}", spec.name, link.peer.id, link.remote);
                } else {
                    LOG.debug("heartbeat path `{}`: cannot connect to {} at {}: {}", spec.name, link.peer.id, link.remote,
                            why(done.cause()));
                }
            });
        }

        @Override
        void close() {
            for (Link l : links) {
                if (l.out != null) {
                    l.out.close();
                }
            }
            for (Channel c : new ArrayList<>(accepted)) {
                c.close();
            }
            if (server != null) {
                server.close().awaitUninterruptibly(1000);
            }
        }
    }

    /**
     * A plugin's path (such as {@code disk}) under the same failure detector. Its {@code beat} runs on a thread of
     * its own: a write to a lost LUN can block for seconds, and it must not stall the heartbeat thread (which would
     * keep every path, the network ones included, from ever being declared down). A beat still running when the
     * next is due is skipped, not queued.
     */
    static final class Extension extends PathRuntime {
        private final java.util.concurrent.ExecutorService writer;
        private final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        private long skipped;

        Extension(PathSpec spec, HeartbeatMembership m) {
            super(spec, m);
            this.writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tandem-path-" + spec.name);
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        void start(EventLoopGroup group) {
            spec.extension.start((peer, incarnation, sequence, senderTimeMillis) -> {
                if (!cut) {
                    group.execute(() -> m.onHeard(this, peer, incarnation, sequence));
                }
            });
        }

        @Override
        void beat(long incarnation, long sequence) {
            if (cut) {
                return;
            }
            if (!busy.compareAndSet(false, true)) {
                if (Long.bitCount(++skipped) == 1) {
                    LOG.warn("heartbeat path `{}`: the previous write has not finished; skipped {} beat(s) so far",
                            spec.name, skipped);
                }
                return;
            }
            try {
                writer.execute(() -> {
                    try {
                        if (!spec.extension.beat(incarnation, sequence)) {
                            LOG.debug("heartbeat path `{}`: write failed", spec.name);
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("heartbeat path `{}`: write failed: {}", spec.name, why(e));
                    } finally {
                        busy.set(false);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                busy.set(false); // closed
            }
        }

        @Override
        boolean send(Link link, byte[] frame, int len) {
            return false;
        }

        @Override
        void close() {
            writer.shutdownNow();
            try {
                spec.extension.close();
            } catch (RuntimeException e) {
                LOG.warn("heartbeat path `{}`: close failed: {}", spec.name, why(e));
            }
        }
    }

    final Channel await(ChannelFuture f, String what) throws InterruptedException {
        if (!f.await(BIND_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            f.cancel(false);
            throw new IllegalStateException("heartbeat path `" + spec.name + "`: " + what + " timed out after "
                    + BIND_TIMEOUT_MS + " ms");
        }
        if (!f.isSuccess()) {
            throw new IllegalStateException("heartbeat path `" + spec.name + "`: cannot " + what + ": " + why(f.cause())
                    + "; check that the address is configured on a NIC of this host and the port is free");
        }
        return f.channel();
    }
}
