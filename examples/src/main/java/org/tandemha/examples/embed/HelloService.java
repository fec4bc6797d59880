package org.tandemha.examples.embed;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The application's own service, which knows nothing of Tandem: a tiny HTTP server on the JDK's
 * {@code com.sun.net.httpserver} that answers {@code GET /} with its greeting and {@code GET /health} with
 * {@code ok}. {@link HelloServiceType} makes it a cluster resource.
 */
public final class HelloService {
    private final String host;
    private final int port;
    private final String greeting;
    private HttpServer server;
    private ExecutorService executor;

    /** A service that will listen on {@code host:port} and answer {@code greeting}. */
    public HelloService(String host, int port, String greeting) {
        this.host = host;
        this.port = port;
        this.greeting = greeting;
    }

    /** Starts listening; does nothing if it already listens. */
    public synchronized void start() throws IOException {
        if (server != null) {
            return;
        }
        HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
        s.createContext("/", ex -> answer(ex, ex.getRequestURI().getPath().equals("/health") ? "ok\n" : greeting + "\n"));
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "hello-http-" + port);
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(executor);
        s.start();
        server = s;
    }

    private static void answer(HttpExchange ex, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops listening; does nothing if it is stopped. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
        server = null;
        executor = null;
    }

    /** Whether it was started and not stopped. */
    public synchronized boolean running() {
        return server != null;
    }

    /** Where it listens, as {@code host:port}. */
    public String address() {
        return host + ":" + port;
    }

    /**
     * Asks {@code GET /health} as a client would, within {@code timeout}.
     *
     * @throws IOException if it does not answer {@code ok} in time
     */
    public void probe(Duration timeout) throws IOException {
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        HttpURLConnection c = (HttpURLConnection) new URL("http://" + address() + "/health").openConnection();
        c.setConnectTimeout(ms);
        c.setReadTimeout(ms);
        try {
            int code = c.getResponseCode();
            String body;
            try (InputStream in = c.getInputStream()) {
                body = new String(in.readNBytes(64), StandardCharsets.UTF_8).strip();
            }
            if (code != 200 || !body.equals("ok")) {
                throw new IOException("answered " + code + " '" + body + "' instead of 200 'ok'");
            }
        } finally {
            c.disconnect();
        }
    }
}
