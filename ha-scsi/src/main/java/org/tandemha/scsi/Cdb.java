package org.tandemha.scsi;

import java.util.ArrayList;
import java.util.List;

/**
 * CDB encoding and response parsing (SPC-4 6.14 PERSISTENT RESERVE IN, 6.15 PERSISTENT RESERVE OUT; SBC-3 READ(16),
 * WRITE(16), READ CAPACITY(16)). Pure byte work, tested against the tables of the standards.
 */
final class Cdb {
    static final int PR_IN = 0x5E;
    static final int PR_OUT = 0x5F;
    static final int READ_16 = 0x88;
    static final int WRITE_16 = 0x8A;
    static final int SERVICE_ACTION_IN_16 = 0x9E;
    static final int READ_CAPACITY_16_SA = 0x10;

    /** PERSISTENT RESERVE IN service actions (SPC-4 table 169). */
    static final int READ_KEYS = 0x00;
    static final int READ_RESERVATION = 0x01;
    static final int REPORT_CAPABILITIES = 0x02;

    /** PERSISTENT RESERVE OUT service actions (SPC-4 table 178). */
    static final int REGISTER = 0x00;
    static final int RESERVE = 0x01;
    static final int RELEASE = 0x02;
    static final int CLEAR = 0x03;
    static final int PREEMPT = 0x04;
    static final int PREEMPT_AND_ABORT = 0x05;
    static final int REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;

    /** The basic PERSISTENT RESERVE OUT parameter list is 24 bytes (SPC-4 6.15.3). */
    static final int PR_OUT_PARAM_LENGTH = 24;

    private Cdb() {
    }

    static String prOutName(int sa) {
        return switch (sa) {
            case REGISTER -> "REGISTER";
            case RESERVE -> "RESERVE";
            case RELEASE -> "RELEASE";
            case CLEAR -> "CLEAR";
            case PREEMPT -> "PREEMPT";
            case PREEMPT_AND_ABORT -> "PREEMPT AND ABORT";
            case REGISTER_AND_IGNORE_EXISTING_KEY -> "REGISTER AND IGNORE EXISTING KEY";
            default -> "PR OUT service action " + sa;
        };
    }

    static String prInName(int sa) {
        return switch (sa) {
            case READ_KEYS -> "READ KEYS";
            case READ_RESERVATION -> "READ RESERVATION";
            case REPORT_CAPABILITIES -> "REPORT CAPABILITIES";
            default -> "PR IN service action " + sa;
        };
    }

    /** PERSISTENT RESERVE IN (10 bytes): service action in byte 1, allocation length in bytes 7-8. */
    static byte[] prIn(int serviceAction, int allocationLength) {
        byte[] c = new byte[10];
        c[0] = (byte) PR_IN;
        c[1] = (byte) (serviceAction & 0x1F);
        c[7] = (byte) (allocationLength >>> 8);
        c[8] = (byte) allocationLength;
        return c;
    }

    /**
     * PERSISTENT RESERVE OUT (10 bytes): service action in byte 1, scope (0h, LU_SCOPE) and type in byte 2,
     * parameter list length in bytes 5-8.
     */
    static byte[] prOut(int serviceAction, ReservationType type) {
        byte[] c = new byte[10];
        c[0] = (byte) PR_OUT;
        c[1] = (byte) (serviceAction & 0x1F);
        c[2] = (byte) (type == null ? 0 : type.code() & 0x0F);
        putInt(c, 5, PR_OUT_PARAM_LENGTH);
        return c;
    }

    /**
     * The basic PR OUT parameter list: reservation key (bytes 0-7), service action reservation key (8-15), and the
     * APTPL bit (byte 20 bit 0).
     */
    static byte[] prOutParams(long key, long serviceActionKey, boolean aptpl) {
        byte[] p = new byte[PR_OUT_PARAM_LENGTH];
        putLong(p, 0, key);
        putLong(p, 8, serviceActionKey);
        if (aptpl) {
            p[20] = 0x01;
        }
        return p;
    }

    static byte[] read16(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) READ_16;
        putLong(c, 2, lba);
        putInt(c, 10, blocks);
        return c;
    }

    static byte[] write16(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) WRITE_16;
        putLong(c, 2, lba);
        putInt(c, 10, blocks);
        return c;
    }

    static byte[] readCapacity16(int allocationLength) {
        byte[] c = new byte[16];
        c[0] = (byte) SERVICE_ACTION_IN_16;
        c[1] = (byte) READ_CAPACITY_16_SA;
        putInt(c, 10, allocationLength);
        return c;
    }

    static byte[] testUnitReady() {
        return new byte[6];
    }

    /** READ KEYS parameter data (SPC-4 6.14.2): generation, additional length, then 8-byte keys. */
    static ScsiDevice.Keys parseKeys(byte[] d, int len) throws ScsiException {
        need(d, len, 8, "READ KEYS");
        int generation = getInt(d, 0);
        int add = getInt(d, 4);
        if (add < 0 || add % 8 != 0) {
            throw bad("READ KEYS", "additional length " + add + " is not a multiple of 8");
        }
        int n = Math.min(add, len - 8) / 8;
        List<Long> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(getLong(d, 8 + 8 * i));
        }
        return new ScsiDevice.Keys(generation, keys, add / 8 > n);
    }

    /** READ RESERVATION parameter data (SPC-4 6.14.3): no reservation if the additional length is 0. */
    static ScsiDevice.Reservation parseReservation(byte[] d, int len) throws ScsiException {
        need(d, len, 8, "READ RESERVATION");
        int generation = getInt(d, 0);
        int add = getInt(d, 4);
        if (add == 0) {
            return new ScsiDevice.Reservation(generation, false, 0, null, 0);
        }
        if (add < 16 || len < 24) {
            throw bad("READ RESERVATION", "additional length " + add + " with " + len + " bytes returned, need 24");
        }
        long key = getLong(d, 8);
        int scope = (d[21] >> 4) & 0x0F;
        int typeCode = d[21] & 0x0F;
        ReservationType type = ReservationType.fromCode(typeCode);
        if (type == null) {
            throw bad("READ RESERVATION", "unknown reservation type " + typeCode);
        }
        return new ScsiDevice.Reservation(generation, true, key, type, scope);
    }

    /** REPORT CAPABILITIES parameter data (SPC-4 6.14.4). */
    static ScsiDevice.Capabilities parseCapabilities(byte[] d, int len) throws ScsiException {
        need(d, len, 8, "REPORT CAPABILITIES");
        int length = (d[0] & 0xFF) << 8 | d[1] & 0xFF;
        if (length < 8) {
            throw bad("REPORT CAPABILITIES", "length " + length + ", expected 8");
        }
        boolean crh = (d[2] & 0x10) != 0;
        boolean sipc = (d[2] & 0x08) != 0;
        boolean atpc = (d[2] & 0x04) != 0;
        boolean ptplc = (d[2] & 0x01) != 0;
        boolean tmv = (d[3] & 0x80) != 0;
        int allowCommands = (d[3] >> 4) & 0x07;
        boolean ptpla = (d[3] & 0x01) != 0;
        List<ReservationType> types = new ArrayList<>();
        if (tmv) {
            if ((d[4] & 0x02) != 0) {
                types.add(ReservationType.WRITE_EXCLUSIVE);
            }
            if ((d[4] & 0x08) != 0) {
                types.add(ReservationType.EXCLUSIVE_ACCESS);
            }
            if ((d[4] & 0x20) != 0) {
                types.add(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            }
            if ((d[4] & 0x40) != 0) {
                types.add(ReservationType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
            }
            if ((d[4] & 0x80) != 0) {
                types.add(ReservationType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
            }
            if ((d[5] & 0x01) != 0) {
                types.add(ReservationType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS);
            }
        }
        return new ScsiDevice.Capabilities(crh, sipc, atpc, ptplc, tmv, allowCommands, ptpla, List.copyOf(types));
    }

    /** READ CAPACITY(16) data: returned logical block address (bytes 0-7), block length (8-11). */
    static long[] parseCapacity16(byte[] d, int len) throws ScsiException {
        need(d, len, 12, "READ CAPACITY(16)");
        return new long[] {getLong(d, 0) + 1, getInt(d, 8) & 0xFFFFFFFFL};
    }

    private static void need(byte[] d, int len, int n, String what) throws ScsiException {
        if (d == null || len < n) {
            throw bad(what, "only " + Math.max(0, len) + " bytes returned, need at least " + n);
        }
    }

    private static ScsiException bad(String what, String detail) {
        return new ScsiException(ScsiException.Kind.BAD_RESPONSE, what + ": malformed response from the target: " + detail);
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }

    static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | b[at + i] & 0xFF;
        }
        return v;
    }
}
