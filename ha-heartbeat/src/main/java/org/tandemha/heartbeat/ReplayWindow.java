package org.tandemha.heartbeat;

/**
 * Sliding replay window over sequence numbers of one (peer, incarnation): accepts each sequence number once, and
 * rejects those more than {@link #SIZE} behind the highest seen. Sequence numbers are shared by all paths of a
 * sender, so the window tolerates reordering between paths. Pure; no allocation after construction.
 */
final class ReplayWindow {
    static final int SIZE = 1024;
    private final long[] bits = new long[SIZE / 64];
    private long highest;

    /** Forgets everything (a new incarnation). */
    void reset() {
        java.util.Arrays.fill(bits, 0);
        highest = 0;
    }

    /** Returns true and records {@code seq} if it is new; false for a replay or a sequence too old. */
    boolean accept(long seq) {
        if (seq <= 0) {
            return false;
        }
        if (seq > highest) {
            long advance = seq - highest;
            if (advance >= SIZE) {
                java.util.Arrays.fill(bits, 0);
            } else {
                for (long s = highest + 1; s < seq; s++) {
                    clear(s);
                }
            }
            highest = seq;
            set(seq);
            return true;
        }
        if (highest - seq >= SIZE) {
            return false;
        }
        if (isSet(seq)) {
            return false;
        }
        set(seq);
        return true;
    }

    private void set(long s) {
        int i = (int) (s & (SIZE - 1));
        bits[i >>> 6] |= 1L << (i & 63);
    }

    private void clear(long s) {
        int i = (int) (s & (SIZE - 1));
        bits[i >>> 6] &= ~(1L << (i & 63));
    }

    private boolean isSet(long s) {
        int i = (int) (s & (SIZE - 1));
        return (bits[i >>> 6] & (1L << (i & 63))) != 0;
    }
}
