package org.tandemha.db;

import java.io.DataInputStream;
import java.io.IOException;

import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.tandemha.api.ActionContext;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;

/**
 * Credential-free "does the server accept a connection" probes at the wire-protocol level. They need no password,
 * leave nothing in the server log, and cost one short-lived connection.
 */
final class WireProbe {
    private WireProbe() {
    }

    /**
     * PostgreSQL: sends an SSLRequest; a server that forked a backend for the connection answers 'S' or 'N'.
     */
    static CheckResult postgres(String host, int port, ActionContext context, String what) {
        long t0 = System.nanoTime();
        try (Socket s = open(host, port, context)) {
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f}); // length 8, code 80877103
            out.flush();
            int answer = s.getInputStream().read();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (answer == 'S' || answer == 'N') {
                return CheckResult.ok(what + " accepts connections").withDuration(took);
            }
            if (answer == 'E') {
                return CheckResult.failed(what + " refused the connection at startup (too many connections, or shutting down)").withDuration(took);
            }
            return CheckResult.failed(what + " closed the connection without answering (answer " + answer + ")").withDuration(took);
        } catch (IOException e) {
            return failure(e, t0, what, host, port);
        }
    }

    /**
     * MariaDB/MySQL: the server speaks first; reads its first packet: a handshake (protocol 10) or an error packet.
     */
    static CheckResult mysql(String host, int port, ActionContext context, String what) {
        long t0 = System.nanoTime();
        try (Socket s = open(host, port, context)) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] header = new byte[4];
            in.readFully(header);
            int len = (header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16;
            byte[] body = new byte[Math.min(len, 1024)];
            in.readFully(body);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (body.length > 0 && (body[0] & 0xff) == 10) {
                return CheckResult.ok(what + " accepts connections").withDuration(took);
            }
            if (body.length > 3 && (body[0] & 0xff) == 0xff) {
                int code = (body[1] & 0xff) | (body[2] & 0xff) << 8;
                String msg = new String(body, 3, body.length - 3, StandardCharsets.UTF_8).replaceAll("[^\\p{Print}]", "");
                // the server is up and answering; it only refuses this client before any login
                if (code == 1130) {
                    return CheckResult.ok(what + " accepts connections (this host may not log in: error 1130)").withDuration(took);
                }
                return CheckResult.degraded(what + " answers but refuses new connections: error " + code + " " + msg).withDuration(took);
            }
            return CheckResult.failed(what + " sent an unexpected first packet; is port " + port + " really MariaDB?").withDuration(took);
        } catch (IOException e) {
            return failure(e, t0, what, host, port);
        }
    }

    private static Socket open(String host, int port, ActionContext context) throws IOException {
        Duration left = context.remaining();
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, left.toMillis()));
        if (left.isZero()) {
            throw new SocketTimeoutException("no time left");
        }
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), ms);
            int rest = (int) Math.max(1, context.remaining().toMillis());
            s.setSoTimeout(rest);
            s.setTcpNoDelay(true);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static CheckResult failure(IOException e, long t0, String what, String host, int port) {
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (e instanceof SocketTimeoutException) {
            return new CheckResult(CheckResult.Health.TIMEOUT, Severity.SOFT,
                    what + " did not answer on " + host + ":" + port + " within " + org.tandemha.api.Durations.format(took)
                            + "; the server may be stuck", took, java.util.List.of());
        }
        if (e instanceof ConnectException) {
            return CheckResult.failed(what + ": nothing accepts connections on " + host + ":" + port + " (" + e.getMessage() + ")").withDuration(took);
        }
        return CheckResult.failed(what + ": connection to " + host + ":" + port + " failed: " + e).withDuration(took);
    }

}
