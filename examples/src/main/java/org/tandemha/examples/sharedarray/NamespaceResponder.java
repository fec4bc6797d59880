package org.tandemha.examples.sharedarray;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A service of a node that outlives the node's Tandem JVM, as a real one would: a TCP listener on every address of a
 * node's network namespace that sends the node id and closes. It runs on a thread of the harness's JVM that moved
 * into the namespace with setns(2) (the socket belongs to the namespace of the thread that created it), so a kill -9
 * of the node's JVM leaves it answering on the node's kernel: a client that reaches the dead node's stale address is
 * answered by the dead node, and one that reaches the survivor by the survivor. The same port in UDP answers every
 * datagram with the node id (the client's ping-like {@code echo}).
 */
final class NamespaceResponder implements AutoCloseable {
    private final CompletableFuture<ServerSocket> socket = new CompletableFuture<>();
    private final CompletableFuture<DatagramSocket> udp = new CompletableFuture<>();

    /** Starts answering {@code answer} on {@code port} of network namespace {@code netns} (a name under /var/run/netns). */
    NamespaceResponder(String netns, int port, String answer) throws IOException {
        Thread t = new Thread(() -> serve(netns, port, answer), "responder-" + netns);
        t.setDaemon(true);
        t.start();
        Thread u = new Thread(() -> echo(netns, port, answer), "responder-udp-" + netns);
        u.setDaemon(true);
        u.start();
        try {
            socket.get(10, TimeUnit.SECONDS);
            udp.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException("no responder in namespace " + netns + ": " + (e.getCause() == null ? e : e.getCause()).getMessage());
        }
    }

    private void serve(String netns, int port, String answer) {
        ServerSocket ss;
        try {
            Netns.enter(netns); // this thread only, for the rest of its life
            ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(port)); // the wildcard: IPv4 and IPv6
            socket.complete(ss);
        } catch (IOException | RuntimeException | LinkageError e) {
            socket.completeExceptionally(e);
            return;
        }
        byte[] line = (answer + "\n").getBytes(StandardCharsets.US_ASCII);
        while (!ss.isClosed()) {
            try (Socket s = ss.accept()) {
                OutputStream out = s.getOutputStream();
                out.write(line);
                out.flush();
            } catch (IOException e) {
                // closed, or one client gone: keep serving until closed
            }
        }
    }

    private void echo(String netns, int port, String answer) {
        DatagramSocket ds;
        try {
            Netns.enter(netns); // this thread only, for the rest of its life
            ds = new DatagramSocket(port); // the wildcard: IPv4 and IPv6
            udp.complete(ds);
        } catch (IOException | RuntimeException | LinkageError e) {
            udp.completeExceptionally(e);
            return;
        }
        byte[] reply = answer.getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[512];
        while (!ds.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                ds.receive(in);
                ds.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
            } catch (IOException e) {
                // closed, or one datagram not sent: keep serving until closed
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.getNow(null).close();
        } catch (IOException | RuntimeException e) {
            // gone already
        }
        try {
            udp.getNow(null).close();
        } catch (RuntimeException e) {
            // gone already
        }
    }
}
