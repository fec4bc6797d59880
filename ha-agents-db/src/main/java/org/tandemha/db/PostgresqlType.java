package org.tandemha.db;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * Resource type {@code postgresql}: a PostgreSQL server on a data directory, usually on the shared volume.
 *
 * <p>Parameters (only {@code dataDirectory} is required):
 * <ul>
 *   <li>{@code dataDirectory}: the cluster's data directory (absolute path).</li>
 *   <li>{@code port} (5432), {@code host} for checks (127.0.0.1), {@code listenAddresses} (server default),
 *       {@code socketDirectory} (server default), {@code settings}: extra {@code name=value} server settings.</li>
 *   <li>{@code binDirectory}: where {@code pg_ctl} is (the newest {@code /usr/lib/postgresql/N/bin}, else PATH).</li>
 *   <li>{@code osUser} (postgres): the owner of the data directory; the server runs as this user when Tandem runs
 *       as root.</li>
 *   <li>{@code database} (postgres), {@code user} (postgres), {@code passwordFile} or {@code passwordEnv}: for the
 *       deep check over JDBC; the password is never written in the configuration.</li>
 *   <li>{@code checkQuery}: the deep check's query; {@code heartbeatWrite} (false) and {@code heartbeatTable}
 *       (tandem_heartbeat): also write this node's row in a small table.</li>
 *   <li>{@code stopGrace} (20s): time for a fast shutdown before an immediate one; {@code immediateGrace} (5s)
 *       before the postmaster is killed, loudly, as a last resort.</li>
 *   <li>{@code logFile} (the data directory's {@code tandem-postgresql.log}), {@code mountPoint}: if set, start
 *       refuses unless that file system is mounted here, {@code jdbcProperties}: extra driver properties.</li>
 * </ul>
 * The quick check looks at the postmaster process and opens a connection at the protocol level (an SSLRequest
 * that the server's new backend answers; no password needed, nothing logged); {@code quickCheck: jdbc} makes it a
 * JDBC login with {@link java.sql.Connection#isValid} instead. The deep check runs the query through JDBC with the check's timeout. Recovery restarts in place.
 * Needs the JDBC driver {@code org.postgresql:postgresql} on the classpath.
 */
public final class PostgresqlType implements ResourceType {
    static final String DRIVER = "org.postgresql.Driver";
    static final String DEFAULT_QUERY = "SELECT count(*) FROM pg_catalog.pg_database";

    @Override
    public String name() {
        return "postgresql";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        Object built = buildAny(config, context, DRIVER);
        if (built instanceof ReplicatedPostgresql rp) {
            // a primary restarts in place as a primary (the replicated start would make it a standby)
            return new ResourceParts(rp, rp, DbSupport.restartInPlace(rp.server(), rp));
        }
        PostgresqlResource r = (PostgresqlResource) built;
        return new ResourceParts(r, r, DbSupport.restartInPlace(r, r));
    }

    static PostgresqlResource build(PluginConfig config, NodeContext context, String driverClass) throws InvalidConfigException {
        Object built = buildAny(config, context, driverClass);
        return built instanceof ReplicatedPostgresql rp ? rp.server() : (PostgresqlResource) built;
    }

    /** The replicated resource when the configuration has {@code replication}, else the plain one. */
    static ReplicatedPostgresql buildReplicated(PluginConfig config, NodeContext context) throws InvalidConfigException {
        Object built = buildAny(config, context, DRIVER);
        if (!(built instanceof ReplicatedPostgresql rp)) {
            throw new IllegalArgumentException("resource " + config.id() + " has no replication section");
        }
        return rp;
    }

    private static Object buildAny(PluginConfig config, NodeContext context, String driverClass) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        Path dataDirectory = DbSupport.absolutePath(r, "dataDirectory", "/srv/shared/pgdata");
        Path binDirectory = DbSupport.optionalPath(r, "binDirectory", "/usr/lib/postgresql/15/bin");
        int port = r.integer("port", 5432, 1, 65535);
        String host = r.string("host", "127.0.0.1");
        String listen = r.string("listenAddresses", null);
        Path socketDirectory = DbSupport.optionalPath(r, "socketDirectory", "/run/postgresql");
        String osUser = r.string("osUser", "postgres");
        String database = r.string("database", "postgres");
        Credentials credentials = Credentials.read(r, "postgres");
        String query = r.string("checkQuery", DEFAULT_QUERY);
        String heartbeat = DbSupport.heartbeatTable(r);
        Duration fast = r.duration("stopGrace", Duration.ofSeconds(20));
        Duration immediate = r.duration("immediateGrace", Duration.ofSeconds(5));
        Path logFile = DbSupport.optionalPath(r, "logFile", "/var/log/postgresql/tandem-pg.log");
        List<String> settings = r.strings("settings", List.of());
        for (String setting : settings) {
            if (!setting.matches("[A-Za-z_][A-Za-z0-9_.]*=.*")) {
                r.problem("settings", "'" + setting + "' is not a server setting of the form name=value", "write it like shared_buffers=256MB");
            }
        }
        Path mountPoint = DbSupport.mountPoint(r, dataDirectory);
        boolean quickJdbc = "jdbc".equals(r.oneOf("quickCheck", "protocol", "protocol", "jdbc"));
        var jdbcProperties = DbSupport.jdbcProperties(r);
        if (database != null && database.isBlank()) {
            r.problem("database", "database is empty", "name a database, such as postgres");
        }
        DbSupport.requireDriver(r, driverClass, "jdbc:postgresql:");
        ReplicatedPostgresql.Replication repl = replication(r, config, context.nodeId(), host, port, credentials,
                (int) context.peers().stream().filter(n -> !n.equals(context.nodeId())).count());
        r.finish();
        if (repl != null) {
            settings = ReplicatedPostgresql.serverSettings(repl,
                    context.drNodes().contains(context.nodeId()) ? List.of() // a DR node promoted: no synchronous standby
                            : context.peers().stream().filter(n -> !n.equals(context.nodeId()))
                            .filter(n -> !context.drNodes().contains(n)).toList(), settings); // (a DR standby is asynchronous)
        }
        PostgresqlResource.Settings ps = new PostgresqlResource.Settings(config.id(), dataDirectory, binDirectory, port, host,
                listen, socketDirectory, osUser, database, credentials, query, heartbeat, fast, immediate, logFile, settings,
                mountPoint, jdbcProperties, driverClass, quickJdbc);
        PostgresqlResource plain = new PostgresqlResource(ps, context);
        return repl == null ? plain : new ReplicatedPostgresql(plain, ps, repl, context);
    }

    private static final java.util.Set<String> REPLICATION_KEYS = java.util.Set.of("mode", "address", "addresses", "user",
            "passwordFile", "quorumCommit", "maxLagOnFailover");

    /**
     * {@code replication: {mode: async|sync, address: host:port, user, passwordFile}}, or null without it. The
     * configuration is the same on every node, so each node's address is best given as
     * {@code addresses: {node1: "192.0.2.1:5432", node2: ...}}; {@code address} is for a node's own file.
     */
    private static ReplicatedPostgresql.Replication replication(PluginConfig.Reader r, PluginConfig config, String self,
                                                               String host, int port, Credentials checkCredentials,
                                                               int standbys) {
        if (!r.has("replication")) {
            return null;
        }
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>(r.map("replication"));
        Object raw = config.params().get("replication");
        if (raw instanceof java.util.Map<?, ?> rm && rm.get("addresses") != null) {
            if (rm.get("addresses") instanceof java.util.Map<?, ?> am) {
                Object mine = am.get(self);
                if (mine == null) {
                    r.problem("replication", "replication addresses name no address for node " + self,
                            "add " + self + ": \"host:port\" under replication.addresses");
                } else {
                    m.put("address", String.valueOf(mine));
                }
            } else {
                r.problem("replication", "replication addresses must map node ids to host:port",
                        "write addresses: {node1: \"192.0.2.1:5432\", node2: \"192.0.2.2:5432\"}");
            }
            m.remove("addresses");
        }
        for (String k : m.keySet()) {
            if (!REPLICATION_KEYS.contains(k)) {
                r.problem("replication", "unknown replication setting '" + k + "'", "use mode, address, user, passwordFile, quorumCommit, maxLagOnFailover");
            }
        }
        String mode = m.getOrDefault("mode", "").strip().toLowerCase(java.util.Locale.ROOT);
        if (!mode.equals("async") && !mode.equals("sync") && !mode.equals("quorum")) {
            r.problem("replication", mode.isEmpty() ? "replication needs a mode" : "unknown replication mode '" + mode + "'",
                    "write mode: sync (no acknowledged commit is lost on failover; writes wait for every standby),"
                    + " mode: quorum with quorumCommit: k (writes wait for k standbys) or"
                    + " mode: async (commits do not wait; a failover may lose the last ones, reported in the promotion event)");
        }
        int quorumCommit = 0;
        String qc = m.get("quorumCommit");
        if (mode.equals("quorum")) {
            if (qc == null || !qc.strip().matches("\\d{1,3}") || Integer.parseInt(qc.strip()) < 1
                    || Integer.parseInt(qc.strip()) > Math.max(1, standbys)) {
                r.problem("replication", qc == null ? "mode quorum needs quorumCommit" : "quorumCommit '" + qc
                        + "' is not between 1 and the number of standbys (" + standbys + ")",
                        "write quorumCommit: k, the number of standbys that must have a commit before it is acknowledged"
                        + " (1 to " + Math.max(1, standbys) + ")");
            } else {
                quorumCommit = Integer.parseInt(qc.strip());
            }
        } else if (qc != null) {
            r.problem("replication", "quorumCommit is for mode quorum, not " + mode, "remove quorumCommit or write mode: quorum");
        }
        long maxLag = -1;
        String ml = m.get("maxLagOnFailover");
        if (ml != null) {
            if (!mode.equals("async")) {
                r.problem("replication", "maxLagOnFailover is for mode async (" + mode + " loses no acknowledged commit)",
                        "remove maxLagOnFailover or write mode: async");
            }
            maxLag = bytes(ml);
            if (maxLag < 0) {
                r.problem("replication", "maxLagOnFailover '" + ml + "' is not a size", "write a size such as 16MB, 512kB or 0");
            }
        }
        String address = m.getOrDefault("address", host + ":" + port).strip();
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || !address.substring(colon + 1).matches("\\d{1,5}")) {
            r.problem("replication", "replication address '" + address + "' is not host:port",
                    "write the address the other nodes reach this server at, such as 192.0.2.11:5432");
        }
        String pwFile = m.get("passwordFile");
        Credentials creds = checkCredentials;
        String user = m.getOrDefault("user", checkCredentials.user());
        if (pwFile != null) {
            if (!java.nio.file.Path.of(pwFile).isAbsolute()) {
                r.problem("replication", "replication passwordFile '" + pwFile + "' is not an absolute path",
                        "write the full path, such as /etc/tandem/replication.pass");
            }
            creds = new Credentials(user, java.nio.file.Path.of(pwFile), null, System::getenv);
        }
        return new ReplicatedPostgresql.Replication(mode.isEmpty() ? "async" : mode, address, user, creds, quorumCommit,
                maxLag);
    }

    /** A size: bytes, or with kB, MB, GB (1024-based, as PostgreSQL writes them); -1 when it is not one. */
    static long bytes(String v) {
        java.util.regex.Matcher x = java.util.regex.Pattern.compile("(\\d{1,12})\\s*(|B|kB|KB|MB|GB)").matcher(v.strip());
        if (!x.matches()) {
            return -1;
        }
        long n = Long.parseLong(x.group(1));
        return switch (x.group(2)) {
            case "kB", "KB" -> n << 10;
            case "MB" -> n << 20;
            case "GB" -> n << 30;
            default -> n;
        };
    }
}
