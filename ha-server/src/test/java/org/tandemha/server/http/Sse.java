package org.tandemha.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.tandemha.core.json.JsonTrees;

/** Reads a server-sent event stream line by line on its own thread; events are taken with a bounded wait. */
final class Sse implements AutoCloseable {
    record Event(long id, String kind, JsonNode data) {
    }

    final HttpResponse<Stream<String>> response;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final java.util.concurrent.atomic.AtomicLong comments = new java.util.concurrent.atomic.AtomicLong();

    Sse(Api api, String token, String lastEventId) throws Exception {
        HttpRequest.Builder b = api.builder("/api/v1/events/stream", token);
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        b.timeout(java.time.Duration.ofMinutes(2));
        response = api.client.send(b.GET().build(), HttpResponse.BodyHandlers.ofLines());
        reader = new Thread(() -> {
            try {
                response.body().forEach(l -> {
                    if (l.startsWith(":")) {
                        comments.incrementAndGet();
                    }
                    lines.add(l);
                });
            } catch (RuntimeException e) {
                // closed
            }
            lines.add("<closed>");
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Comment lines (keep-alives) read so far. */
    long comments() {
        return comments.get();
    }

    /** The next event, skipping comment lines; fails after 10 s. */
    Event next() throws Exception {
        long id = -1;
        String kind = null;
        String data = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // keep-alive comments do not extend it
        while (true) {
            String l = lines.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (l == null || l.equals("<closed>")) {
                throw new AssertionError(l == null ? "no event within 10 s" : "the stream closed");
            }
            if (l.startsWith(":")) {
                continue;
            }
            if (l.isEmpty()) {
                if (data != null) {
                    return new Event(id, kind, JsonTrees.parse(data));
                }
                continue;
            }
            if (l.startsWith("id: ")) {
                id = Long.parseLong(l.substring(4));
            } else if (l.startsWith("event: ")) {
                kind = l.substring(7);
            } else if (l.startsWith("data: ")) {
                data = l.substring(6);
            } else {
                throw new AssertionError("not a server-sent event line: '" + l + "'");
            }
        }
    }

    /** The next event of this kind (others are skipped). */
    Event next(String kind) throws Exception {
        for (int i = 0; i < 10_000; i++) {
            Event e = next();
            if (e.kind().equals(kind)) {
                return e;
            }
        }
        throw new AssertionError("no " + kind + " event");
    }

    @Override
    public void close() {
        response.body().close();
        reader.interrupt();
    }
}
