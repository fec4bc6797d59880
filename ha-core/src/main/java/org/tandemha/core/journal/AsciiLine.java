package org.tandemha.core.journal;

import java.util.Arrays;

/**
 * A line of ASCII text built in a reused buffer, for the journal's hot lines and the action digest's text (one of each
 * per check a node runs: a thousand a second at 1,000 resources). The same bytes as building a String and encoding
 * it, without the builder's buffer, the String and its encoded copy: most of the engine thread's allocation, and so
 * of its young collections, at that rate. One per thread ({@link #get}); not for sharing.
 */
final class AsciiLine {
    private static final ThreadLocal<AsciiLine> MINE = ThreadLocal.withInitial(AsciiLine::new);

    private byte[] b = new byte[256];
    private int n;

    /** This thread's line, emptied. */
    static AsciiLine get() {
        AsciiLine l = MINE.get();
        l.n = 0;
        return l;
    }

    private void room(int more) {
        if (n + more > b.length) {
            b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
        }
    }

    /** Appends text known to be ASCII (the line's own punctuation and names). */
    AsciiLine raw(String ascii) {
        room(ascii.length());
        for (int i = 0; i < ascii.length(); i++) {
            b[n++] = (byte) ascii.charAt(i);
        }
        return this;
    }

    /**
     * Appends {@code s} when it is printable ASCII without quote or backslash (what JSON writes as it is inside a
     * string: no escaping needed); false, and the line left unusable, otherwise.
     */
    boolean plain(String s) {
        if (s == null) {
            return false;
        }
        room(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') {
                return false;
            }
            b[n++] = (byte) ch;
        }
        return true;
    }

    /** Appends {@code v} in decimal, as {@link Long#toString(long)} writes it. */
    AsciiLine num(long v) {
        if (v == Long.MIN_VALUE) {
            return raw(Long.toString(v));
        }
        room(20);
        if (v < 0) {
            b[n++] = '-';
            v = -v;
        }
        int start = n;
        do {
            b[n++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        for (int i = start, j = n - 1; i < j; i++, j--) {
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return this;
    }

    /**
     * Appends {@code nanos} (not negative) as milliseconds: an integer when whole, else with up to six decimals and no
     * trailing zero (BigDecimal's text of {@code nanos / 10^6} with trailing zeros stripped, which is never in
     * exponent form for these: the smallest is 0.000001).
     */
    AsciiLine millis(long nanos) {
        num(nanos / 1_000_000);
        int frac = (int) (nanos % 1_000_000);
        if (frac != 0) {
            room(7);
            b[n++] = '.';
            int div = 100_000;
            while (frac != 0) {
                b[n++] = (byte) ('0' + frac / div);
                frac %= div;
                div /= 10;
            }
        }
        return this;
    }

    /** The buffer: the line is its first {@link #length} bytes (valid until this thread's next {@link #get}). */
    byte[] buffer() {
        return b;
    }

    int length() {
        return n;
    }

    /** The line's bytes (a copy of its length). */
    byte[] bytes() {
        return Arrays.copyOf(b, n);
    }

    @Override
    public String toString() {
        return new String(b, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
