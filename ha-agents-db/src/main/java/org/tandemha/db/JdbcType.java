package org.tandemha.db;

import java.nio.file.Path;
import java.util.List;
import org.tandemha.api.ActionResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Recoverer;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;

/**
 * Resource type {@code jdbc}: any database with a JDBC driver on the classpath (Oracle, SQL Server, DB2, Sybase,
 * Informix...). The quick check is {@link java.sql.Connection#isValid} with the check's timeout; the deep check
 * runs {@code checkQuery}. Optional {@code start}, {@code stop} and {@code status} commands (argument lists; status
 * exits 0 when running, 7 when stopped) manage the server; without them the resource only watches.
 *
 * <p>Parameters: {@code url} (required; no password in it), {@code driverClass} (else found by URL),
 * {@code user}, {@code passwordFile} or {@code passwordEnv}, {@code jdbcProperties}, {@code checkQuery},
 * {@code start}, {@code stop}, {@code status}, {@code osUser} (run the commands as this user), {@code environment},
 * {@code workingDirectory}, {@code waitForConnection} (true: start returns once a connection is valid).
 */
public final class JdbcType implements ResourceType {
    @Override
    public String name() {
        return "jdbc";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        JdbcResource r = build(config);
        Recoverer recoverer = r.canRestart() ? DbSupport.restartInPlace(r, r)
                : (ctx, failure) -> ActionResult.failed(Severity.SOFT, "database " + config.id()
                        + ": no start command, so no local restart; the group fails over");
        return new ResourceParts(r, r, recoverer);
    }

    static JdbcResource build(PluginConfig config) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String url = r.string("url");
        if (url != null && !url.startsWith("jdbc:")) {
            r.problem("url", "'" + url + "' is not a JDBC URL", "write it like jdbc:oracle:thin:@//db-vip:1521/ORCL");
            url = null;
        }
        if (url != null && url.toLowerCase(java.util.Locale.ROOT).matches(".*[;?&:]password=.*")) {
            r.problem("url", "the URL carries a password", "remove it from the URL and use passwordFile or passwordEnv");
            url = null;
        }
        String driverClass = r.string("driverClass", null);
        Credentials credentials = Credentials.read(r, null);
        var props = DbSupport.jdbcProperties(r);
        String query = r.string("checkQuery", null);
        List<String> start = command(r, "start");
        List<String> stop = command(r, "stop");
        List<String> status = command(r, "status");
        if (r.has("start") && !r.has("stop")) {
            r.problem("stop", "a start command without a stop command", "add stop: [...], so that the database can be moved safely");
        }
        String osUser = r.string("osUser", null);
        var env = r.map("environment");
        Path dir = DbSupport.optionalPath(r, "workingDirectory", "/opt/db");
        boolean wait = r.bool("waitForConnection", true);
        if (url != null) {
            try {
                JdbcProbe.driver(driverClass, url);
            } catch (JdbcProbe.MissingDriverException e) {
                r.problem(driverClass != null ? "driverClass" : "url", e.getMessage(), "add the driver jar to the application's classpath");
            }
        }
        r.finish();
        return new JdbcResource(new JdbcResource.Settings(config.id(), url, driverClass, credentials, props, query, start, stop, status,
                osUser, env, dir, wait));
    }

    private static List<String> command(PluginConfig.Reader r, String key) {
        List<String> argv = r.strings(key, null);
        if (argv != null && (argv.isEmpty() || argv.get(0).isBlank())) {
            r.problem(key, "'" + key + "' is empty", "write it as a list: [/opt/db/bin/dbctl, " + key + "]");
            return null;
        }
        if (argv != null && !Path.of(argv.get(0)).isAbsolute()) {
            r.problem(key, "'" + argv.get(0) + "' is not an absolute path", "write the full path of the program");
            return null;
        }
        return argv;
    }
}
