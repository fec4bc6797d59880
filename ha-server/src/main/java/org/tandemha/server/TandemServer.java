package org.tandemha.server;

import java.io.IOException;
import java.net.URI;
import org.tandemha.api.ClusterNode;

/** PLACEHOLDER for the HTTP helper's TandemServer (the contract's signatures only; replaced at merge). Serves nothing. */
public final class TandemServer implements AutoCloseable {
    private final int port;

    private TandemServer(int port) {
        this.port = port;
    }

    public static TandemServer start(ClusterNode node, ServerSettings settings) throws IOException {
        String listen = settings.listen();
        return new TandemServer(Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1)));
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
    }
}
