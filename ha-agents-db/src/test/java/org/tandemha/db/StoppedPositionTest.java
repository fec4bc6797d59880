package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading a stopped copy's position: the parsing of pg_controldata, history files and pg_waldump's end (no server). */
class StoppedPositionTest {
    private static final long SEG = 16L * 1024 * 1024;

    @Test
    void theEndOfWalIsTheHighestLocationPgWaldumpNames() {
        assertThat(StoppedPosition.endOfWal("pg_waldump: error: error in WAL record at 0/2154880: invalid record length at"
                + " 0/2154A18: wanted 24, got 0", 0, SEG)).isEqualTo(0x2154A18L);
        assertThat(StoppedPosition.endOfWal("pg_waldump: error: error in WAL record at 1/4FFFF80: could not find file"
                + " \"000000010000000100000005\": No such file or directory", 0, SEG)).as("the missing segment's start")
                .isEqualTo((1L << 32) | 0x5000000L);
        assertThat(StoppedPosition.endOfWal("pg_waldump: error: could not find file \"x\"", 0x100, SEG)).as("nothing named").isEqualTo(-1);
        assertThat(StoppedPosition.endOfWal("pg_waldump: error: could not find file \"000000020000000000000005\": No such file or"
                + " directory", 0x4000100, SEG)).as("after a switch record: the next segment's start").isEqualTo(0x5000000L);
        assertThat(StoppedPosition.endOfWal("pg_waldump: first record is after 0/1000000, at 0/1000028, skipping over 40 bytes\n"
                + "pg_waldump: error: error in WAL record at 0/1000028: invalid record length at 0/10000A0: wanted 24, got 0",
                0x1000000, SEG)).isEqualTo(0x10000A0L);
        assertThat(StoppedPosition.endOfWal("", 5, SEG)).isEqualTo(-1);
        assertThat(StoppedPosition.segmentName(2, 0x5000028L, SEG)).isEqualTo("000000020000000000000005");
        assertThat(StoppedPosition.segmentName(1, (1L << 32) | 0x1000000L, SEG)).isEqualTo("000000010000000100000001");
    }

    @Test
    void controlDataHistoryAndTimelines() {
        var m = StoppedPosition.controlData("Latest checkpoint location:           0/1500708\n"
                + "Latest checkpoint's REDO location:    0/15006D0\nLatest checkpoint's TimeLineID:       1\n");
        assertThat(StoppedPosition.lsn(m.get("Latest checkpoint location"))).isEqualTo(0x1500708L);
        assertThat(StoppedPosition.lsn(m.get("Latest checkpoint's REDO location"))).isEqualTo(0x15006D0L);
        assertThat(StoppedPosition.lsn("0/0")).isZero();
        assertThat(StoppedPosition.lsn("nonsense")).isEqualTo(-1);
        assertThat(StoppedPosition.switchpoint("1\t0/3000148\tno recovery target specified\n\n"
                + "2\t0/5000000\tno recovery target specified\n")).isEqualTo(0x5000000L);
        assertThat(StoppedPosition.switchpoint("")).isEqualTo(-1);
        assertThat(StoppedPosition.newestTimeline(List.of("000000010000000000000003", "000000020000000000000003",
                "00000003.history", "000000010000000000000002.partial"))).isEqualTo(2);
        assertThat(StoppedPosition.format((1L << 32) | 0xA0)).isEqualTo("1/A0");
    }
}
