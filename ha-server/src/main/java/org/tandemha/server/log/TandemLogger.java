package org.tandemha.server.log;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** One named logger: its level fixed when it is created (from {@link LogConfig}), its lines to a {@link LineWriter}. */
final class TandemLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    private final int threshold; // Level.toInt(); above ERROR's for OFF
    private final transient LineWriter out;

    TandemLogger(String name, int threshold, LineWriter out) {
        this.name = name;
        this.threshold = threshold;
        this.out = out;
    }

    @Override
    public boolean isTraceEnabled() {
        return threshold <= Level.TRACE.toInt();
    }

    @Override
    public boolean isDebugEnabled() {
        return threshold <= Level.DEBUG.toInt();
    }

    @Override
    public boolean isInfoEnabled() {
        return threshold <= Level.INFO.toInt();
    }

    @Override
    public boolean isWarnEnabled() {
        return threshold <= Level.WARN.toInt();
    }

    @Override
    public boolean isErrorEnabled() {
        return threshold <= Level.ERROR.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
        FormattingTuple f = t == null ? MessageFormatter.arrayFormat(pattern, args)
                : MessageFormatter.arrayFormat(pattern, args, t);
        out.write(level, name, f.getMessage(), f.getThrowable());
    }
}
