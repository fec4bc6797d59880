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
 * Resource type {@code mariadb}: a MariaDB or MySQL server ({@code mariadbd} or {@code mysqld}) on a data
 * directory, usually on the shared volume.
 *
 * <p>Parameters ({@code dataDirectory} and {@code user} are required):
 * <ul>
 *   <li>{@code dataDirectory}: the server's data directory (absolute path).</li>
 *   <li>{@code port} (3306), {@code host} for checks (127.0.0.1), {@code bindAddress} (server default),
 *       {@code socket} (the data directory's {@code mariadbd.sock}), {@code pidFile} (the data directory's
 *       {@code mariadbd.pid}), {@code defaultsFile} (none: {@code --no-defaults}, so that the system's my.cnf
 *       is not read), {@code serverArgs}: extra server options such as {@code --innodb-buffer-pool-size=1G}.</li>
 *   <li>{@code binary}: the server program (the first of mariadbd, mysqld found in /usr/sbin and /usr/bin).</li>
 *   <li>{@code osUser} (mysql): the owner of the data directory, passed as {@code --user} when Tandem runs as root.</li>
 *   <li>{@code user}, {@code passwordFile} or {@code passwordEnv}, {@code database}: the account of the deep
 *       check and of the SHUTDOWN statement (it needs the SHUTDOWN privilege for a clean stop).</li>
 *   <li>{@code checkQuery}, {@code heartbeatWrite} (false) and {@code heartbeatTable} (tandem_heartbeat, in
 *       {@code database}, which heartbeatWrite requires).</li>
 *   <li>{@code stopGrace} (20s): time for SHUTDOWN before SIGTERM; {@code termGrace} (10s) before SIGKILL, the
 *       last resort, logged loudly.</li>
 *   <li>{@code logFile} (the node's state directory), {@code mountPoint}, {@code jdbcProperties}.</li>
 * </ul>
 * The quick check looks at the server process and logs in over JDBC ({@link java.sql.Connection#isValid}, a
 * COM_PING): a bare handshake probe would make the server log an "aborted connection" warning at every check.
 * The deep check runs the query (and the heartbeat write) with the check's timeout. Recovery restarts in place.
 * Needs the JDBC driver {@code org.mariadb.jdbc:mariadb-java-client} on the classpath.
 */
public final class MariadbType implements ResourceType {
    static final String DRIVER = "org.mariadb.jdbc.Driver";
    static final String DEFAULT_QUERY = "SELECT COUNT(*) FROM information_schema.SCHEMATA";

    @Override
    public String name() {
        return "mariadb";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        MariadbResource r = build(config, context, DRIVER);
        return new ResourceParts(r, r, DbSupport.restartInPlace(r, r));
    }

    static MariadbResource build(PluginConfig config, NodeContext context, String driverClass) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        Path dataDirectory = DbSupport.absolutePath(r, "dataDirectory", "/srv/shared/mariadb");
        Path binary = DbSupport.optionalPath(r, "binary", "/usr/sbin/mariadbd");
        int port = r.integer("port", 3306, 1, 65535);
        String host = r.string("host", "127.0.0.1");
        String bind = r.string("bindAddress", null);
        Path socket = DbSupport.optionalPath(r, "socket", "/run/mysqld/tandem-db.sock");
        Path pidFile = DbSupport.optionalPath(r, "pidFile", "/run/mysqld/tandem-db.pid");
        if (dataDirectory != null) {
            socket = socket != null ? socket : dataDirectory.resolve("mariadbd.sock");
            pidFile = pidFile != null ? pidFile : dataDirectory.resolve("mariadbd.pid");
            if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
                r.problem("socket", "the socket path " + socket + " is longer than the 107 bytes a Unix socket allows",
                        "set socket to a shorter path, such as /run/mysqld/" + config.id() + ".sock");
            }
        }
        String osUser = r.string("osUser", "mysql");
        Path defaults = DbSupport.optionalPath(r, "defaultsFile", "/etc/mysql/tandem-db.cnf");
        List<String> serverArgs = r.strings("serverArgs", List.of());
        for (String a : serverArgs) {
            if (!a.startsWith("--")) {
                r.problem("serverArgs", "'" + a + "' is not a long server option", "write options like --innodb-buffer-pool-size=1G");
            } else if (a.startsWith("--datadir") || a.startsWith("--port") || a.startsWith("--socket") || a.startsWith("--pid-file")
                    || a.startsWith("--user") || a.startsWith("--defaults-file") || a.startsWith("--no-defaults")) {
                r.problem("serverArgs", "'" + a + "' is set by its own parameter", "use dataDirectory, port, socket, pidFile, osUser or defaultsFile");
            }
        }
        String database = r.string("database", null);
        Credentials credentials = Credentials.read(r, null);
        if (credentials.user() == null) {
            r.problem("user", "the MariaDB account for checks and SHUTDOWN is missing",
                    "add user: (an account with SHUTDOWN and PROCESS privileges) and passwordFile or passwordEnv");
        }
        String query = r.string("checkQuery", DEFAULT_QUERY);
        String heartbeat = DbSupport.heartbeatTable(r);
        if (heartbeat != null && database == null && !heartbeat.contains(".")) {
            r.problem("heartbeatTable", "heartbeatWrite needs a database for the table", "set database, or write heartbeatTable as db.table");
        }
        Duration stopGrace = r.duration("stopGrace", Duration.ofSeconds(20));
        Duration termGrace = r.duration("termGrace", Duration.ofSeconds(10));
        Path logFile = DbSupport.optionalPath(r, "logFile", "/var/log/mysql/tandem-db.log");
        if (logFile == null) {
            logFile = context.stateDirectory().resolve(config.id() + "-mariadb.log");
        }
        Path mountPoint = DbSupport.mountPoint(r, dataDirectory);
        var jdbcProperties = DbSupport.jdbcProperties(r);
        DbSupport.requireDriver(r, driverClass, "jdbc:mariadb:");
        r.finish();
        return new MariadbResource(new MariadbResource.Settings(config.id(), dataDirectory, binary, port, host, bind, socket, pidFile,
                osUser, defaults, serverArgs, database, credentials, query, heartbeat, stopGrace, termGrace, logFile, mountPoint,
                jdbcProperties, driverClass), context);
    }
}
