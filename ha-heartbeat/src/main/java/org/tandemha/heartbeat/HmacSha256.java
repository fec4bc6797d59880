package org.tandemha.heartbeat;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * HMAC-SHA256 (RFC 2104) over {@link MessageDigest#digest(byte[], int, int)}, which writes into a caller's buffer:
 * unlike {@code javax.crypto.Mac}, whose {@code doFinal} allocates, it computes a MAC without allocating.
 * Checked against {@code Mac.getInstance("HmacSHA256")} in {@code FrameCodecProperties}. Not thread-safe.
 */
final class HmacSha256 {
    static final int LEN = 32;
    private static final int BLOCK = 64;
    private final MessageDigest md;
    private final byte[] ipad = new byte[BLOCK];
    private final byte[] opad = new byte[BLOCK];
    private final byte[] inner = new byte[LEN];

    HmacSha256(byte[] key) {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
        byte[] k = key.length > BLOCK ? md.digest(key) : key;
        for (int i = 0; i < BLOCK; i++) {
            byte b = i < k.length ? k[i] : 0;
            ipad[i] = (byte) (b ^ 0x36);
            opad[i] = (byte) (b ^ 0x5c);
        }
    }

    /** Writes the MAC of {@code data[off, off+len)} to {@code out[outOff, outOff+32)}. */
    void mac(byte[] data, int off, int len, byte[] out, int outOff) {
        try {
            md.reset();
            md.update(ipad);
            md.update(data, off, len);
            md.digest(inner, 0, LEN);
            md.update(opad);
            md.update(inner);
            md.digest(out, outOff, LEN);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
    }
}
