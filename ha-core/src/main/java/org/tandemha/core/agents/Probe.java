package org.tandemha.core.agents;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Durations;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;

/** One part of a process's deep check: a command, a TCP connect, or an HTTP GET, each bounded by a timeout. */
interface Probe {
    /** Runs the probe within {@code timeout}. Never throws. */
    CheckResult check(Duration timeout, Map<String, String> env);

    /** What it checks, for reasons: "GET http://...", "connect 127.0.0.1:8080". */
    String describe();

    static CheckResult timeout(String what, Duration after) {
        return new CheckResult(CheckResult.Health.TIMEOUT, org.tandemha.api.Severity.SOFT,
                what + ": timeout after " + Durations.format(after), after, java.util.List.of());
    }

    /** Runs a command: 0 ok, 7 not running, anything else a failure (the script convention). */
    record CommandProbe(Command command) implements Probe {
        @Override
        public CheckResult check(Duration timeout, Map<String, String> env) {
            Map<String, String> all = new java.util.LinkedHashMap<>(command.environment());
            all.putAll(env);
            return ExitCodes.scriptCheck(describe(), CommandRunner.run(command.withEnvironment(all), timeout));
        }

        @Override
        public String describe() {
            return "check command '" + command + "'";
        }
    }

    /** Connects to a TCP port. */
    record TcpProbe(String host, int port) implements Probe {
        @Override
        public CheckResult check(Duration timeout, Map<String, String> env) {
            long t0 = System.nanoTime();
            int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), ms);
                return CheckResult.ok(describe() + ": ok").withDuration(Duration.ofNanos(System.nanoTime() - t0));
            } catch (SocketTimeoutException e) {
                return timeout(describe(), timeout);
            } catch (ConnectException e) {
                return CheckResult.failed(describe() + ": " + e.getMessage()).withDuration(Duration.ofNanos(System.nanoTime() - t0));
            } catch (IOException | RuntimeException e) {
                return CheckResult.failed(describe() + ": " + e).withDuration(Duration.ofNanos(System.nanoTime() - t0));
            }
        }

        @Override
        public String describe() {
            return "connect " + host + ":" + port;
        }
    }

    /** An HTTP GET: a status from 200 to 399 is healthy. */
    final class HttpProbe implements Probe {
        private final URI uri;
        private volatile HttpClient client;

        HttpProbe(URI uri) {
            this.uri = uri;
        }

        URI uri() {
            return uri;
        }

        private HttpClient client() {
            HttpClient c = client;
            if (c == null) {
                synchronized (this) {
                    if (client == null) {
                        client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                                .connectTimeout(Duration.ofSeconds(30)).build();
                    }
                    c = client;
                }
            }
            return c;
        }

        @Override
        public CheckResult check(Duration timeout, Map<String, String> env) {
            long t0 = System.nanoTime();
            Duration t = timeout.isZero() || timeout.isNegative() ? Duration.ofMillis(1) : timeout;
            try {
                HttpRequest req = HttpRequest.newBuilder(uri).timeout(t).GET().build();
                // the request timeout covers the response; the future's bound covers the connect too
                HttpResponse<Void> resp = client().sendAsync(req, HttpResponse.BodyHandlers.discarding())
                        .get(t.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                int code = resp.statusCode();
                return code >= 200 && code < 400
                        ? CheckResult.ok(describe() + ": HTTP " + code).withDuration(took)
                        : CheckResult.failed(describe() + ": HTTP " + code).withDuration(took);
            } catch (java.util.concurrent.TimeoutException e) {
                return timeout(describe(), t);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof HttpTimeoutException) {
                    return timeout(describe(), t);
                }
                return CheckResult.failed(describe() + ": " + (c == null ? e : c.getClass().getSimpleName() + " " + c.getMessage()))
                        .withDuration(Duration.ofNanos(System.nanoTime() - t0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CheckResult.failed(describe() + ": interrupted");
            } catch (RuntimeException e) {
                return CheckResult.failed(describe() + ": " + e.getMessage());
            }
        }

        @Override
        public String describe() {
            return "GET " + uri;
        }
    }
}
