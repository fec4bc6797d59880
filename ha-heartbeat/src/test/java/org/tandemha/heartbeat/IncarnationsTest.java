package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncarnationsTest {
    @Test
    void increasingAndAboveTheLastSavedEvenWhenTheClockIsBehind(@TempDir Path dir) throws Exception {
        long a = Incarnations.next(dir, "node1");
        long b = Incarnations.next(dir, "node1");
        assertThat(b).isGreaterThan(a);
        long future = System.currentTimeMillis() * 1000 + 3_600_000_000L; // saved by a clock one hour ahead
        Files.writeString(dir.resolve("heartbeat-incarnation-node1"), Long.toString(future));
        assertThat(Incarnations.next(dir, "node1")).isEqualTo(future + 1);
        assertThat(Incarnations.next(null, "node1")).isPositive();
        Files.writeString(dir.resolve("heartbeat-incarnation-node2"), "garbage");
        assertThat(Incarnations.next(dir, "node2")).as("a corrupt file falls back to the clock").isPositive();
    }
}
