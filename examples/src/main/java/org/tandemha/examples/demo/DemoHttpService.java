package org.tandemha.examples.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The small HTTP service the demo protects (the JDK's {@code com.sun.net.httpserver}): {@code GET /} says which node
 * serves it, with the group's generation and a start count; {@code GET /health} answers {@code ok}, or a 503 once
 * when the demo injects a fault.
 */
final class DemoHttpService {
    private final String host;
    private final int port;
    private final String node;
    private final DemoControl control;
    private HttpServer server;
    private ExecutorService executor;
    private int starts;

    DemoHttpService(String host, int port, String node, DemoControl control) {
        this.host = host;
        this.port = port;
        this.node = node;
        this.control = control;
    }

    String address() {
        return host + ":" + port;
    }

    /** Starts listening; does nothing if it already listens. */
    synchronized void start(String group, long generation) throws IOException {
        if (server != null) {
            return;
        }
        HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 50);
        String body = group + " served by " + node + ", generation " + generation + ", start " + (++starts) + "\n";
        s.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/health")) {
                boolean sick = control.takeSick();
                answer(ex, sick ? 503 : 200, sick ? "sick (fault injected by the demo)\n" : "ok\n");
            } else {
                answer(ex, 200, body);
            }
        });
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "demo-http-" + port);
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(executor);
        s.start();
        server = s;
    }

    private static void answer(HttpExchange ex, int code, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops listening; does nothing if it is stopped. */
    synchronized void stop() {
        if (server == null) {
            return;
        }
        server.stop(0);
        executor.shutdownNow();
        server = null;
        executor = null;
    }

    synchronized boolean running() {
        return server != null;
    }

    /** The answer to {@code GET path} on this service: status code and body. */
    record Answer(int code, String body) {
    }

    /**
     * A plain HTTP/1.0 request over a fresh connection (no pooling that could hide a stopped server).
     *
     * @throws IOException if it does not answer within {@code timeout}
     */
    static Answer get(String host, int port, String path, Duration timeout) throws IOException {
        int ms = (int) Math.max(1, Math.min(10_000, timeout.toMillis()));
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), ms);
            s.setSoTimeout(ms);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] all = in.readNBytes(4096);
            String text = new String(all, StandardCharsets.UTF_8);
            int sp = text.indexOf(' ');
            int end = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/") || sp < 0 || text.length() < sp + 4 || end < 0) {
                throw new IOException("not an HTTP answer: '" + text.lines().findFirst().orElse("") + "'");
            }
            int code = Integer.parseInt(text.substring(sp + 1, sp + 4));
            return new Answer(code, text.substring(end + 4).strip());
        } catch (SocketTimeoutException e) {
            throw new IOException("no answer within " + ms + " ms", e);
        } catch (NumberFormatException e) {
            throw new IOException("bad HTTP status line", e);
        }
    }
}
