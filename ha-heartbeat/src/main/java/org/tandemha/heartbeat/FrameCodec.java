package org.tandemha.heartbeat;

import java.nio.charset.StandardCharsets;

/**
 * The heartbeat wire format (all integers big-endian):
 *
 * <pre>
 *  magic 'T' 'H' | version (1) | type (1)
 *  cluster  : len (1) + UTF-8      (at most 64 bytes)
 *  sender   : len (1) + UTF-8      node id
 *  dest     : len (1) + UTF-8      node id, empty for everyone (multicast)
 *  path     : len (1) + UTF-8      path name
 *  incarnation (8) | sequence (8) | path sequence (8) | sender wall millis (8) | sender monotonic nanos (8)
 *  echo monotonic nanos (8) | echo hold nanos (8) | state version (8)
 *  payload  : len (4) + bytes
 *  HMAC-SHA256 (32) over every byte before it
 * </pre>
 *
 * A frame is at most {@link #MAX_FRAME} bytes (60 KiB), which fits one UDP datagram. Decoding checks the length,
 * then the MAC, then the fields, and never throws: it returns {@code null} for a valid frame or the {@link Drop}
 * reason. Not thread-safe (one MAC state and scratch buffer); the membership uses it on its heartbeat thread only.
 */
final class FrameCodec {
    static final int MAX_FRAME = 60 * 1024;
    static final int MAX_NAME = 64;
    static final int MAC_LEN = 32;
    static final int LONGS = 8;
    static final byte VERSION = 1;
    static final byte HEARTBEAT = 1;
    static final byte MESSAGE = 2;
    static final byte PROBE = 3;
    static final byte PROBE_REPLY = 4;
    static final int MIN_FRAME = 4 + 4 + LONGS * 8 + 4 + MAC_LEN;
    /** The largest payload that fits with the longest names. */
    static final int MAX_PAYLOAD = MAX_FRAME - MIN_FRAME - 4 * MAX_NAME;

    private final byte[] cluster;
    private final HmacSha256 mac;
    private final byte[] macOut = new byte[MAC_LEN];

    FrameCodec(String cluster, byte[] key) {
        this.cluster = utf8(cluster);
        this.mac = new HmacSha256(key);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Offset of the first of the eight longs in a frame with these name lengths. */
    static int longsOffset(int clusterLen, int senderLen, int destLen, int pathLen) {
        return 4 + 4 + clusterLen + senderLen + destLen + pathLen;
    }

    /**
     * Writes a frame into {@code out} (which must hold {@link #MAX_FRAME} bytes) and seals it. Returns its length.
     */
    int encode(byte[] out, byte type, byte[] sender, byte[] dest, byte[] path, long incarnation, long sequence,
               long pathSeq, long wallMillis, long monoNanos, long echoMono, long echoHold, long stateVersion,
               byte[] payload, int payloadOff, int payloadLen) {
        int len = template(out, type, sender, dest, path, payload, payloadOff, payloadLen);
        int at = longsOffset(cluster.length, sender.length, dest.length, path.length);
        seal(out, len, at, incarnation, sequence, pathSeq, wallMillis, monoNanos, echoMono, echoHold, stateVersion);
        return len;
    }

    /** Writes everything but the longs and the MAC; returns the frame length. */
    int template(byte[] out, byte type, byte[] sender, byte[] dest, byte[] path, byte[] payload, int payloadOff,
                 int payloadLen) {
        if (sender.length > MAX_NAME || dest.length > MAX_NAME || path.length > MAX_NAME) {
            throw new IllegalArgumentException("names are limited to " + MAX_NAME + " bytes");
        }
        int len = longsOffset(cluster.length, sender.length, dest.length, path.length) + LONGS * 8 + 4 + payloadLen
                + MAC_LEN;
        if (len > MAX_FRAME) {
            throw new IllegalArgumentException("frame of " + len + " bytes exceeds the " + MAX_FRAME + "-byte limit");
        }
        int at = 0;
        out[at++] = 'T';
        out[at++] = 'H';
        out[at++] = VERSION;
        out[at++] = type;
        at = name(out, at, cluster);
        at = name(out, at, sender);
        at = name(out, at, dest);
        at = name(out, at, path);
        at += LONGS * 8;
        putInt(out, at, payloadLen);
        at += 4;
        System.arraycopy(payload, payloadOff, out, at, payloadLen);
        return len;
    }

    /** Patches the longs of a templated frame and computes its MAC. */
    void seal(byte[] frame, int len, int longsAt, long incarnation, long sequence, long pathSeq, long wallMillis, long monoNanos,
              long echoMono, long echoHold, long stateVersion) {
        int at = longsAt;
        putLong(frame, at, incarnation);
        putLong(frame, at + 8, sequence);
        putLong(frame, at + 16, pathSeq);
        putLong(frame, at + 24, wallMillis);
        putLong(frame, at + 32, monoNanos);
        putLong(frame, at + 40, echoMono);
        putLong(frame, at + 48, echoHold);
        putLong(frame, at + 56, stateVersion);
        mac.mac(frame, 0, len - MAC_LEN, frame, len - MAC_LEN);
    }

    private static int name(byte[] out, int at, byte[] name) {
        out[at++] = (byte) name.length;
        System.arraycopy(name, 0, out, at, name.length);
        return at + name.length;
    }

    /**
     * Decodes {@code len} bytes of {@code buf} into {@code f}. Returns {@code null} when the frame is valid and
     * authentic, else why it is not. Never throws.
     */
    Drop decode(byte[] buf, int len, Frame f) {
        if (len > MAX_FRAME) {
            return Drop.OVERSIZED;
        }
        if (len < MIN_FRAME || buf.length < len) {
            return Drop.TRUNCATED;
        }
        mac.mac(buf, 0, len - MAC_LEN, macOut, 0);
        int diff = 0;
        for (int i = 0; i < MAC_LEN; i++) {
            diff |= macOut[i] ^ buf[len - MAC_LEN + i];
        }
        if (diff != 0) {
            return Drop.BAD_MAC;
        }
        if (buf[0] != 'T' || buf[1] != 'H') {
            return Drop.BAD_MAGIC;
        }
        if (buf[2] != VERSION) {
            return Drop.BAD_VERSION;
        }
        byte type = buf[3];
        if (type < HEARTBEAT || type > PROBE_REPLY) {
            return Drop.BAD_TYPE;
        }
        int end = len - MAC_LEN;
        int at = 4;
        int[] ranges = f.ranges;
        for (int i = 0; i < 4; i++) {
            if (at >= end) {
                return Drop.MALFORMED;
            }
            int n = buf[at] & 0xff;
            if (n > MAX_NAME || at + 1 + n > end) {
                return Drop.MALFORMED;
            }
            ranges[2 * i] = at + 1;
            ranges[2 * i + 1] = n;
            at += 1 + n;
        }
        if (at + LONGS * 8 + 4 > end) {
            return Drop.MALFORMED;
        }
        f.incarnation = getLong(buf, at);
        f.sequence = getLong(buf, at + 8);
        f.pathSeq = getLong(buf, at + 16);
        f.wallMillis = getLong(buf, at + 24);
        f.monoNanos = getLong(buf, at + 32);
        f.echoMono = getLong(buf, at + 40);
        f.echoHold = getLong(buf, at + 48);
        f.stateVersion = getLong(buf, at + 56);
        at += LONGS * 8;
        int payloadLen = getInt(buf, at);
        at += 4;
        if (payloadLen < 0 || at + payloadLen != end) {
            return Drop.MALFORMED;
        }
        if (!Frame.regionEquals(buf, ranges[0], ranges[1], cluster)) {
            return Drop.WRONG_CLUSTER;
        }
        f.buf = buf;
        f.type = type;
        f.payloadOff = at;
        f.payloadLen = payloadLen;
        return null;
    }

    static void putLong(byte[] b, int at, long v) {
        for (int i = 7; i >= 0; i--) {
            b[at + i] = (byte) v;
            v >>>= 8;
        }
    }

    static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static int getInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /** A decoded frame: views into the decoded buffer, reused from packet to packet (no allocation). */
    static final class Frame {
        final int[] ranges = new int[8];
        byte[] buf;
        byte type;
        long incarnation;
        long sequence;
        long pathSeq;
        long wallMillis;
        long monoNanos;
        long echoMono;
        long echoHold;
        long stateVersion;
        int payloadOff;
        int payloadLen;

        boolean senderIs(byte[] id) {
            return regionEquals(buf, ranges[2], ranges[3], id);
        }

        boolean destIs(byte[] id) {
            return regionEquals(buf, ranges[4], ranges[5], id);
        }

        boolean destIsEveryone() {
            return ranges[5] == 0;
        }

        boolean pathIs(byte[] name) {
            return regionEquals(buf, ranges[6], ranges[7], name);
        }

        String sender() {
            return new String(buf, ranges[2], ranges[3], java.nio.charset.StandardCharsets.UTF_8);
        }

        String dest() {
            return new String(buf, ranges[4], ranges[5], java.nio.charset.StandardCharsets.UTF_8);
        }

        String path() {
            return new String(buf, ranges[6], ranges[7], java.nio.charset.StandardCharsets.UTF_8);
        }

        byte[] payload() {
            return java.util.Arrays.copyOfRange(buf, payloadOff, payloadOff + payloadLen);
        }

        static boolean regionEquals(byte[] buf, int off, int len, byte[] expected) {
            if (len != expected.length) {
                return false;
            }
            for (int i = 0; i < len; i++) {
                if (buf[off + i] != expected[i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
