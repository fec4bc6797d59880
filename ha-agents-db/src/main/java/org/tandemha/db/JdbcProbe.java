package org.tandemha.db;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.tandemha.api.ActionContext;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Durations;
import org.tandemha.api.Severity;

/**
 * Runs JDBC work (connect, validate, query) with a hard bound: the work runs on a daemon thread and the caller
 * stops waiting at the deadline, aborting the connection. A driver that ignores its own timeouts can therefore not
 * hang a check; at most {@link #MAX_BLOCKED} calls per resource may be left blocked in a driver at once.
 */
final class JdbcProbe {
    static final int MAX_BLOCKED = 3;
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tandem-jdbc");
        t.setDaemon(true);
        return t;
    });

    /** Maven coordinates of well-known drivers, by URL sub-protocol, for the "driver missing" message. */
    private static final Map<String, String> COORDINATES = Map.of(
            "postgresql", "org.postgresql:postgresql",
            "mariadb", "org.mariadb.jdbc:mariadb-java-client",
            "mysql", "com.mysql:mysql-connector-j (or org.mariadb.jdbc:mariadb-java-client with a jdbc:mariadb: URL)",
            "oracle", "com.oracle.database.jdbc:ojdbc11",
            "sqlserver", "com.microsoft.sqlserver:mssql-jdbc",
            "db2", "com.ibm.db2:jcc",
            "jtds", "net.sourceforge.jtds:jtds",
            "sybase", "com.sybase.jdbc4:jconn4 (from the SAP/Sybase installation) or net.sourceforge.jtds:jtds",
            "informix-sqli", "com.ibm.informix:jdbc",
            "h2", "com.h2database:h2");

    /** Work done on a connection; returns a short description of what it found. */
    @FunctionalInterface
    interface Work {
        String run(Connection connection, int timeoutSeconds) throws SQLException;
    }

    /** {@link Connection#isValid} with the call's timeout. */
    static final Work IS_VALID = (c, seconds) -> {
        if (!c.isValid(seconds)) {
            throw new SQLException("Connection.isValid returned false", "08006");
        }
        return "";
    };

    private final String what;
    private final String url;
    private final String driverClass;
    private final String coordinates;
    private final Credentials credentials;
    private final Map<String, String> properties;
    private final BiConsumer<Properties, Duration> timeoutProperties;
    private final AtomicInteger blocked = new AtomicInteger();

    /**
     * @param what              how to name the database in messages ("PostgreSQL on port 5433")
     * @param driverClass       the driver class to load, or null to ask {@link DriverManager} for the URL
     * @param timeoutProperties sets driver-specific timeout properties for a call with the given time left
     */
    JdbcProbe(String what, String url, String driverClass, Credentials credentials, Map<String, String> properties,
              BiConsumer<Properties, Duration> timeoutProperties) {
        this.what = what;
        this.url = url;
        this.driverClass = driverClass;
        this.coordinates = coordinatesFor(url);
        this.credentials = credentials;
        this.properties = Map.copyOf(properties);
        this.timeoutProperties = timeoutProperties;
    }

    String url() {
        return url;
    }

    /** The Maven coordinates of the driver for a URL, or a generic hint. */
    static String coordinatesFor(String url) {
        String[] parts = url == null ? new String[0] : url.split(":");
        if (parts.length > 1) {
            String c = COORDINATES.get(parts[1].toLowerCase(java.util.Locale.ROOT));
            if (c != null) {
                return c;
            }
        }
        return "the database vendor's JDBC driver jar";
    }

    /**
     * Finds the driver: by class name when given, else the one registered for the URL.
     *
     * @throws MissingDriverException naming the Maven coordinates to add
     */
    static Driver driver(String driverClass, String url) throws MissingDriverException {
        String coords = coordinatesFor(url);
        if (driverClass != null) {
            try {
                ClassLoader cl = Thread.currentThread().getContextClassLoader();
                Class<?> c = Class.forName(driverClass, true, cl != null ? cl : JdbcProbe.class.getClassLoader());
                return (Driver) c.getDeclaredConstructor().newInstance();
            } catch (ClassNotFoundException | NoClassDefFoundError e) {
                throw new MissingDriverException("JDBC driver class " + driverClass + " is not on the classpath; add the Maven dependency "
                        + coords + " to the application");
            } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
                throw new MissingDriverException("JDBC driver class " + driverClass + " cannot be loaded (" + e + "); check "
                        + coords + " on the classpath");
            }
        }
        try {
            return DriverManager.getDriver(url);
        } catch (SQLException e) {
            throw new MissingDriverException("no JDBC driver on the classpath accepts URLs like " + prefix(url)
                    + "; add the Maven dependency " + coords + " to the application");
        }
    }

    private static String prefix(String url) {
        String[] parts = url.split(":");
        return parts.length > 1 ? parts[0] + ":" + parts[1] + ":..." : url;
    }

    /** Opens a connection, runs the work and closes, within the context's deadline. Never throws. */
    CheckResult run(ActionContext context, String action, Work work) {
        long t0 = System.nanoTime();
        Duration budget = context.remaining();
        if (budget.isZero()) {
            return CheckResult.timeout(Duration.ZERO);
        }
        if (blocked.get() >= MAX_BLOCKED) {
            return CheckResult.failed(what + ": " + blocked.get() + " earlier JDBC calls are still blocked in the driver;"
                    + " the database does not answer (stuck server or network)");
        }
        Driver driver;
        Properties props = new Properties();
        try {
            driver = driver(driverClass, url);
            props.putAll(properties);
            if (credentials.user() != null) {
                props.setProperty("user", credentials.user());
            }
            String pw = credentials.password();
            if (pw != null) {
                props.setProperty("password", pw);
            }
        } catch (MissingDriverException e) {
            return CheckResult.failed(Severity.HARD, what + ": " + e.getMessage());
        } catch (Credentials.CredentialException e) {
            return CheckResult.failed(Severity.HARD, what + ": " + e.getMessage());
        }
        timeoutProperties.accept(props, budget);
        int seconds = (int) Math.max(1, (budget.toMillis() + 999) / 1000);
        AtomicReference<Connection> open = new AtomicReference<>();
        blocked.incrementAndGet();
        Future<String> f;
        try {
            f = POOL.submit(() -> {
                try {
                    Connection c = driver.connect(url, props);
                    if (c == null) {
                        throw new SQLException("the driver " + driver.getClass().getName() + " does not accept this URL", "08001");
                    }
                    open.set(c);
                    try (c) {
                        return work.run(c, seconds);
                    }
                } finally {
                    blocked.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            blocked.decrementAndGet();
            return CheckResult.failed(what + ": cannot run the check: " + e);
        }
        try {
            String detail = f.get(budget.toNanos(), TimeUnit.NANOSECONDS);
            return CheckResult.ok(what + ": " + action + " ok" + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"))
                    .withDuration(Duration.ofNanos(System.nanoTime() - t0));
        } catch (TimeoutException e) {
            f.cancel(true);
            Connection c = open.get();
            if (c != null) {
                try {
                    c.abort(POOL);
                } catch (SQLException | RuntimeException ignored) {
                    // the connection is abandoned either way
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            return new CheckResult(CheckResult.Health.TIMEOUT, Severity.SOFT,
                    what + ": " + action + " got no answer within " + Durations.format(took)
                            + (c == null ? " (connecting)" : " (connected, waiting for the query)") + "; the server may be stuck",
                    took, java.util.List.of());
        } catch (ExecutionException e) {
            return classify(action, e.getCause()).withDuration(Duration.ofNanos(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            return CheckResult.failed(what + ": " + action + " interrupted");
        }
    }

    /** Turns a driver failure into a check result an operator can act on. */
    CheckResult classify(String action, Throwable t) {
        if (!(t instanceof SQLException e)) {
            return CheckResult.failed(what + ": " + action + " failed: " + credentials.scrub(String.valueOf(t)));
        }
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String msg = credentials.scrub(firstLine(e.getMessage()));
        if (state.startsWith("28") || e.getErrorCode() == 1045) {
            return CheckResult.failed(Severity.HARD, what + ": bad credentials for user '" + credentials.user() + "' ("
                    + msg + "); fix user and passwordFile/passwordEnv, or the server's access rules");
        }
        if (state.equals("3D000") || e.getErrorCode() == 1049) {
            return CheckResult.failed(Severity.HARD, what + ": the database named in the configuration does not exist (" + msg + ")");
        }
        if (e instanceof java.sql.SQLTimeoutException || msg.contains("timed out") || msg.contains("timeout")) {
            return new CheckResult(CheckResult.Health.TIMEOUT, Severity.SOFT, what + ": " + action + " timed out in the driver (" + msg
                    + "); the server may be stuck", Duration.ZERO, java.util.List.of());
        }
        if (state.startsWith("08") || state.equals("57P03")) {
            return CheckResult.failed(what + ": cannot connect to " + safeUrl() + " (" + msg + ")");
        }
        if (state.equals("57014")) {
            return new CheckResult(CheckResult.Health.TIMEOUT, Severity.SOFT, what + ": " + action + " timed out (" + msg + ")",
                    Duration.ZERO, java.util.List.of());
        }
        return CheckResult.failed(what + ": " + action + " failed: " + msg + (state.isEmpty() ? "" : " [SQLState " + state + "]"));
    }

    /** The URL without any query part (which might carry options a user thinks private). */
    String safeUrl() {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The driver is not on the classpath; the message names the Maven coordinates. */
    static final class MissingDriverException extends Exception {
        private static final long serialVersionUID = 1L;

        MissingDriverException(String message) {
            super(message);
        }
    }
}
