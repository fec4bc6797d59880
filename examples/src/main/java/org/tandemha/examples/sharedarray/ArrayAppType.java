package org.tandemha.examples.sharedarray;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;

/**
 * Resource type {@code array-app}: the small HTTP service of the shared-array example, run inside the node's JVM
 * (so that its start is a socket bind, not a JVM start).
 *
 * <p>Parameters: {@code bind} (the address to listen on, usually the group's floating address; default
 * {@code 0.0.0.0}), {@code port} (8080), {@code database} (optional JDBC URL of PostgreSQL, reached through the
 * database group's floating address), {@code hangFile} (optional, for the fault lab: while the file
 * {@code <hangFile>-<node id>} exists, a stop waits for it to go away, up to 120 s, before it stops anything: a stop
 * that hangs). Requests: {@code GET /}
 * answers {@code ok <node> gen=<generation of the start that serves>}; with a database,
 * {@code POST /write?id=N} inserts row N and answers 200 only after PostgreSQL committed it, and {@code GET /ids}
 * lists every stored id (one per line).
 */
final class ArrayAppType implements ResourceType {
    @Override
    public String name() {
        return "array-app";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext node) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String bind = r.string("bind", "0.0.0.0");
        int port = r.integer("port", 8080, 1, 65535);
        String database = r.string("database", null);
        String hangPrefix = r.string("hangFile", null);
        String hangFile = hangPrefix == null ? null : hangPrefix + "-" + node.nodeId();
        if (database != null && !database.startsWith("jdbc:postgresql:")) {
            r.problem("database", "'" + database + "' is not a PostgreSQL JDBC URL", "write jdbc:postgresql://192.0.2.11:5432/postgres");
        }
        r.finish();
        App app = new App(node.nodeId(), bind, port, database);
        App.warmUp();
        Resource resource = new Resource() {
            @Override
            public ActionResult start(ActionContext c) {
                try {
                    app.generation = c.generation();
                    app.start();
                    return ActionResult.done("listening on " + bind + ":" + port);
                } catch (IOException e) {
                    return ActionResult.failed(Severity.SOFT, "cannot listen on " + bind + ":" + port + ": " + e.getMessage());
                }
            }

            @Override
            public ActionResult stop(ActionContext c) {
                if (hangFile != null) {
                    long until = System.nanoTime() + 120_000_000_000L;
                    while (java.nio.file.Files.exists(java.nio.file.Path.of(hangFile)) && System.nanoTime() - until < 0) {
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return ActionResult.failed(Severity.SOFT, "stop interrupted while " + hangFile + " exists");
                        }
                    }
                }
                app.stop();
                return ActionResult.done("stopped listening on " + bind + ":" + port);
            }
        };
        return ResourceParts.of(resource, c -> app.running() ? CheckResult.ok("listening on " + bind + ":" + port)
                : CheckResult.notRunning("not listening on " + bind + ":" + port));
    }

    /** The service: one HTTP server and one database connection, both owned by this object. */
    static final class App {
        private final String node;
        private final String bind;
        private final int port;
        private final String database;
        private HttpServer server;
        private ExecutorService workers;
        private Connection connection;
        /** The generation of the start that serves (0 before the first start). */
        volatile long generation;

        App(String node, String bind, int port, String database) {
            this.node = node;
            this.bind = bind;
            this.port = port;
            this.database = database;
        }

        private static volatile boolean warm;

        /**
         * Serves one request on a loopback port once per JVM, when the configuration is read: the HTTP server's classes
         * are then loaded before a takeover needs them (about 30 ms of a failover otherwise).
         */
        static void warmUp() {
            if (warm) {
                return;
            }
            warm = true;
            App a = new App("warm-up", "127.0.0.1", 0, null);
            try {
                a.start();
                int p = a.server.getAddress().getPort();
                ArrayClient.httpGet("http://127.0.0.1:" + p + "/", 500, 1000);
            } catch (IOException | RuntimeException e) {
                // only a warm-up
            } finally {
                a.stop();
            }
        }

        synchronized void start() throws IOException {
            if (server != null) {
                return;
            }
            HttpServer s = HttpServer.create(new InetSocketAddress(bind, port), 64);
            ExecutorService w = Executors.newFixedThreadPool(2, runnable -> {
                Thread t = new Thread(runnable, "array-app");
                t.setDaemon(true);
                return t;
            });
            s.setExecutor(w);
            s.createContext("/", this::handle);
            s.start();
            server = s;
            workers = w;
        }

        synchronized boolean running() {
            return server != null;
        }

        void stop() {
            HttpServer s;
            ExecutorService w;
            synchronized (this) {
                s = server;
                w = workers;
                server = null;
                workers = null;
            }
            if (s != null) {
                s.stop(0);
            }
            if (w != null) {
                w.shutdownNow();
                try {
                    w.awaitTermination(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (this) {
                closeConnection();
            }
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                String query = ex.getRequestURI().getQuery();
                if (path.equals("/")) {
                    reply(ex, 200, "ok " + node + " gen=" + generation + "\n");
                } else if (path.equals("/write") && database != null && query != null && query.startsWith("id=")) {
                    long id;
                    try {
                        id = Long.parseLong(query.substring(3));
                    } catch (NumberFormatException e) {
                        reply(ex, 400, "bad id\n");
                        return;
                    }
                    try {
                        write(id);
                        reply(ex, 200, "stored " + id + " via " + node + "\n");
                    } catch (SQLException e) {
                        reply(ex, 503, "database: " + e.getMessage() + "\n");
                    }
                } else if (path.equals("/ids") && database != null) {
                    try {
                        reply(ex, 200, ids());
                    } catch (SQLException e) {
                        reply(ex, 503, "database: " + e.getMessage() + "\n");
                    }
                } else {
                    reply(ex, 404, "no such page\n");
                }
            }
        }

        private static void reply(HttpExchange ex, int code, String body) throws IOException {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(code, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }

        private synchronized void write(long id) throws SQLException {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO writes(id, node) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")) {
                ps.setLong(1, id);
                ps.setString(2, node);
                ps.executeUpdate(); // autocommit: returns once PostgreSQL committed (synchronous_commit on)
            } catch (SQLException e) {
                closeConnection();
                throw e;
            }
        }

        private synchronized String ids() throws SQLException {
            Connection c = connection();
            StringBuilder sb = new StringBuilder();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM writes ORDER BY id")) {
                while (rs.next()) {
                    sb.append(rs.getLong(1)).append('\n');
                }
            } catch (SQLException e) {
                closeConnection();
                throw e;
            }
            return sb.toString();
        }

        private Connection connection() throws SQLException {
            if (connection == null) {
                // Short timeouts: during a failover the database is away for a while; the client retries.
                String url = database + (database.contains("?") ? "&" : "?") + "connectTimeout=1&socketTimeout=3&loginTimeout=2";
                Connection c = DriverManager.getConnection(url, "postgres", "");
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE IF NOT EXISTS writes (id bigint PRIMARY KEY, node text, at timestamptz DEFAULT now())");
                }
                connection = c;
            }
            return connection;
        }

        private void closeConnection() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // the server is gone; nothing to close cleanly
                }
                connection = null;
            }
        }
    }
}
