package org.tandemha.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    @Test
    void acceptsEachSequenceOnceWithReordering() {
        ReplayWindow w = new ReplayWindow();
        assertThat(w.accept(0)).as("zero is never valid").isFalse();
        assertThat(w.accept(5)).isTrue();
        assertThat(w.accept(3)).as("reordered, within window").isTrue();
        assertThat(w.accept(3)).as("replay").isFalse();
        assertThat(w.accept(5)).as("replay").isFalse();
        assertThat(w.accept(4)).isTrue();
        assertThat(w.accept(5000)).isTrue();
        assertThat(w.accept(5000 - ReplayWindow.SIZE)).as("too old").isFalse();
        assertThat(w.accept(5000 - ReplayWindow.SIZE + 1)).isTrue();
        assertThat(w.accept(4999)).isTrue();
        w.reset();
        assertThat(w.accept(1)).as("new incarnation starts over").isTrue();
    }

    @Test
    void slidingForgetsOldBits() {
        ReplayWindow w = new ReplayWindow();
        for (long s = 1; s <= 10_000; s += 3) {
            assertThat(w.accept(s)).isTrue();
        }
        assertThat(w.accept(10_000 - 1)).as("gap within window is new").isTrue();
        assertThat(w.accept(10_000 - 2)).isTrue();
    }
}
