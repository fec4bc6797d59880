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
        PostgresqlResource r = build(config, context, DRIVER);
        return new ResourceParts(r, r, DbSupport.restartInPlace(r, r));
    }

    static PostgresqlResource build(PluginConfig config, NodeContext context, String driverClass) throws InvalidConfigException {
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
        r.finish();
        return new PostgresqlResource(new PostgresqlResource.Settings(config.id(), dataDirectory, binDirectory, port, host, listen,
                socketDirectory, osUser, database, credentials, query, heartbeat, fast, immediate, logFile, settings, mountPoint,
                jdbcProperties, driverClass, quickJdbc), context);
    }
}
