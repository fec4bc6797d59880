package org.tandemha.server.log;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.slf4j.event.Level;

/**
 * Writes one log line: {@code 2025-01-31T12:00:00.123+01:00 INFO  [node1] RESOURCE_STARTED web/app Engine: message}
 * (the MDC's {@code tandem.node}, {@code tandem.event}, {@code tandem.group}, {@code tandem.resource}, "-" when
 * absent; the node falls back to {@code node}, which {@code tandem run} sets on its main thread). A line is written
 * whole, and flushed: the journal sees it at once.
 */
final class LineWriter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    private final PrintStream out;
    private final ThreadLocalMdc mdc;

    LineWriter(PrintStream out, ThreadLocalMdc mdc) {
        this.out = out;
        this.mdc = mdc;
    }

    void write(Level level, String logger, String message, Throwable t) {
        StringBuilder b = new StringBuilder(128 + (message == null ? 0 : message.length()));
        TIME.formatTo(Instant.now(), b);
        b.append(' ').append(level.name());
        for (int i = level.name().length(); i < 5; i++) {
            b.append(' ');
        }
        String node = mdc.get("tandem.node");
        b.append(" [").append(node != null ? node : orDash(mdc.get("node"))).append("] ");
        b.append(orDash(mdc.get("tandem.event"))).append(' ');
        b.append(orDash(mdc.get("tandem.group"))).append('/').append(orDash(mdc.get("tandem.resource"))).append(' ');
        b.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(": ").append(message).append('\n');
        if (t != null) {
            StringWriter s = new StringWriter();
            t.printStackTrace(new PrintWriter(s));
            b.append(s);
        }
        synchronized (out) {
            out.print(b);
            out.flush();
        }
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
