package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The codec never throws: every byte string is a valid frame or rejected with a reason. */
class FrameCodecProperties {
    static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    record Msg(byte type, String sender, String dest, String path, long inc, long seq, long pathSeq, long stateVersion,
               byte[] payload) {
    }

    @Provide
    Arbitrary<Msg> messages() {
        Arbitrary<String> names = Arbitraries.strings().alpha().numeric().ofMinLength(0).ofMaxLength(20);
        Arbitrary<Long> longs = Arbitraries.longs();
        Arbitrary<byte[]> payloads = Arbitraries.bytes().array(byte[].class).ofMaxSize(3000);
        return Combinators.combine(Arbitraries.of(FrameCodec.HEARTBEAT, FrameCodec.MESSAGE, FrameCodec.PROBE,
                        FrameCodec.PROBE_REPLY), names, names, names, longs, longs, longs, payloads)
                .as((t, s, d, p, i, q, v, pl) -> new Msg(t, s, d, p, i, q, q ^ 7, v, pl));
    }

    private static byte[] encode(FrameCodec c, Msg m) {
        byte[] out = new byte[FrameCodec.MAX_FRAME];
        int len = c.encode(out, m.type(), FrameCodec.utf8(m.sender()), FrameCodec.utf8(m.dest()), FrameCodec.utf8(m.path()),
                m.inc(), m.seq(), m.pathSeq(), 11, 22, 33, 44, m.stateVersion(), m.payload(), 0, m.payload().length);
        return java.util.Arrays.copyOf(out, len);
    }

    @Property(tries = 2000)
    void randomBytesNeverThrow(@ForAll @Size(max = 400) byte[] bytes) {
        FrameCodec c = new FrameCodec("demo", KEY);
        Drop d = c.decode(bytes, bytes.length, new FrameCodec.Frame());
        assertThat(d).as("random bytes are not an authentic frame").isNotNull();
    }

    @Property(tries = 500)
    void roundTrip(@ForAll("messages") Msg m) {
        FrameCodec c = new FrameCodec("demo", KEY);
        byte[] bytes = encode(c, m);
        FrameCodec.Frame f = new FrameCodec.Frame();
        assertThat(c.decode(bytes, bytes.length, f)).isNull();
        assertThat(f.type).isEqualTo(m.type());
        assertThat(f.sender()).isEqualTo(m.sender());
        assertThat(f.dest()).isEqualTo(m.dest());
        assertThat(f.path()).isEqualTo(m.path());
        assertThat(f.incarnation).isEqualTo(m.inc());
        assertThat(f.sequence).isEqualTo(m.seq());
        assertThat(f.pathSeq).isEqualTo(m.pathSeq());
        assertThat(f.stateVersion).isEqualTo(m.stateVersion());
        assertThat(f.wallMillis).isEqualTo(11);
        assertThat(f.echoHold).isEqualTo(44);
        assertThat(f.payload()).isEqualTo(m.payload());
    }

    @Property(tries = 1000)
    void oneChangedBitFailsAuthentication(@ForAll("messages") Msg m, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int where) {
        FrameCodec c = new FrameCodec("demo", KEY);
        byte[] bytes = encode(c, m);
        int bit = where % (bytes.length * 8);
        bytes[bit / 8] ^= (byte) (1 << (bit % 8));
        assertThat(c.decode(bytes, bytes.length, new FrameCodec.Frame())).isEqualTo(Drop.BAD_MAC);
    }

    @Property(tries = 500)
    void mutatedFramesAreRejectedNeverThrown(@ForAll("messages") Msg m, @ForAll @IntRange(min = 0, max = 5000) int cut,
                                            @ForAll @Size(max = 8) byte[] junk) {
        FrameCodec c = new FrameCodec("demo", KEY);
        byte[] bytes = encode(c, m);
        int len = Math.min(cut, bytes.length);
        byte[] mutated = new byte[len + junk.length];
        System.arraycopy(bytes, 0, mutated, 0, len);
        System.arraycopy(junk, 0, mutated, len, junk.length);
        Drop d = c.decode(mutated, mutated.length, new FrameCodec.Frame());
        if (junk.length == 0 && len == bytes.length) {
            assertThat(d).isNull();
        } else {
            assertThat(d).isIn(Drop.TRUNCATED, Drop.BAD_MAC);
        }
    }

    @Property(tries = 100)
    void anotherKeyOrClusterIsRejected(@ForAll("messages") Msg m) {
        byte[] bytes = encode(new FrameCodec("demo", KEY), m);
        byte[] other = KEY.clone();
        other[0] ^= 1;
        assertThat(new FrameCodec("demo", other).decode(bytes, bytes.length, new FrameCodec.Frame())).isEqualTo(Drop.BAD_MAC);
        assertThat(new FrameCodec("prod", KEY).decode(bytes, bytes.length, new FrameCodec.Frame())).isEqualTo(Drop.WRONG_CLUSTER);
    }

    @Property(tries = 300)
    void macIsStandardHmacSha256(@ForAll @Size(max = 200) byte[] key, @ForAll @Size(max = 3000) byte[] data) throws Exception {
        javax.crypto.Mac jdk = javax.crypto.Mac.getInstance("HmacSHA256");
        jdk.init(new javax.crypto.spec.SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
        byte[] out = new byte[40];
        new HmacSha256(key.length == 0 ? new byte[1] : key).mac(data, 0, data.length, out, 8);
        assertThat(java.util.Arrays.copyOfRange(out, 8, 40)).isEqualTo(jdk.doFinal(data));
    }

    @Property(tries = 50)
    void oversizedIsRejected(@ForAll @IntRange(min = FrameCodec.MAX_FRAME + 1, max = FrameCodec.MAX_FRAME + 2000) int n) {
        byte[] bytes = new byte[n];
        assertThat(new FrameCodec("demo", KEY).decode(bytes, n, new FrameCodec.Frame())).isEqualTo(Drop.OVERSIZED);
    }
}
