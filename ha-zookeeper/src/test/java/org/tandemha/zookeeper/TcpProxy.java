package org.tandemha.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP forwarder between one Tandem node and one ZooKeeper server, to cut the node from the ensemble: while
 * cut, bytes are dropped both ways (a partition: no reset, the client times out); healing closes every connection so
 * the client reconnects cleanly.
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;
    private volatile boolean closed;
    private final boolean quiet;

    TcpProxy(int target) throws IOException {
        this(target, false);
    }

    TcpProxy(int target, boolean quiet) throws IOException {
        this.target = target;
        this.quiet = quiet;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "proxy-" + target);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    void cut(boolean on) {
        if (!quiet) {
            System.out.println("proxy " + port() + " -> " + target + (on ? " cut" : " healed") + ", " + open.size() + " sockets");
        }
        cut = on;
        if (!on) {
            closeAll();
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket in = server.accept();
                open.add(in);
                if (cut) {
                    continue; // accepted, never answered: the client times out
                }
                Socket out = new Socket();
                try {
                    out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 1000);
                } catch (IOException e) {
                    in.close(); // the server is down: refused, as a real one would be
                    continue;
                }
                open.add(out);
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                int n;
                while ((n = i.read(buf)) >= 0) {
                    if (!cut) {
                        o.write(buf, 0, n);
                        o.flush();
                    }
                }
            } catch (IOException e) {
                // closed
            } finally {
                quietly(from);
                quietly(to);
            }
        }, "proxy-pump-" + target);
        t.setDaemon(true);
        t.start();
    }

    private void closeAll() {
        for (Socket s : open) {
            quietly(s);
        }
        open.clear();
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        quietly2();
        closeAll();
    }

    private void quietly2() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
