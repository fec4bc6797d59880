package org.tandemha.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Problem;

/**
 * What {@link TandemServer} serves and where: the {@code server:} section of a node's configuration.
 *
 * <pre>
 * server:
 *   listen: 127.0.0.1:7480          # host:port; port 0 picks a free one
 *   tokensFile: /etc/tandem/tokens  # lines "name role token", role viewer|operator|admin; mode 0600 or 0400
 *   tls: {certificate: /etc/tandem/node.crt, key: /etc/tandem/node.key}   # PEM, optional
 *   auditLog: /var/log/tandem/audit.log   # default: stateDir/audit.log
 *   metrics: true                   # GET /metrics (Prometheus text format)
 *   metricsPublic: false            # true: /metrics without a token
 *   jmx: true                       # MXBeans on the platform MBeanServer
 *   peers: [http://192.0.2.2:7480]  # the other nodes' API URLs: the console merges their events (CORS for them)
 * </pre>
 *
 * @param listen         {@code host:port}; default {@code 127.0.0.1:7480}
 * @param tokensFile     the tokens file; {@code null} is allowed only on a loopback address: a generated admin token
 *                       is then written to {@code <stateDir>/api-token} (mode 0600)
 * @param tlsCertificate PEM certificate (chain); with {@code tlsKey}, or both {@code null} for plain HTTP
 * @param tlsKey         PEM private key (PKCS#8, unencrypted)
 * @param auditLog       where every command is recorded, one JSON line each; default {@code <stateDir>/audit.log}
 * @param stateDir       the node's state directory
 * @param metrics        serve {@code GET /metrics}
 * @param jmx            register the MXBeans
 * @param metricsPublic  serve {@code /metrics} without a token (for a scraper on a trusted network)
 * @param peers          the API URLs of the other nodes ({@code http[s]://host:port}): the console served at
 *                       {@code /} fetches their events with the same token, and this node answers cross-origin
 *                       requests from exactly these origins (CORS); empty: the console shows this node's events only
 * @param configFile     the node's configuration file, read for the console's action previews (resource
 *                       timeouts, arbiters); {@code null}: previews without the configured timeouts
 */
public record ServerSettings(String listen, Path tokensFile, Path tlsCertificate, Path tlsKey, Path auditLog,
                             Path stateDir, boolean metrics, boolean jmx, boolean metricsPublic, List<String> peers,
                             Path configFile) {
    /** The default address: loopback only. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:7480";
    static final Set<String> KEYS = Set.of("listen", "tokensFile", "tls", "auditLog", "metrics", "metricsPublic", "jmx",
            "peers");

    public ServerSettings {
        if (listen == null || listen.isBlank()) {
            listen = DEFAULT_LISTEN;
        }
        if ((tlsCertificate == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("server.tls needs both a certificate and a key (or neither, for plain"
                    + " HTTP); got only the " + (tlsKey == null ? "certificate" : "key"));
        }
        if (auditLog == null && stateDir != null) {
            auditLog = stateDir.resolve("audit.log");
        }
        peers = peers == null ? List.of() : List.copyOf(peers);
    }

    /** The nine settings before the console's: no peers, no configuration file. */
    public ServerSettings(String listen, Path tokensFile, Path tlsCertificate, Path tlsKey, Path auditLog, Path stateDir,
                          boolean metrics, boolean jmx, boolean metricsPublic) {
        this(listen, tokensFile, tlsCertificate, tlsKey, auditLog, stateDir, metrics, jmx, metricsPublic, List.of(), null);
    }

    /** The contract's eight settings; {@code /metrics} then needs a viewer's token. */
    public ServerSettings(String listen, Path tokensFile, Path tlsCertificate, Path tlsKey, Path auditLog, Path stateDir,
                          boolean metrics, boolean jmx) {
        this(listen, tokensFile, tlsCertificate, tlsKey, auditLog, stateDir, metrics, jmx, false);
    }

    /** Loopback {@code 127.0.0.1:7480}, a generated admin token in {@code <stateDir>/api-token}, metrics, JMX. */
    public static ServerSettings defaults(Path stateDir) {
        return new ServerSettings(DEFAULT_LISTEN, null, null, null, null, stateDir, true, true, false, List.of(), null);
    }

    /** A copy listening on {@code listen} instead. */
    public ServerSettings withListen(String listen) {
        return new ServerSettings(listen, tokensFile, tlsCertificate, tlsKey, auditLog, stateDir, metrics, jmx, metricsPublic, peers, configFile);
    }

    /** A copy reading its tokens from {@code file}. */
    public ServerSettings withTokensFile(Path file) {
        return new ServerSettings(listen, file, tlsCertificate, tlsKey, auditLog, stateDir, metrics, jmx, metricsPublic, peers, configFile);
    }

    /** A copy serving HTTPS with this PEM certificate and key. */
    public ServerSettings withTls(Path certificate, Path key) {
        return new ServerSettings(listen, tokensFile, certificate, key, auditLog, stateDir, metrics, jmx, metricsPublic, peers, configFile);
    }

    /** A copy whose console merges the events of these nodes' APIs ({@code http[s]://host:port} each). */
    public ServerSettings withPeers(List<String> urls) {
        return new ServerSettings(listen, tokensFile, tlsCertificate, tlsKey, auditLog, stateDir, metrics, jmx, metricsPublic, urls, configFile);
    }

    /** A copy that reads the node's configuration file for the console's previews. */
    public ServerSettings withConfigFile(Path file) {
        return new ServerSettings(listen, tokensFile, tlsCertificate, tlsKey, auditLog, stateDir, metrics, jmx, metricsPublic, peers, file);
    }

    /**
     * Reads the {@code server:} section of the node's configuration (absent or {@code null}: the defaults). Relative
     * paths are resolved against {@code configDir}.
     *
     * @throws InvalidConfigException listing every problem of the section at once
     */
    public static ServerSettings fromConfig(JsonNode serverSection, Path stateDir, Path configDir) throws InvalidConfigException {
        if (serverSection == null || serverSection.isNull() || serverSection.isMissingNode()) {
            return defaults(stateDir);
        }
        List<Problem> problems = new ArrayList<>();
        if (!serverSection.isObject()) {
            throw new InvalidConfigException("server", "must be a map of settings (listen, tokensFile, tls, auditLog,"
                    + " metrics, metricsPublic, jmx, peers), not " + serverSection.getNodeType().name().toLowerCase(java.util.Locale.ROOT),
                    "write it as 'server: {listen: 127.0.0.1:7480, tokensFile: /etc/tandem/tokens}'");
        }
        for (Iterator<String> it = serverSection.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                problems.add(new Problem("server." + k, "unknown setting", "use one of " + String.join(", ",
                        KEYS.stream().sorted().toList())));
            }
        }
        String listen = text(serverSection, "listen", DEFAULT_LISTEN, problems);
        if (listen != null) {
            try {
                parseListen(listen);
            } catch (IllegalArgumentException e) {
                problems.add(new Problem("server.listen", e.getMessage(), "write it as host:port, e.g. 127.0.0.1:7480 or [::1]:7480"));
            }
        }
        Path tokens = path(serverSection, "server.", "tokensFile", configDir, problems);
        Path cert = null;
        Path key = null;
        JsonNode tls = serverSection.get("tls");
        if (tls != null && !tls.isNull()) {
            if (!tls.isObject()) {
                problems.add(new Problem("server.tls", "must be a map", "write it as 'tls: {certificate: FILE, key: FILE}'"));
            } else {
                for (Iterator<String> it = tls.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!k.equals("certificate") && !k.equals("key")) {
                        problems.add(new Problem("server.tls." + k, "unknown setting", "use certificate and key"));
                    }
                }
                cert = path(tls, "server.tls.", "certificate", configDir, problems);
                key = path(tls, "server.tls.", "key", configDir, problems);
                if ((cert == null) != (key == null)) {
                    problems.add(new Problem("server.tls", "has a " + (cert == null ? "key but no certificate" : "certificate but no key"),
                            "give both 'certificate' and 'key' (PEM files), or remove 'tls' for plain HTTP"));
                }
            }
        }
        Path audit = path(serverSection, "server.", "auditLog", configDir, problems);
        boolean metrics = bool(serverSection, "metrics", true, problems);
        boolean metricsPublic = bool(serverSection, "metricsPublic", false, problems);
        boolean jmx = bool(serverSection, "jmx", true, problems);
        List<String> peers = peers(serverSection.get("peers"), problems);
        if (tokens == null && listen != null && problems.stream().noneMatch(p -> p.field().equals("server.listen"))
                && !isLoopback(parseListen(listen).getHostString())) {
            problems.add(new Problem("server.tokensFile", "is required when the API listens on " + listen
                    + " (not a loopback address)", "create a tokens file (lines 'name role token', mode 0600) and set"
                    + " server.tokensFile, or listen on 127.0.0.1"));
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        return new ServerSettings(listen, tokens, cert, key, audit, stateDir, metrics, jmx, metricsPublic, peers, null);
    }

    /** {@code server.peers}: a list of {@code http[s]://host:port} URLs, without a path. */
    private static List<String> peers(JsonNode v, List<Problem> problems) {
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        String fix = "write it as peers: [http://192.0.2.2:7480, http://192.0.2.3:7480], the other nodes' API URLs";
        if (!v.isArray()) {
            problems.add(new Problem("server.peers", "must be a list of URLs, not " + v, fix));
            return out;
        }
        for (int i = 0; i < v.size(); i++) {
            String u = v.get(i).asText("").strip();
            String why = null;
            try {
                java.net.URI uri = new java.net.URI(u);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                    why = "is not an http:// or https:// URL";
                } else if (uri.getHost() == null || uri.getPort() < 0) {
                    why = "needs a host and a port";
                } else if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")
                        || uri.getRawQuery() != null) {
                    why = "must not have a path or query (the console adds /api/v1/...)";
                }
            } catch (java.net.URISyntaxException e) {
                why = "is not a URL (" + e.getReason() + ")";
            }
            if (!v.get(i).isTextual() || why != null) {
                problems.add(new Problem("server.peers[" + i + "]", "'" + u + "' " + (why == null ? "must be text" : why), fix));
            } else {
                out.add(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
            }
        }
        return out;
    }

    /** {@code host:port} (IPv6 in brackets) as an unresolved address. */
    static InetSocketAddress parseListen(String listen) {
        String s = listen.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("'" + listen + "' is not host:port");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("'" + listen + "': an IPv6 address goes in brackets, [::1]:7480");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + listen + "': the port '" + s.substring(colon + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + listen + "': the port is outside 0..65535 (0 picks a free one)");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String text(JsonNode o, String k, String dflt, List<Problem> problems) {
        JsonNode v = o.get(k);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            problems.add(new Problem("server." + k, "must be a non-empty text, not " + v, "write it as " + k + ": host:port"));
            return null;
        }
        return v.asText();
    }

    private static Path path(JsonNode o, String prefix, String k, Path configDir, List<Problem> problems) {
        JsonNode v = o.get(k);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            problems.add(new Problem(prefix + k, "must be a file path, not " + v, "write the path of the file"));
            return null;
        }
        Path p = Path.of(v.asText());
        return p.isAbsolute() || configDir == null ? p : configDir.resolve(p).normalize();
    }

    private static boolean bool(JsonNode o, String k, boolean dflt, List<Problem> problems) {
        JsonNode v = o.get(k);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            problems.add(new Problem("server." + k, "must be true or false, not " + v, "write " + k + ": true or " + k + ": false"));
            return dflt;
        }
        return v.asBoolean();
    }
}
