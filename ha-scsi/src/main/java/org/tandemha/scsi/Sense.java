package org.tandemha.scsi;

import java.util.Locale;

/**
 * Sense data (SPC-4 4.5), fixed (response codes 70h/71h) or descriptor format (72h/73h), reduced to what the
 * driver acts on: the sense key and the additional sense code and qualifier.
 */
record Sense(int responseCode, int key, int asc, int ascq) {
    static final int NO_SENSE = 0x0;
    static final int RECOVERED_ERROR = 0x1;
    static final int NOT_READY = 0x2;
    static final int MEDIUM_ERROR = 0x3;
    static final int HARDWARE_ERROR = 0x4;
    static final int ILLEGAL_REQUEST = 0x5;
    static final int UNIT_ATTENTION = 0x6;
    static final int DATA_PROTECT = 0x7;
    static final int ABORTED_COMMAND = 0xB;

    /** Parses sense bytes; {@code null} if there are none or they are too short to carry a sense key. */
    static Sense parse(byte[] b, int length) {
        if (b == null || length < 1) {
            return null;
        }
        int code = b[0] & 0x7F;
        switch (code) {
            case 0x70, 0x71 -> {
                if (length < 3) {
                    return null;
                }
                int key = b[2] & 0x0F;
                // ASC/ASCQ are present only if the additional length (byte 7) reaches them.
                int add = length > 7 ? b[7] & 0xFF : 0;
                int asc = length > 12 && add >= 5 ? b[12] & 0xFF : 0;
                int ascq = length > 13 && add >= 6 ? b[13] & 0xFF : 0;
                return new Sense(code, key, asc, ascq);
            }
            case 0x72, 0x73 -> {
                if (length < 4) {
                    return length >= 2 ? new Sense(code, b[1] & 0x0F, 0, 0) : null;
                }
                return new Sense(code, b[1] & 0x0F, b[2] & 0xFF, b[3] & 0xFF);
            }
            default -> {
                return null;
            }
        }
    }

    /** Builds fixed-format sense bytes; used where a transport reports sense already parsed (libiscsi). */
    static byte[] fixed(int key, int asc, int ascq) {
        byte[] b = new byte[18];
        b[0] = 0x70;
        b[2] = (byte) (key & 0x0F);
        b[7] = 10;
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        return b;
    }

    boolean descriptorFormat() {
        return responseCode >= 0x72;
    }

    String keyName() {
        return switch (key) {
            case NO_SENSE -> "NO SENSE";
            case RECOVERED_ERROR -> "RECOVERED ERROR";
            case NOT_READY -> "NOT READY";
            case MEDIUM_ERROR -> "MEDIUM ERROR";
            case HARDWARE_ERROR -> "HARDWARE ERROR";
            case ILLEGAL_REQUEST -> "ILLEGAL REQUEST";
            case UNIT_ATTENTION -> "UNIT ATTENTION";
            case DATA_PROTECT -> "DATA PROTECT";
            case 0x8 -> "BLANK CHECK";
            case 0x9 -> "VENDOR SPECIFIC";
            case 0xA -> "COPY ABORTED";
            case ABORTED_COMMAND -> "ABORTED COMMAND";
            case 0xD -> "VOLUME OVERFLOW";
            case 0xE -> "MISCOMPARE";
            default -> String.format(Locale.ROOT, "sense key %Xh", key);
        };
    }

    /** The additional sense code in words, for the codes this driver meets; hex otherwise. */
    String reason() {
        int code = asc << 8 | ascq;
        String s = switch (code) {
            case 0x0400 -> "logical unit not ready, cause not reportable";
            case 0x0401 -> "logical unit is becoming ready";
            case 0x0402 -> "logical unit not ready, initializing command required";
            case 0x0403 -> "logical unit not ready, manual intervention required";
            case 0x2000 -> "invalid command operation code";
            case 0x2100 -> "logical block address out of range";
            case 0x2400 -> "invalid field in CDB";
            case 0x2500 -> "logical unit not supported";
            case 0x2600 -> "invalid field in parameter list";
            case 0x2900 -> "power on, reset, or bus device reset occurred";
            case 0x2901 -> "power on occurred";
            case 0x2902 -> "SCSI bus reset occurred";
            case 0x2903 -> "bus device reset function occurred";
            case 0x2904 -> "device internal reset";
            case 0x2907 -> "I_T nexus loss occurred";
            case 0x2A01 -> "mode parameters changed";
            case 0x2A03 -> "reservations preempted";
            case 0x2A04 -> "reservations released";
            case 0x2A05 -> "registrations preempted";
            case 0x2A09 -> "capacity data has changed";
            case 0x2C00 -> "command sequence error";
            case 0x3A00 -> "medium not present";
            case 0x3F0E -> "reported LUNs data has changed";
            case 0x4700 -> "SCSI parity error";
            case 0x5500 -> "system resource failure";
            default -> null;
        };
        return s != null ? s : String.format(Locale.ROOT, "ASC %02Xh ASCQ %02Xh", asc, ascq);
    }

    @Override
    public String toString() {
        return keyName() + ": " + reason();
    }
}
