package org.tandemha.api;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes durations the way an operator writes them: {@code 200ms}, {@code 5s}, {@code 1m30s},
 * {@code 2h}, or ISO-8601 ({@code PT5S}). A bare number is rejected: the unit must be explicit.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|s|m|h|d)");

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException with a message that shows the accepted forms
     */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty duration; write it like 200ms, 5s, 1m30s or 2h");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("-") && s.length() > 1 && Character.isDigit(s.charAt(1))) {
            throw new IllegalArgumentException("'" + text + "' is negative: a duration is greater than zero; write it like"
                    + " 200ms, 5s, 1m30s or 2h");
        }
        if (s.startsWith("pt") || s.startsWith("p")) {
            try {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("'" + text + "' is not a duration; write it like 200ms, 5s, 1m30s or 2h");
            }
        }
        Matcher m = PART.matcher(s);
        int at = 0;
        Duration total = Duration.ZERO;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text + "' is not a duration; write it like 200ms, 5s, 1m30s or 2h"
                        + (s.matches("\\d+") ? " (the unit is required)" : ""));
            }
            double n = Double.parseDouble(m.group(1));
            long nanos = switch (m.group(2)) {
                case "us" -> Math.round(n * 1e3);
                case "ms" -> Math.round(n * 1e6);
                case "s" -> Math.round(n * 1e9);
                case "m" -> Math.round(n * 60e9);
                case "h" -> Math.round(n * 3600e9);
                case "d" -> Math.round(n * 86400e9);
                default -> throw new IllegalStateException(m.group(2));
            };
            total = total.plusNanos(nanos);
            at = m.end();
        }
        return total;
    }

    /** Formats a duration for people: {@code 612 ms}, {@code 2.1 s}, {@code 3 min 5 s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            long tenths = Math.round(ms / 100.0); // round first, so 23.98 s reads "24 s", not "24.0 s"
            return (tenths % 10 == 0 ? String.valueOf(tenths / 10) : String.format(Locale.ROOT, "%.1f", tenths / 10.0)) + " s";
        }
        long s = ms / 1000;
        return s / 60 + " min" + (s % 60 == 0 ? "" : " " + s % 60 + " s");
    }
}
