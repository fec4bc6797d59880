package org.tandemha.scsi;

/**
 * The persistent reservation types of SPC-4 (table 5 of 6.15.3.4). {@link #WRITE_EXCLUSIVE_REGISTRANTS_ONLY} is the
 * one used for fencing: every registered node may read, only registered nodes may write, and removing a node's key
 * (PREEMPT) cuts its writes off at once.
 */
public enum ReservationType {
    /** Write Exclusive (1h): only the holder writes. */
    WRITE_EXCLUSIVE(0x1, "WE"),
    /** Exclusive Access (3h): only the holder reads or writes. */
    EXCLUSIVE_ACCESS(0x3, "EA"),
    /** Write Exclusive – Registrants Only (5h): the default for fencing. */
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5, "WERO"),
    /** Exclusive Access – Registrants Only (6h). */
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6, "EARO"),
    /** Write Exclusive – All Registrants (7h). */
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7, "WEAR"),
    /** Exclusive Access – All Registrants (8h). */
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8, "EAAR");

    private final int code;
    private final String shortName;

    ReservationType(int code, String shortName) {
        this.code = code;
        this.shortName = shortName;
    }

    /** The TYPE field value. */
    public int code() {
        return code;
    }

    /** The short name used in configuration and by sg_persist ({@code WERO}). */
    public String shortName() {
        return shortName;
    }

    /** The type with this TYPE code, or {@code null}. */
    public static ReservationType fromCode(int code) {
        for (ReservationType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** Parses {@code WERO}, {@code 5} or the enum name, without case; {@code null} if unknown. */
    public static ReservationType parse(String s) {
        String v = s.trim();
        for (ReservationType t : values()) {
            if (t.shortName.equalsIgnoreCase(v) || t.name().equalsIgnoreCase(v.replace('-', '_'))
                    || String.valueOf(t.code).equals(v)) {
                return t;
            }
        }
        return null;
    }
}
