package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tandemha.api.PathState;

/** The detector's maths on injected time: each row is a script of events at given milliseconds. */
class FailureDetectorTest {
    static final long MS = 1_000_000L;

    /** A row: events like "h10" (heard at 10 ms), "t300" (tick at 300 ms), "s250" (our thread stalled at 250 ms). */
    record Row(String name, String script, PathState expected, String lastChange) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Row> rows() {
        return List.of(
                new Row("nothing heard yet, before timeout", "t100 t299", PathState.UNKNOWN, "NONE"),
                new Row("nothing heard since start", "t300", PathState.DOWN, "no heartbeat heard in 300 ms since start"),
                new Row("first heartbeat brings it up", "h5", PathState.UP, "heartbeat heard"),
                new Row("regular heartbeats keep it up", "h0 h100 h200 t300 h300 t400 t499", PathState.UP, "NONE"),
                new Row("3 missed at 100 ms", "h0 h100 t300 t399 t400", PathState.DOWN, "3 heartbeats missed, last seen 300 ms ago"),
                new Row("late tick reports real silence", "h0 t612", PathState.DOWN, "6 heartbeats missed, last seen 612 ms ago"),
                new Row("down stays down on ticks", "h0 t300 t1000", PathState.DOWN, "NONE"),
                new Row("heard again after down", "h0 t300 h900", PathState.UP, "heartbeat heard again after 600 ms down"),
                new Row("stall widens patience", "h0 s250 t300 t349", PathState.UP, "NONE"),
                new Row("after the extra interval it goes down", "h0 s250 t300 t350", PathState.DOWN,
                        "3 heartbeats missed, last seen 350 ms ago"),
                new Row("a heartbeat during the grace keeps it up", "h0 s250 h320 t400 t619", PathState.UP, "NONE"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void script(Row row) {
        FailureDetector d = new FailureDetector(100 * MS, 3, 0);
        String last = "NONE";
        for (String ev : row.script().split(" ")) {
            long t = Long.parseLong(ev.substring(1)) * MS;
            switch (ev.charAt(0)) {
                case 'h' -> {
                    FailureDetector.Change c = d.heard(t, -1);
                    last = c == FailureDetector.Change.UP ? d.upReason(t) : "NONE";
                }
                case 't' -> {
                    FailureDetector.Change c = d.tick(t);
                    last = c == FailureDetector.Change.DOWN ? d.downReason(t) : "NONE";
                }
                case 's' -> d.stalled(t);
                default -> throw new IllegalArgumentException(ev);
            }
        }
        assertThat(d.state()).as(row.script()).isEqualTo(row.expected());
        assertThat(last).as(row.script()).isEqualTo(row.lastChange());
    }

    @Test
    void lossFollowsSequenceGaps() {
        FailureDetector d = new FailureDetector(100 * MS, 3, 0);
        for (int i = 1; i <= 200; i++) {
            d.heard(i * 100 * MS, i);
        }
        assertThat(d.lossPercent()).isEqualTo(0.0);
        long seq = 200;
        for (int i = 0; i < 100; i++) { // every other heartbeat lost
            seq += 2;
            d.heard((300 + i) * 100 * MS, seq);
        }
        assertThat(d.lossPercent()).isBetween(40.0, 60.0);
        d.tick(1_000_000 * MS);
        assertThat(d.lossPercent()).isEqualTo(100.0);
    }

    @Test
    void deadlineIsLastHeardPlusTimeout() {
        FailureDetector d = new FailureDetector(200 * MS, 4, 0);
        assertThat(d.deadline()).isEqualTo(800 * MS);
        d.heard(150 * MS, 1);
        assertThat(d.deadline()).isEqualTo(950 * MS);
    }
}
