package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CDB encoding and response parsing against byte vectors built from the SPC-4 / SBC-3 tables (the same bytes
 * {@code sg_persist -vv} prints for its commands), and the driver's status handling over a scripted transport.
 */
class CdbTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    @Test
    void persistentReserveInCdbs() {
        // sg_persist --in --read-keys: PR IN, SA 0, allocation length in bytes 7-8
        assertThat(Cdb.prIn(Cdb.READ_KEYS, 520)).isEqualTo(hex("5e 00 00 00 00 00 00 02 08 00"));
        assertThat(Cdb.prIn(Cdb.READ_RESERVATION, 24)).isEqualTo(hex("5e 01 00 00 00 00 00 00 18 00"));
        assertThat(Cdb.prIn(Cdb.REPORT_CAPABILITIES, 8)).isEqualTo(hex("5e 02 00 00 00 00 00 00 08 00"));
    }

    @Test
    void persistentReserveOutCdbsAndParameterList() {
        // sg_persist --out --register-ignore --param-sark=0x123abc
        assertThat(Cdb.prOut(Cdb.REGISTER_AND_IGNORE_EXISTING_KEY, null)).isEqualTo(hex("5f 06 00 00 00 00 00 00 18 00"));
        assertThat(Cdb.prOutParams(0, 0x123abcL, false)).isEqualTo(hex(
                "00 00 00 00 00 00 00 00 00 00 00 00 00 12 3a bc 00 00 00 00 00 00 00 00"));
        // sg_persist --out --reserve --param-rk=0x123abc --prout-type=5
        assertThat(Cdb.prOut(Cdb.RESERVE, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY)).isEqualTo(hex("5f 01 05 00 00 00 00 00 18 00"));
        assertThat(Cdb.prOutParams(0x123abcL, 0, false)).isEqualTo(hex(
                "00 00 00 00 00 12 3a bc 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
        // sg_persist --out --preempt-abort --param-rk=0x123abc --param-sark=0x456def --prout-type=5
        assertThat(Cdb.prOut(Cdb.PREEMPT_AND_ABORT, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY)).isEqualTo(hex("5f 05 05 00 00 00 00 00 18 00"));
        assertThat(Cdb.prOutParams(0x123abcL, 0x456defL, false)).isEqualTo(hex(
                "00 00 00 00 00 12 3a bc 00 00 00 00 00 45 6d ef 00 00 00 00 00 00 00 00"));
        assertThat(Cdb.prOut(Cdb.PREEMPT, ReservationType.EXCLUSIVE_ACCESS)).isEqualTo(hex("5f 04 03 00 00 00 00 00 18 00"));
        assertThat(Cdb.prOut(Cdb.RELEASE, ReservationType.WRITE_EXCLUSIVE)).isEqualTo(hex("5f 02 01 00 00 00 00 00 18 00"));
        assertThat(Cdb.prOut(Cdb.CLEAR, null)).isEqualTo(hex("5f 03 00 00 00 00 00 00 18 00"));
        assertThat(Cdb.prOut(Cdb.REGISTER, null)).isEqualTo(hex("5f 00 00 00 00 00 00 00 18 00"));
        // APTPL is bit 0 of byte 20
        assertThat(Cdb.prOutParams(1, 2, true)[20]).isEqualTo((byte) 1);
    }

    @Test
    void blockCdbs() {
        assertThat(Cdb.read16(0x0102030405060708L, 2)).isEqualTo(hex("88 00 01 02 03 04 05 06 07 08 00 00 00 02 00 00"));
        assertThat(Cdb.write16(7, 1)).isEqualTo(hex("8a 00 00 00 00 00 00 00 00 07 00 00 00 01 00 00"));
        assertThat(Cdb.readCapacity16(32)).isEqualTo(hex("9e 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00"));
    }

    @Test
    void readKeysResponse() throws Exception {
        // PRgeneration 5, additional length 16, two keys (sg_persist: "PR generation=0x5, 2 registered reservation keys follow")
        byte[] d = hex("00 00 00 05 00 00 00 10 00 00 00 00 00 12 3a bc 00 00 00 00 00 45 6d ef");
        ScsiDevice.Keys k = Cdb.parseKeys(d, d.length);
        assertThat(k.generation()).isEqualTo(5);
        assertThat(k.keys()).containsExactly(0x123abcL, 0x456defL);
        assertThat(k.truncated()).isFalse();
        // allocation length cut the list: what fits is returned and the cut is flagged
        ScsiDevice.Keys cut = Cdb.parseKeys(d, 16);
        assertThat(cut.keys()).containsExactly(0x123abcL);
        assertThat(cut.truncated()).isTrue();
        byte[] none = hex("00 00 00 09 00 00 00 00");
        assertThat(Cdb.parseKeys(none, 8).keys()).isEmpty();
        byte[] bad = hex("00 00 00 09 00 00 00 07");
        assertThatThrownBy(() -> Cdb.parseKeys(bad, 8)).isInstanceOfSatisfying(ScsiException.class,
                e -> assertThat(e.kind()).isEqualTo(ScsiException.Kind.BAD_RESPONSE));
        assertThatThrownBy(() -> Cdb.parseKeys(new byte[3], 3)).hasMessageContaining("need at least 8");
    }

    @Test
    void readReservationResponse() throws Exception {
        // sg_persist: "Key=0x123abc scope: LU_SCOPE, type: Write Exclusive, registrants only"
        byte[] d = hex("00 00 00 06 00 00 00 10 00 00 00 00 00 12 3a bc 00 00 00 00 00 05 00 00");
        ScsiDevice.Reservation r = Cdb.parseReservation(d, d.length);
        assertThat(r.held()).isTrue();
        assertThat(r.key()).isEqualTo(0x123abcL);
        assertThat(r.type()).isEqualTo(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertThat(r.scope()).isZero();
        assertThat(r.generation()).isEqualTo(6);
        assertThat(r.toString()).isEqualTo("WERO held by key 0x123abc");
        // "there is NO reservation held"
        ScsiDevice.Reservation none = Cdb.parseReservation(hex("00 00 00 06 00 00 00 00"), 8);
        assertThat(none.held()).isFalse();
        byte[] badType = hex("00 00 00 06 00 00 00 10 00 00 00 00 00 12 3a bc 00 00 00 00 00 02 00 00");
        assertThatThrownBy(() -> Cdb.parseReservation(badType, badType.length)).hasMessageContaining("unknown reservation type 2");
    }

    @Test
    void reportCapabilitiesResponse() throws Exception {
        byte[] d = hex("00 08 1d 81 ea 01 00 00");
        ScsiDevice.Capabilities c = Cdb.parseCapabilities(d, d.length);
        assertThat(c.compatibleReservationHandling()).isTrue();
        assertThat(c.specifyInitiatorPorts()).isTrue();
        assertThat(c.allTargetPorts()).isTrue();
        assertThat(c.persistThroughPowerLoss()).isTrue();
        assertThat(c.typeMaskValid()).isTrue();
        assertThat(c.persistThroughPowerLossActive()).isTrue();
        assertThat(c.types()).containsExactlyInAnyOrder(ReservationType.values());
        // tgtd's answer: SIP_C only, WERO only
        ScsiDevice.Capabilities t = Cdb.parseCapabilities(hex("00 08 08 80 20 00 00 00"), 8);
        assertThat(t.types()).containsExactly(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertThat(t.compatibleReservationHandling()).isFalse();
    }

    @Test
    void fixedAndDescriptorSense() {
        // fixed format, current: UNIT ATTENTION, ASC/ASCQ 2A/03 reservations preempted
        byte[] fixed = hex("70 00 06 00 00 00 00 0a 00 00 00 00 2a 03 00 00 00 00");
        Sense s = Sense.parse(fixed, fixed.length);
        assertThat(s.key()).isEqualTo(Sense.UNIT_ATTENTION);
        assertThat(s.asc()).isEqualTo(0x2a);
        assertThat(s.ascq()).isEqualTo(0x03);
        assertThat(s.descriptorFormat()).isFalse();
        assertThat(s.toString()).isEqualTo("UNIT ATTENTION: reservations preempted");
        // valid bit set (F0h) is still fixed format 70h
        assertThat(Sense.parse(hex("f0 00 02 00 00 00 00 0a 00 00 00 00 04 01 00 00 00 00"), 18).toString())
                .isEqualTo("NOT READY: logical unit is becoming ready");
        // descriptor format: ILLEGAL REQUEST, invalid field in CDB
        byte[] desc = hex("72 05 24 00 00 00 00 00");
        Sense d = Sense.parse(desc, desc.length);
        assertThat(d.descriptorFormat()).isTrue();
        assertThat(d.toString()).isEqualTo("ILLEGAL REQUEST: invalid field in CDB");
        assertThat(Sense.parse(hex("73 06 29 00 00 00 00 00"), 8).reason()).isEqualTo("power on, reset, or bus device reset occurred");
        // short fixed sense: a key without ASC
        assertThat(Sense.parse(hex("70 00 02"), 3).key()).isEqualTo(Sense.NOT_READY);
        assertThat(Sense.parse(hex("00 00"), 2)).isNull();
        assertThat(Sense.parse(new byte[0], 0)).isNull();
        assertThat(Sense.parse(hex("70 00 0b 00 00 00 00 0a 00 00 00 00 47 00 00 00 00 00"), 18).toString())
                .isEqualTo("ABORTED COMMAND: SCSI parity error");
        assertThat(Sense.parse(hex("72 04 99 88"), 4).reason()).isEqualTo("ASC 99h ASCQ 88h");
    }

    @Test
    void keysAndTypes() {
        long k1 = SharedLock.keyFor("prod", "node1");
        long k2 = SharedLock.keyFor("prod", "node2");
        assertThat(k1).isNotEqualTo(k2).isNotZero();
        assertThat(k1 >>> 32).isEqualTo(k2 >>> 32);
        assertThat(SharedLock.keyFor("prod", "node1")).isEqualTo(k1);
        assertThat(SharedLock.initiatorFor("Prod", "node_1")).isEqualTo("iqn.2026-11.org.tandemha:prod.node-1");
        assertThat(ReservationType.parse("wero")).isEqualTo(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertThat(ReservationType.parse("5")).isEqualTo(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertThat(ReservationType.parse("exclusive-access")).isEqualTo(ReservationType.EXCLUSIVE_ACCESS);
        assertThat(ReservationType.parse("nope")).isNull();
        // CHAP passwords never reach messages
        assertThat(LibIscsiTransport.redact("iscsi://admin%s3cret@10.0.0.1:3260/iqn.x:t/1")).isEqualTo("iscsi://admin%***@10.0.0.1:3260/iqn.x:t/1");
        assertThat(LibIscsiTransport.redact("iscsi://10.0.0.1/iqn.x:t/1")).isEqualTo("iscsi://10.0.0.1/iqn.x:t/1");
    }

    @Test
    void aMissingLibraryNamesThePackage() {
        assertThatThrownBy(() -> LibIscsiTransport.load("libiscsi-not-here.so.7")).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.NOT_INSTALLED);
            assertThat(e.getMessage()).contains("libiscsi-not-here.so.7 cannot be loaded").contains("apt-get install libiscsi7");
        });
    }

    /** A transport that plays back scripted answers. */
    static class Scripted implements ScsiTransport {
        final Deque<Object> answers = new ArrayDeque<>();
        final List<byte[]> cdbs = new ArrayList<>();

        @Override
        public String target() {
            return "scripted";
        }

        @Override
        public Response execute(byte[] cdb, Direction direction, byte[] dataOut, int dataInLength, Duration timeout) throws ScsiException {
            cdbs.add(cdb);
            Object a = answers.isEmpty() ? new Response(GOOD, new byte[0], new byte[dataInLength], 0) : answers.poll();
            if (a instanceof ScsiException e) {
                throw e;
            }
            return (Response) a;
        }

        @Override
        public void close() {
        }
    }

    private static ScsiTransport.Response sense(int key, int asc, int ascq) {
        return new ScsiTransport.Response(ScsiTransport.CHECK_CONDITION, Sense.fixed(key, asc, ascq), new byte[0], 0);
    }

    @Test
    void unitAttentionIsRetriedABoundedNumberOfTimes() {
        Scripted t = new Scripted();
        t.answers.add(sense(Sense.UNIT_ATTENTION, 0x29, 0x00));
        t.answers.add(sense(Sense.UNIT_ATTENTION, 0x2a, 0x05));
        byte[] keys = hex("00 00 00 01 00 00 00 08 00 00 00 00 00 00 00 07");
        t.answers.add(new ScsiTransport.Response(ScsiTransport.GOOD, new byte[0], keys, keys.length));
        ScsiDevice d = ScsiDevice.over(t, Duration.ofSeconds(1));
        assertThat(catchKeys(d)).containsExactly(7L);
        assertThat(t.cdbs).hasSize(3);
        assertThat(d.lastUnitAttention()).isEqualTo("registrations preempted");

        Scripted forever = new Scripted();
        for (int i = 0; i < 20; i++) {
            forever.answers.add(sense(Sense.UNIT_ATTENTION, 0x29, 0x00));
        }
        ScsiDevice d2 = ScsiDevice.over(forever, Duration.ofSeconds(1));
        assertThatThrownBy(d2::readKeys).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.UNIT_ATTENTION);
            assertThat(e.getMessage()).contains("READ KEYS").contains("power on, reset").contains("after 5 tries");
        });
        assertThat(forever.cdbs).hasSize(ScsiDevice.MAX_RETRIES + 1);
    }

    private static List<Long> catchKeys(ScsiDevice d) {
        try {
            return d.readKeys().keys();
        } catch (ScsiException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void statusesBecomeClearErrors() {
        Scripted t = new Scripted();
        ScsiDevice d = ScsiDevice.over(t, Duration.ofSeconds(1));
        t.answers.add(new ScsiTransport.Response(ScsiTransport.RESERVATION_CONFLICT, new byte[0], new byte[0], 0));
        assertThatThrownBy(() -> d.write(0, new byte[512], 512)).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.RESERVATION_CONFLICT);
            assertThat(e.getMessage()).contains("WRITE(16)").contains("RESERVATION CONFLICT").contains("fenced");
        });
        t.answers.add(sense(Sense.NOT_READY, 0x04, 0x03));
        assertThatThrownBy(d::readReservation).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.NOT_READY);
            assertThat(e.getMessage()).contains("manual intervention required");
        });
        t.answers.add(sense(Sense.ILLEGAL_REQUEST, 0x20, 0x00));
        assertThatThrownBy(d::reportCapabilities).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.ILLEGAL_REQUEST);
            assertThat(e.getMessage()).contains("REPORT CAPABILITIES").contains("invalid command operation code");
        });
        t.answers.add(sense(Sense.MEDIUM_ERROR, 0x11, 0x00));
        assertThatThrownBy(() -> d.read(0, 1, 512)).isInstanceOfSatisfying(ScsiException.class,
                e -> assertThat(e.kind()).isEqualTo(ScsiException.Kind.CHECK_CONDITION));
        // a transport error on an open session: one reconnect (fails here: scripted has no target) then the error
        t.answers.add(new ScsiException(ScsiException.Kind.TRANSPORT, "connection reset"));
        assertThatThrownBy(d::testUnitReady).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.NOT_INSTALLED);
            assertThat(e.getMessage()).contains("TEST UNIT READY");
        });
    }
}
