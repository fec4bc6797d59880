package org.tandemha.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;
import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.http.Tokens.Principal;
import org.tandemha.server.http.Tokens.Role;

/**
 * The node's HTTP API, version 1, on Netty. Every request but {@code GET /api/v1/health} needs
 * {@code Authorization: Bearer <token>}; see {@link #ENDPOINTS}. Bounded: request bodies (413 above
 * {@link Limits#maxBodyBytes}), idle connections (closed after {@link Limits#idleTimeout}; event streams send a
 * comment line every {@link Limits#streamKeepAlive} to stay open), event streams ({@link Limits#maxStreams} at once,
 * 503 beyond, saying so), and a stream's unsent backlog (a client that does not read is disconnected).
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

    /** The endpoints, as listed in a 404 answer. */
    public static final List<String> ENDPOINTS = List.of(
            "GET /api/v1/health",
            "GET /api/v1/status",
            "GET /api/v1/events?after=N&limit=M",
            "GET /api/v1/events/stream  (Last-Event-ID or ?after=N resumes)",
            "POST /api/v1/groups/{group}/switchover  {\"target\":\"NODE\"}",
            "POST /api/v1/groups/{group}/switchback",
            "POST /api/v1/groups/{group}/maintenance  {\"on\":true|false}",
            "POST /api/v1/groups/{group}/clear",
            "POST /api/v1/groups/{group}/promote-dr  {\"node\":\"DRNODE\",\"confirm\":false,\"fencePrimarySite\":false}",
            "POST /api/v1/paths/{path}/enable  {\"on\":true|false}  (admin)",
            "GET /api/v1/snapshot  (the engine's state, for tandem simulate --from live)",
            "POST /api/v1/whatif  {\"events\":\"crash node1\"[,\"snapshots\":{...}]}  (operator; without snapshots, fetched from server.peers)",
            "GET /metrics",
            "GET /  (the web console; its files need no token, its data does)",
            "GET /api/v1/console  (who am I, the peers' API URLs)",
            "GET /api/v1/groups/{group}/preview?action=switchover&target=NODE|switchback|maintenance&on=true|clear");

    /** The API's bounds. */
    public record Limits(int maxBodyBytes, Duration idleTimeout, int maxStreams, Duration streamKeepAlive,
                         Duration commandWait, int maxEventsPerPage) {
        /** 64 KiB bodies, 60 s idle, 32 event streams with a comment every 15 s, commands waited for 5 min, pages of 1000. */
        public static final Limits DEFAULT = new Limits(64 * 1024, Duration.ofSeconds(60), 32, Duration.ofSeconds(15),
                Duration.ofMinutes(5), 1000);
    }

    private final ClusterNode node;
    private final Tokens tokens;
    private final AuditLog audit;
    private final EventLog events;
    private final NodeMetrics metrics;
    private final boolean metricsPublic;
    private final Limits limits;
    private final Console console;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final EventExecutorGroup handlers;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger streams = new AtomicInteger();
    private final Channel server;
    private final WhatIfEndpoint whatIf;

    private HttpApi(ClusterNode node, InetSocketAddress bind, SslContext ssl, Tokens tokens, AuditLog audit, EventLog events,
                    NodeMetrics metrics, boolean metricsPublic, Limits limits, Console console) throws IOException {
        this.node = node;
        this.console = console == null ? Console.standalone(node, events) : console;
        this.tokens = tokens;
        this.audit = audit;
        this.events = events;
        this.metrics = metrics;
        this.metricsPublic = metricsPublic;
        this.limits = limits;
        String id = node.nodeId();
        this.whatIf = new WhatIfEndpoint(node, new PeerSnapshots(this.console.peers()));
        this.boss = new NioEventLoopGroup(1, new DefaultThreadFactory("tandem-api-accept-" + id, true));
        this.workers = new NioEventLoopGroup(2, new DefaultThreadFactory("tandem-api-io-" + id, true));
        this.handlers = new DefaultEventExecutorGroup(2, new DefaultThreadFactory("tandem-api-" + id, true));
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(4 << 20, 16 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        if (ssl != null) {
                            p.addLast("tls", ssl.newHandler(ch.alloc()));
                        }
                        p.addLast("idle", new IdleStateHandler(0, 0, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
                        p.addLast("http", new HttpServerCodec(4096, 8192, 8192));
                        p.addLast("body", new BoundedAggregator(limits.maxBodyBytes()));
                        p.addLast(handlers, "api", new Handler());
                    }
                });
        try {
            this.server = b.bind(bind).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            shutdown();
            throw new IOException("the HTTP API of node " + id + " cannot listen on " + bind.getHostString() + ":"
                    + bind.getPort() + ": " + e.getMessage() + "; choose another server.listen address or stop what"
                    + " holds the port", e);
        }
    }

    /**
     * Starts serving. {@code ssl} may be {@code null} (plain HTTP), {@code metrics} too (no {@code /metrics}).
     *
     * @throws IOException naming the address if it cannot listen there
     */
    public static HttpApi start(ClusterNode node, InetSocketAddress bind, SslContext ssl, Tokens tokens, AuditLog audit,
                                EventLog events, NodeMetrics metrics, boolean metricsPublic, Limits limits) throws IOException {
        return new HttpApi(node, bind, ssl, tokens, audit, events, metrics, metricsPublic, limits, null);
    }

    /** As the other {@code start}, with the web console's peers and configuration. */
    public static HttpApi start(ClusterNode node, InetSocketAddress bind, SslContext ssl, Tokens tokens, AuditLog audit,
                                EventLog events, NodeMetrics metrics, boolean metricsPublic, Limits limits,
                                Console console) throws IOException {
        return new HttpApi(node, bind, ssl, tokens, audit, events, metrics, metricsPublic, limits, console);
    }

    /** Where it listens. */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Event streams open now. */
    public int openStreams() {
        return streams.get();
    }

    /** Stops listening and closes every connection, event streams included. */
    @Override
    public void close() {
        server.close().syncUninterruptibly();
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdown();
    }

    private void shutdown() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        handlers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        whatIf.close();
    }

    /** Answers a too-large body with 413 naming the limit, instead of the aggregator's empty answer. */
    private static final class BoundedAggregator extends HttpObjectAggregator {
        private final int max;

        BoundedAggregator(int max) {
            super(max);
            this.max = max;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            FullHttpResponse r = json(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, error("the request body is larger than "
                    + max + " bytes, the API's limit; commands take a small JSON object"));
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    // ------------------------------------------------------------------ requests

    /** A request under way: what the audit log needs to know of it. */
    private static final class Call {
        final String method;
        final String path;
        Principal who;
        String command;
        String group;
        JsonNode args;
        String origin;

        Call(String method, String path) {
            this.method = method;
            this.path = path;
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        /** Commands sent to the node and not answered yet on this connection: it is not idle while it waits. */
        private final AtomicInteger pending = new AtomicInteger();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Call call = new Call(req.method().name(), "?");
            try {
                if (req.decoderResult().isFailure()) {
                    send(ctx, call, false, HttpResponseStatus.BAD_REQUEST, error("malformed HTTP request: "
                            + req.decoderResult().cause().getMessage()));
                    return;
                }
                handle(ctx, req, keepAlive);
            } catch (RuntimeException | LinkageError e) {
                LOG.error("the HTTP API of node {} failed on {} {}", node.nodeId(), req.method(), req.uri(), e);
                send(ctx, call, false, HttpResponseStatus.INTERNAL_SERVER_ERROR, error("internal error of the HTTP API"
                        + " of node " + node.nodeId() + ": " + e + "; see the node's log"));
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                if (pending.get() == 0) {
                    ctx.close(); // idle for the whole timeout: free the connection
                }
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("HTTP API connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        private void handle(ChannelHandlerContext ctx, FullHttpRequest req, boolean keepAlive) {
            QueryStringDecoder qs = new QueryStringDecoder(req.uri());
            List<String> seg = new ArrayList<>();
            for (String s : qs.rawPath().split("/")) {
                if (!s.isEmpty()) {
                    seg.add(QueryStringDecoder.decodeComponent(s));
                }
            }
            String path = "/" + String.join("/", seg);
            Call call = new Call(req.method().name(), path);
            call.origin = req.headers().get(HttpHeaderNames.ORIGIN);
            if (req.method().equals(HttpMethod.OPTIONS)) { // a CORS pre-flight: only from the configured peers' pages
                if (console.allowed(call.origin)) {
                    send(ctx, call, keepAlive, console.preflight(call.origin));
                } else {
                    send(ctx, call, keepAlive, HttpResponseStatus.FORBIDDEN, error("origin " + call.origin + " is not one of"
                            + " the peers of node " + node.nodeId() + " (server.peers); add its API URL there"));
                }
                return;
            }
            if (console.isAsset(path)) { // the console's files hold no data: served without a token
                if (method(ctx, call, req, keepAlive, HttpMethod.GET)) {
                    send(ctx, call, keepAlive, console.asset(path));
                }
                return;
            }
            boolean isCommand = seg.size() == 5 && seg.get(0).equals("api") && seg.get(1).equals("v1")
                    && (seg.get(2).equals("groups") || seg.get(2).equals("paths"));
            if (isCommand) {
                call.command = seg.get(4);
                call.group = seg.get(3);
            }
            if (path.equals("/api/v1/health")) {
                if (method(ctx, call, req, keepAlive, HttpMethod.GET) && noParams(ctx, call, qs, keepAlive, Set.of())) {
                    send(ctx, call, keepAlive, HttpResponseStatus.OK, JsonTrees.NODES.objectNode()
                            .put("node", node.nodeId()).put("cluster", cluster()));
                }
                return;
            }
            boolean publicMetrics = path.equals("/metrics") && metricsPublic && metrics != null;
            if (!publicMetrics) {
                call.who = authenticate(ctx, call, req, keepAlive);
                if (call.who == null) {
                    return;
                }
            }
            switch (path) {
                case "/api/v1/status" -> {
                    if (read(ctx, call, req, keepAlive) && noParams(ctx, call, qs, keepAlive, Set.of())) {
                        Instant asked = Instant.now(); // a fresh view is current as of the call
                        ClusterStatus s = node.status();
                        send(ctx, call, keepAlive, HttpResponseStatus.OK, StatusJson.status(s, asked, Instant.now()));
                    }
                }
                case "/api/v1/console" -> {
                    if (read(ctx, call, req, keepAlive) && noParams(ctx, call, qs, keepAlive, Set.of())) {
                        send(ctx, call, keepAlive, HttpResponseStatus.OK, console.info(call.who));
                    }
                }
                case "/api/v1/events" -> {
                    if (read(ctx, call, req, keepAlive) && noParams(ctx, call, qs, keepAlive, Set.of("after", "limit"))) {
                        pageOfEvents(ctx, call, qs, keepAlive);
                    }
                }
                case "/api/v1/events/stream" -> {
                    if (read(ctx, call, req, keepAlive) && noParams(ctx, call, qs, keepAlive, Set.of("after"))) {
                        stream(ctx, call, req, qs, keepAlive);
                    }
                }
                case "/api/v1/snapshot" -> {
                    if (read(ctx, call, req, keepAlive) && noParams(ctx, call, qs, keepAlive, Set.of())) {
                        later(ctx, call, keepAlive, whatIf.snapshot());
                    }
                }
                case "/api/v1/whatif" -> {
                    if (method(ctx, call, req, keepAlive, HttpMethod.POST)
                            && role(ctx, call, keepAlive, Role.OPERATOR, "run what-if simulations")
                            && noParams(ctx, call, qs, keepAlive, Set.of())) {
                        String text = req.content().toString(StandardCharsets.UTF_8).strip();
                        try {
                            later(ctx, call, keepAlive, whatIf.whatIf(text.isEmpty() ? null : JsonTrees.parse(text),
                                    req.headers().get(HttpHeaderNames.AUTHORIZATION)));
                        } catch (JsonProcessingException e) {
                            send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("the body is not JSON ("
                                    + e.getOriginalMessage() + "); send " + WhatIfEndpoint.USAGE));
                        }
                    }
                }
                case "/metrics" -> {
                    if (metrics == null) {
                        notFound(ctx, call, keepAlive, "metrics are off on node " + node.nodeId() + " (server.metrics: false)");
                    } else if ((publicMetrics || read(ctx, call, req, keepAlive)) && method(ctx, call, req, keepAlive, HttpMethod.GET)
                            && noParams(ctx, call, qs, keepAlive, Set.of())) {
                        scrape(ctx, call, keepAlive);
                    }
                }
                default -> {
                    if (isCommand && "preview".equals(call.command) && call.path.startsWith("/api/v1/groups/")) {
                        call.command = null; // a preview changes nothing: not audited
                        if (read(ctx, call, req, keepAlive) && noParams(ctx, call, qs, keepAlive, Set.of("action", "target", "on"))) {
                            try {
                                send(ctx, call, keepAlive, HttpResponseStatus.OK, console.preview(call.group,
                                        param(qs, "action"), param(qs, "target"), param(qs, "on")));
                            } catch (java.util.NoSuchElementException e) {
                                send(ctx, call, keepAlive, HttpResponseStatus.NOT_FOUND, error(e.getMessage()));
                            } catch (IllegalArgumentException e) {
                                send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error(e.getMessage()));
                            }
                        }
                    } else if (isCommand) {
                        command(ctx, call, req, qs, keepAlive);
                    } else {
                        notFound(ctx, call, keepAlive, "no endpoint " + path);
                    }
                }
            }
        }

        /** Answers when {@code answer} completes (the connection is not idle meanwhile). */
        private void later(ChannelHandlerContext ctx, Call call, boolean keepAlive, CompletableFuture<WhatIfEndpoint.Answer> answer) {
            pending.incrementAndGet();
            answer.whenComplete((a, e) -> ctx.executor().execute(() -> {
                pending.decrementAndGet();
                if (a != null) {
                    send(ctx, call, keepAlive, a.status(), a.body());
                } else {
                    send(ctx, call, keepAlive, HttpResponseStatus.INTERNAL_SERVER_ERROR, error("internal error of the"
                            + " HTTP API of node " + node.nodeId() + ": " + e + "; see the node's log"));
                }
            }));
        }

        private void notFound(ChannelHandlerContext ctx, Call call, boolean keepAlive, String why) {
            ObjectNode o = error(why + "; the endpoints are: " + String.join(", ", ENDPOINTS));
            ENDPOINTS.forEach(o.putArray("endpoints")::add);
            send(ctx, call, keepAlive, HttpResponseStatus.NOT_FOUND, o);
        }

        private Principal authenticate(ChannelHandlerContext ctx, Call call, FullHttpRequest req, boolean keepAlive) {
            String h = req.headers().get(HttpHeaderNames.AUTHORIZATION);
            String why;
            Principal p = null;
            if (h == null || h.isBlank()) {
                why = "missing token: send the header 'Authorization: Bearer <token>' with a token of node "
                        + node.nodeId() + " (its tokens file, or <state-dir>/api-token)";
            } else if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) {
                why = "the Authorization header must be 'Bearer <token>'";
            } else {
                p = tokens.authenticate(h.substring(7).strip());
                why = "wrong token: node " + node.nodeId() + " knows no such token; use one from its tokens file";
            }
            if (p != null) {
                return p;
            }
            FullHttpResponse r = json(HttpResponseStatus.UNAUTHORIZED, error(why));
            r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"tandem\"");
            send(ctx, call, keepAlive, r);
            return null;
        }

        private boolean read(ChannelHandlerContext ctx, Call call, FullHttpRequest req, boolean keepAlive) {
            return method(ctx, call, req, keepAlive, HttpMethod.GET) && role(ctx, call, keepAlive, Role.VIEWER, "read");
        }

        private boolean role(ChannelHandlerContext ctx, Call call, boolean keepAlive, Role needed, String what) {
            if (call.who.role().covers(needed)) {
                return true;
            }
            send(ctx, call, keepAlive, HttpResponseStatus.FORBIDDEN, error("role " + call.who.role().label() + " (token '"
                    + call.who.name() + "') may not " + what + "; it needs the " + needed.label() + " role"
                    + (needed == Role.ADMIN ? "" : " or admin")));
            return false;
        }

        private boolean method(ChannelHandlerContext ctx, Call call, FullHttpRequest req, boolean keepAlive, HttpMethod wanted) {
            if (req.method().equals(wanted)) {
                return true;
            }
            FullHttpResponse r = json(HttpResponseStatus.METHOD_NOT_ALLOWED, error("use " + wanted + " for " + call.path
                    + ", not " + req.method()));
            r.headers().set(HttpHeaderNames.ALLOW, wanted.name());
            send(ctx, call, keepAlive, r);
            return false;
        }

        private boolean noParams(ChannelHandlerContext ctx, Call call, QueryStringDecoder qs, boolean keepAlive, Set<String> allowed) {
            for (Map.Entry<String, List<String>> e : qs.parameters().entrySet()) {
                String why = null;
                if (!allowed.contains(e.getKey())) {
                    why = "unknown parameter '" + e.getKey() + "' for " + call.path + (allowed.isEmpty() ? ", which takes none"
                            : "; it takes " + String.join(", ", allowed.stream().sorted().toList()));
                } else if (e.getValue().size() > 1) {
                    why = "parameter '" + e.getKey() + "' is given " + e.getValue().size() + " times; give it once";
                }
                if (why != null) {
                    send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error(why));
                    return false;
                }
            }
            return true;
        }

        private String param(QueryStringDecoder qs, String name) {
            List<String> v = qs.parameters().get(name);
            return v == null ? null : v.get(0);
        }

        private void pageOfEvents(ChannelHandlerContext ctx, Call call, QueryStringDecoder qs, boolean keepAlive) {
            Long after = number(param(qs, "after"), 0);
            Long limit = number(param(qs, "limit"), 100);
            if (after == null) {
                send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("parameter 'after' must be a whole number"
                        + " >= 0 (the id of the last event seen), not '" + param(qs, "after") + "'"));
                return;
            }
            if (limit == null || limit < 1 || limit > limits.maxEventsPerPage()) {
                send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("parameter 'limit' must be a whole number"
                        + " from 1 to " + limits.maxEventsPerPage() + ", not '" + param(qs, "limit") + "'"));
                return;
            }
            EventLog.Page page = events.after(after, (int) (long) limit);
            ObjectNode o = JsonTrees.NODES.objectNode();
            page.events().forEach(o.putArray("events")::add);
            o.put("next", page.next()).put("last", page.last()).put("missed", page.missed());
            send(ctx, call, keepAlive, HttpResponseStatus.OK, o);
        }

        private void stream(ChannelHandlerContext ctx, Call call, FullHttpRequest req, QueryStringDecoder qs, boolean keepAlive) {
            String header = req.headers().get("Last-Event-ID");
            String given = header != null ? header : param(qs, "after");
            Long after = given == null ? Long.valueOf(events.lastId()) : number(given, 0);
            if (after == null) {
                send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error((header != null ? "header Last-Event-ID"
                        : "parameter 'after'") + " must be a whole number >= 0 (the id of the last event seen), not '" + given + "'"));
                return;
            }
            int open = streams.incrementAndGet();
            if (open > limits.maxStreams()) {
                streams.decrementAndGet();
                FullHttpResponse r = json(HttpResponseStatus.SERVICE_UNAVAILABLE, error("too many event streams: node "
                        + node.nodeId() + " serves at most " + limits.maxStreams() + " at once and all are taken; close"
                        + " one, or poll GET /api/v1/events?after=N instead"));
                r.headers().set(HttpHeaderNames.RETRY_AFTER, "10");
                send(ctx, call, keepAlive, r);
                return;
            }
            Channel ch = ctx.channel();
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            console.cors(head.headers(), call.origin);
            HttpUtil.setTransferEncodingChunked(head, true);
            ch.write(head);
            Consumer<EventLog.Numbered> live = new Consumer<>() {
                @Override
                public void accept(EventLog.Numbered n) {
                    if (!ch.isWritable()) {
                        LOG.warn("closing the event stream to {}: it does not read its events", ch.remoteAddress());
                        events.unsubscribe(this);
                        ch.close();
                        return;
                    }
                    ch.writeAndFlush(sse(n));
                }
            };
            long missed = events.replayAndSubscribe(after, n -> ch.write(sse(n)), live);
            if (missed > 0) {
                ch.write(comment(missed + " events after " + after + " were dropped already: node " + node.nodeId()
                        + " keeps the last " + EventLog.KEPT));
            }
            ch.writeAndFlush(comment("node " + node.nodeId() + ": events after " + after));
            long every = limits.streamKeepAlive().toMillis();
            ScheduledFuture<?> keep = ch.eventLoop().scheduleAtFixedRate(() -> ch.writeAndFlush(comment("keep-alive")),
                    every, every, TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(f -> {
                events.unsubscribe(live);
                keep.cancel(false);
                streams.decrementAndGet();
            });
        }

        private void scrape(ChannelHandlerContext ctx, Call call, boolean keepAlive) {
            byte[] body;
            try {
                body = metrics.scrape();
            } catch (IOException e) {
                send(ctx, call, keepAlive, HttpResponseStatus.INTERNAL_SERVER_ERROR, error("cannot write the metrics: " + e));
                return;
            }
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, metrics.contentType());
            send(ctx, call, keepAlive, r);
        }

        // ------------------------------------------------------------------ commands

        private void command(ChannelHandlerContext ctx, Call call, FullHttpRequest req, QueryStringDecoder qs, boolean keepAlive) {
            boolean path = call.path.startsWith("/api/v1/paths/");
            Set<String> known = path ? Set.of("enable") : Set.of("switchover", "switchback", "maintenance", "clear", "promote-dr");
            if (!known.contains(call.command)) {
                String c = call.command;
                call.command = null; // not a command: not audited
                notFound(ctx, call, keepAlive, "no command '" + c + "' for " + (path ? "paths" : "groups"));
                return;
            }
            if (!method(ctx, call, req, keepAlive, HttpMethod.POST)
                    || !role(ctx, call, keepAlive, path ? Role.ADMIN : Role.OPERATOR, (path ? "enable or disable heartbeat paths" : call.command + " groups"))
                    || !noParams(ctx, call, qs, keepAlive, Set.of())) {
                return;
            }
            JsonNode body;
            String text = req.content().toString(StandardCharsets.UTF_8).strip();
            try {
                body = text.isEmpty() ? JsonTrees.NODES.objectNode() : JsonTrees.parse(text);
            } catch (JsonProcessingException e) {
                send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("the body is not JSON ("
                        + e.getOriginalMessage() + "); send " + usage(call.command)));
                return;
            }
            call.args = body;
            if (body == null || !body.isObject()) {
                send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("the body must be a JSON object: " + usage(call.command)));
                return;
            }
            Set<String> fields = switch (call.command) {
                case "switchover" -> Set.of("target");
                case "maintenance", "enable" -> Set.of("on");
                case "promote-dr" -> Set.of("node", "confirm", "fencePrimarySite");
                default -> Set.of();
            };
            for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!fields.contains(f)) {
                    send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("unknown field '" + f + "' for "
                            + call.command + ": " + usage(call.command)));
                    return;
                }
            }
            CompletableFuture<CommandResult> f;
            switch (call.command) {
                case "switchover" -> {
                    JsonNode t = body.get("target");
                    if (t == null || !t.isTextual() || t.asText().isBlank()) {
                        send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error((t == null ? "missing field 'target'"
                                : "field 'target' must be a node id (text)") + ": " + usage("switchover")));
                        return;
                    }
                    f = node.switchover(call.group, t.asText());
                }
                case "maintenance", "enable" -> {
                    JsonNode on = body.get("on");
                    if (on == null || !on.isBoolean()) {
                        send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error((on == null ? "missing field 'on'"
                                : "field 'on' must be true or false, not " + on) + ": " + usage(call.command)));
                        return;
                    }
                    f = call.command.equals("enable") ? node.pathEnabled(call.group, on.asBoolean())
                            : node.maintenance(call.group, on.asBoolean());
                }
                case "switchback" -> f = node.switchback(call.group);
                case "promote-dr" -> {
                    JsonNode n = body.get("node");
                    JsonNode confirm = body.get("confirm");
                    JsonNode fence = body.get("fencePrimarySite");
                    if (n != null && (!n.isTextual() || n.asText().isBlank()) || confirm != null && !confirm.isBoolean()
                            || fence != null && !fence.isBoolean()) {
                        send(ctx, call, keepAlive, HttpResponseStatus.BAD_REQUEST, error("'node' must be a node id (text),"
                                + " 'confirm' and 'fencePrimarySite' true or false: " + usage("promote-dr")));
                        return;
                    }
                    f = node.promoteDr(call.group, n == null ? null : n.asText(), confirm != null && confirm.asBoolean(),
                            fence != null && fence.asBoolean());
                }
                default -> f = node.clear(call.group);
            }
            Duration wait = limits.commandWait();
            pending.incrementAndGet();
            f.copy().orTimeout(wait.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> ctx.executor().execute(() -> {
                pending.decrementAndGet();
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (r != null) {
                    send(ctx, call, keepAlive, r.accepted() ? HttpResponseStatus.OK : HttpResponseStatus.CONFLICT, StatusJson.command(r));
                } else if (cause instanceof TimeoutException) {
                    send(ctx, call, keepAlive, HttpResponseStatus.GATEWAY_TIMEOUT, error("no answer from node " + node.nodeId()
                            + " within " + Durations.format(wait) + "; the command may still complete: watch the events"));
                } else {
                    send(ctx, call, keepAlive, HttpResponseStatus.INTERNAL_SERVER_ERROR, error("the command failed inside node "
                            + node.nodeId() + ": " + cause));
                }
            }));
        }

        private String usage(String command) {
            return switch (command) {
                case "switchover" -> "{\"target\":\"NODE\"}";
                case "maintenance", "enable" -> "{\"on\":true} or {\"on\":false}";
                case "promote-dr" -> "{\"node\":\"DRNODE\"} (shows the data at risk), then {\"node\":\"DRNODE\",\"confirm\":true}"
                        + " or, with the primary site powered off or cut off, {\"node\":\"DRNODE\",\"confirm\":true,\"fencePrimarySite\":true}";
                default -> "an empty body or {}";
            };
        }

        // ------------------------------------------------------------------ answers

        private void send(ChannelHandlerContext ctx, Call call, boolean keepAlive, HttpResponseStatus status, JsonNode body) {
            send(ctx, call, keepAlive, json(status, body));
        }

        private void send(ChannelHandlerContext ctx, Call call, boolean keepAlive, FullHttpResponse r) {
            if (call.command != null) {
                int code = r.status().code();
                String outcome = switch (code) {
                    case 200 -> "accepted";
                    case 409 -> "refused";
                    case 401 -> "unauthorized";
                    case 403 -> "forbidden";
                    case 400, 404, 405, 413 -> "malformed";
                    default -> "error";
                };
                String message = r.content().toString(StandardCharsets.UTF_8);
                try {
                    JsonNode j = JsonTrees.parse(message);
                    message = j.hasNonNull("message") ? j.get("message").asText() : j.path("error").asText(message);
                } catch (JsonProcessingException ignored) {
                    // not JSON: recorded as it is
                }
                SocketAddress remote = ctx.channel().remoteAddress();
                audit.record(call.who == null ? null : call.who.name(), call.who == null ? null : call.who.role().label(),
                        remote instanceof InetSocketAddress a ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(remote),
                        call.command, call.group, call.args, code, outcome, message);
            }
            HttpUtil.setContentLength(r, r.content().readableBytes());
            r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
            console.cors(r.headers(), call.origin);
            if (keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(r);
            } else {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    private String cluster() {
        try {
            return node.status().cluster();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Long number(String s, long dflt) {
        if (s == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(s.strip());
            return n < 0 ? null : n;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static ObjectNode error(String message) {
        return JsonTrees.NODES.objectNode().put("error", message);
    }

    static FullHttpResponse json(HttpResponseStatus status, JsonNode body) {
        byte[] bytes = JsonTrees.prettyBytes(body);
        ByteBuf buf = Unpooled.buffer(bytes.length + 1).writeBytes(bytes).writeByte('\n');
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        return r;
    }

    private static DefaultHttpContent sse(EventLog.Numbered n) {
        String data = JsonTrees.text(n.json());
        return text("id: " + n.id() + "\nevent: " + n.kind() + "\ndata: " + data + "\n\n");
    }

    private static DefaultHttpContent comment(String text) {
        return text(": " + text.replace('\n', ' ') + "\n\n");
    }

    private static DefaultHttpContent text(String s) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }
}
