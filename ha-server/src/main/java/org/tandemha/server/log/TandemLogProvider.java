package org.tandemha.server.log;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The log of {@code tandem run} and the CLI: one line per message on standard output (the journal under systemd),
 * with its time, level, the MDC's node, event kind, group and resource, the logger's simple name, the message and a
 * throwable's stack trace. Levels come from {@code conf/logging.properties} ({@link LogConfig}).
 *
 * <p>Selected by {@code -Dslf4j.provider=org.tandemha.server.log.TandemLogProvider} (the launcher sets it). It takes
 * the place of Logback in the distribution: a daemon that idles at about 60 MB should not spend 600 classes (an XML
 * parser, the Joran configurator, pattern converters) and 4 MB of them on writing lines to standard output.
 */
public final class TandemLogProvider implements SLF4JServiceProvider {
    /** The SLF4J API version this provider is written against. */
    public static final String REQUESTED_API_VERSION = "2.0.99";

    private LoggerFactory loggers;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final ThreadLocalMdc mdc = new ThreadLocalMdc();

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return REQUESTED_API_VERSION;
    }

    @Override
    public void initialize() {
        loggers = new LoggerFactory(LogConfig.load(System.err), new LineWriter(System.out, mdc));
    }

    /** The loggers, one per name, each with its level resolved once. */
    static final class LoggerFactory implements ILoggerFactory {
        private final LogConfig config;
        private final LineWriter out;
        private final java.util.concurrent.ConcurrentHashMap<String, TandemLogger> byName =
                new java.util.concurrent.ConcurrentHashMap<>();

        LoggerFactory(LogConfig config, LineWriter out) {
            this.config = config;
            this.out = out;
        }

        @Override
        public org.slf4j.Logger getLogger(String name) {
            TandemLogger l = byName.get(name);
            return l != null ? l : byName.computeIfAbsent(name, n -> new TandemLogger(n, config.levelOf(n), out));
        }
    }
}
