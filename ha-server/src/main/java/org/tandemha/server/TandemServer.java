package org.tandemha.server;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.management.JMException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterNode;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.server.http.AuditLog;
import org.tandemha.server.http.Console;
import org.tandemha.server.http.EventLog;
import org.tandemha.server.http.HttpApi;
import org.tandemha.server.http.JmxBeans;
import org.tandemha.server.http.JmxOnDemand;
import org.tandemha.server.http.NodeMetrics;
import org.tandemha.server.http.Tokens;

/**
 * A node's operator surface in two lines: the HTTP API ({@code /api/v1}), Prometheus metrics ({@code /metrics})
 * and JMX MXBeans, as {@link ServerSettings} say.
 *
 * <pre>
 * ClusterNode node = Tandem.builder().configFile(config).localNode("node1").build();
 * node.start();
 * try (TandemServer server = TandemServer.start(node, ServerSettings.defaults(stateDir))) { ... }
 * </pre>
 *
 * The node may be started before or after; closing the server leaves the node running.
 */
public final class TandemServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TandemServer.class);

    private final List<AutoCloseable> parts;
    private final HttpApi api;
    private final EventLog events;
    private final AuditLog audit;
    private final boolean tls;
    private final String host;
    private final Path generatedToken;
    private volatile boolean closed;

    private TandemServer(List<AutoCloseable> parts, HttpApi api, EventLog events, AuditLog audit, boolean tls, String host,
                         Path generatedToken) {
        this.parts = parts;
        this.api = api;
        this.events = events;
        this.audit = audit;
        this.tls = tls;
        this.host = host;
        this.generatedToken = generatedToken;
    }

    /**
     * Serves the node's API (and {@code /metrics}, JMX) as the settings say.
     *
     * @throws IOException naming the problem and the fix: the address is taken, the tokens file is missing, open to
     *                     others or malformed, the TLS files are unusable, the audit log is not writable, the MXBeans
     *                     are registered already
     */
    public static TandemServer start(ClusterNode node, ServerSettings settings) throws IOException {
        return start(node, settings, HttpApi.Limits.DEFAULT);
    }

    /** As {@link #start(ClusterNode, ServerSettings)}, with other bounds for the API. */
    public static TandemServer start(ClusterNode node, ServerSettings settings, HttpApi.Limits limits) throws IOException {
        String id = node.nodeId();
        InetSocketAddress listen;
        try {
            listen = ServerSettings.parseListen(settings.listen());
        } catch (IllegalArgumentException e) {
            throw new IOException("server.listen of node " + id + ": " + e.getMessage() + "; write it as host:port");
        }
        if (settings.stateDir() != null && !Files.isDirectory(settings.stateDir())) {
            try { // as the node makes it: owner only
                Files.createDirectories(settings.stateDir(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(settings.stateDir());
            }
        }
        Tokens tokens;
        Path generated = null;
        if (settings.tokensFile() != null) {
            tokens = Tokens.load(settings.tokensFile());
        } else if (!ServerSettings.isLoopback(listen.getHostString())) {
            throw new IOException("node " + id + " would serve its API on " + settings.listen() + " (not a loopback address)"
                    + " without a tokens file; set server.tokensFile (lines 'name role token', mode 0600) or listen on 127.0.0.1");
        } else if (settings.stateDir() == null) {
            throw new IOException("node " + id + " has no tokens file and no state directory for a generated token;"
                    + " set server.tokensFile or give the state directory");
        } else {
            tokens = Tokens.generated(settings.stateDir());
            generated = settings.stateDir().resolve(Tokens.GENERATED_FILE);
        }
        SslContext ssl = null;
        if (settings.tlsCertificate() != null) {
            for (Path p : List.of(settings.tlsCertificate(), settings.tlsKey())) {
                if (!Files.isReadable(p)) {
                    throw new IOException("server.tls of node " + id + ": cannot read " + p + "; check the path and that the"
                            + " node's user may read it");
                }
            }
            try {
                ssl = SslContextBuilder.forServer(settings.tlsCertificate().toFile(), settings.tlsKey().toFile()).build();
            } catch (IOException | RuntimeException e) {
                throw new IOException("server.tls of node " + id + ": cannot use the certificate " + settings.tlsCertificate()
                        + " with the key " + settings.tlsKey() + ": " + e.getMessage() + "; give PEM files, the key"
                        + " unencrypted PKCS#8 (convert: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW) and matching the certificate", e);
            }
        }
        if (settings.auditLog() == null) {
            throw new IOException("node " + id + " has no audit log path and no state directory; set server.auditLog");
        }
        List<AutoCloseable> parts = new ArrayList<>();
        try {
            AuditLog audit = AuditLog.open(settings.auditLog());
            parts.add(audit);
            EventLog events = new EventLog();
            parts.add(node.subscribe(events));
            NodeMetrics metrics = null;
            if (settings.metrics()) {
                metrics = new NodeMetrics(node);
                parts.add(node.subscribe(metrics));
            }
            Console console = new Console(node, settings.peers(), configuration(id, settings.configFile()), events);
            HttpApi api = HttpApi.start(node, listen.isUnresolved() ? new InetSocketAddress(listen.getHostString(), listen.getPort())
                    : listen, ssl, tokens, audit, events, metrics, settings.metricsPublic(), limits, console);
            parts.add(api);
            if (settings.jmx()) {
                try {
                    // in bin/tandem run, when a JMX client first asks (the JMX classes are not loaded before)
                    parts.add(JmxOnDemand.active() ? JmxOnDemand.register(node, audit, limits.commandWait())
                            : JmxBeans.register(node, audit, limits.commandWait()));
                } catch (JMException e) {
                    throw new IOException("cannot register the JMX MXBeans of node " + id + ": " + e.getMessage()
                            + "; is this node served twice in one JVM? (set server.jmx: false for the second)", e);
                }
            }
            TandemServer s = new TandemServer(parts, api, events, audit, ssl != null, listen.getHostString(), generated);
            if (settings.stateDir() != null) {
                // where the CLI on this machine finds the API (bin/tandem --state-dir DIR, scripts/tandemctl)
                Path urlFile = settings.stateDir().resolve("api-url");
                try {
                    Files.writeString(urlFile, s.uri() + "\n");
                } catch (IOException e) {
                    LOG.warn("node {}: cannot write {} ({}); the CLI then needs --node-url {}", id, urlFile, e.getMessage(), s.uri());
                }
            }
            LOG.info("node {}: HTTP API on {} (tokens: {}{}), audit log {}{}{}", id, s.uri(), tokens.source(),
                    generated != null ? ", admin token generated" : "", settings.auditLog(),
                    settings.metrics() ? ", metrics at /metrics" : "", settings.jmx() ? ", JMX MXBeans org.tandemha:*"
                    + (JmxOnDemand.active() ? " (registered when a JMX client attaches)" : "") : "");
            return s;
        } catch (IOException | RuntimeException e) {
            closeAll(parts);
            throw e;
        }
    }

    /**
     * The node's configuration for the console's previews, read once at the first preview (null when no file was
     * given or it cannot be read: the previews then say the timeouts are unknown).
     */
    private static Supplier<ClusterSpec> configuration(String id, Path file) {
        if (file == null) {
            return () -> null;
        }
        AtomicReference<ClusterSpec> read = new AtomicReference<>();
        return () -> {
            if (read.get() == null) {
                try {
                    read.set(ConfigLoader.load(file, null));
                } catch (InvalidConfigException | RuntimeException e) {
                    LOG.warn("node {}: the console cannot read the configuration {} for its previews: {}", id, file, e.getMessage());
                    return null;
                }
            }
            return read.get();
        };
    }

    /** Where the API answers, e.g. {@code http://127.0.0.1:7480} ({@code https} with TLS). */
    public URI uri() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create((tls ? "https" : "http") + "://" + h + ":" + port());
    }

    /** The port it listens on. */
    public int port() {
        return api.address().getPort();
    }

    /** The file holding the generated admin token ({@code <stateDir>/api-token}), or {@code null} with a tokens file. */
    public Path generatedTokenFile() {
        return generatedToken;
    }

    /** The audit log's file. */
    public Path auditLog() {
        return audit.file();
    }

    /** The recent events as the API numbers them (for the console). */
    public EventLog events() {
        return events;
    }

    /** Stops serving, unsubscribes and unregisters; the node keeps running. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(parts);
    }

    /** Closes in the reverse order of opening: JMX, the API, the subscriptions, the audit log last. */
    private static void closeAll(List<AutoCloseable> parts) {
        for (int i = parts.size() - 1; i >= 0; i--) {
            AutoCloseable c = parts.get(i);
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.toString());
            }
        }
        parts.clear();
    }
}
