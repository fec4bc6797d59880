package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The array restarts (tgtd killed and started again: tgtd keeps no registration, as an array without APTPL) while
 * node a holds the reservation and node b stands by. Neither stands down: a registers and reserves again, b
 * registers again without reserving. A real preempt by a peer still stands the victim down.
 */
class ArrayRestartTgtdTest {
    private static final Duration T = Duration.ofSeconds(3);
    private static final List<String> NODES = List.of("a", "b");
    @TempDir
    Path dir;
    TgtdTarget tgt;
    SharedLock a;
    SharedLock b;
    final List<String> fencedA = new CopyOnWriteArrayList<>();
    final List<String> fencedB = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        TgtdTarget.assumeAvailable();
        tgt = TgtdTarget.start(dir.resolve("tgt"), 8L << 20);
        String cluster = "restart-" + ProcessHandle.current().pid();
        a = SharedLock.create(tgt.url(), cluster, "a", T, tgt.initiator("restart-a"));
        b = SharedLock.create(tgt.url(), cluster, "b", T, tgt.initiator("restart-b"));
        a.knowNodes(NODES);
        b.knowNodes(NODES);
        a.onFenced(fencedA::add);
        b.onFenced(fencedB::add);
        a.acquire();
        b.register();
        assertThat(a.holds()).isTrue();
        a.scsi().write(10, new byte[512], 512);
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (tgt != null) {
            tgt.close();
        }
    }

    private void assertAHoldsAndBIsRegistered() throws ScsiException {
        assertThat(fencedA).as("node a's stand-down reports").isEmpty();
        assertThat(fencedB).as("node b's stand-down reports").isEmpty();
        assertThat(a.fenced()).isFalse();
        assertThat(b.fenced()).isFalse();
        assertThat(a.holds()).isTrue();
        ScsiDevice.Keys keys = b.scsi().readKeys();
        assertThat(keys.keys()).containsExactlyInAnyOrder(a.key(), b.key());
        assertThat(b.scsi().readReservation().key()).isEqualTo(a.key());
        assertThat(a.reestablishments()).isEqualTo(1);
        // a writes as the holder again; b, registered, could take over later with an ordinary preempt
        a.scsi().write(11, new byte[512], 512);
    }

    @Test
    void standbyNoticesFirstWaitsForTheHolderThenRegisters() throws Exception {
        tgt.restart();
        assertThat(b.check()).as("b, standby, finds its key gone with everything else: %s", fencedB).isTrue();
        // b does not register while the unit is empty (its key alone would look to a like a preempt)
        assertThat(b.scsi().readKeys().keys()).isEmpty();
        assertThat(a.check()).as("a, holder: %s", fencedA).isTrue();
        assertThat(b.check()).isTrue();
        assertAHoldsAndBIsRegistered();
    }

    @Test
    void holderNoticesFirstThenTheStandbyRegistersByTheGenerationThatWentBack() throws Exception {
        tgt.restart();
        assertThat(a.check()).as("a, holder: %s", fencedA).isTrue();
        assertThat(b.check()).as("b, standby: %s", fencedB).isTrue();
        assertAHoldsAndBIsRegistered();
    }

    @Test
    void bothMonitorsRunningAcrossTheRestartEndWithTheSameHolder() throws Exception {
        a.startMonitor(Duration.ofMillis(100));
        b.startMonitor(Duration.ofMillis(130));
        tgt.restart();
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        boolean settled = false;
        while (System.nanoTime() < until && !settled) {
            Thread.sleep(100);
            settled = b.scsi().readKeys().keys().size() == 2;
        }
        assertThat(settled).as("both keys registered again within 20 s; a: %s, b: %s", fencedA, fencedB).isTrue();
        assertAHoldsAndBIsRegistered();
    }

    @Test
    void aPeersPreemptAfterTheRestartStillStandsTheHolderDown() throws Exception {
        tgt.restart();
        assertThat(a.check()).isTrue();
        assertThat(b.check()).isTrue();
        assertThat(b.preemptPeer("a")).isEqualTo(SharedLock.Preempt.WON);
        assertThat(a.check()).isFalse();
        assertThat(a.fenced()).isTrue();
        assertThat(fencedA).hasSize(1);
        assertThat(fencedA.get(0)).contains("preempted by a peer").contains("node b").contains(ScsiDevice.hex(b.key()));
        assertThat(b.holds()).isTrue();
        assertThat(fencedB).isEmpty();
    }

    @Test
    void aStandbyPreemptedWhileTheHolderWasAwayStandsDown() throws Exception {
        // no array restart: a removes b's key (a safety check a won); b must not register again by itself
        b.check();
        assertThat(a.preemptPeer("b")).isEqualTo(SharedLock.Preempt.WON);
        assertThat(b.check()).isFalse();
        assertThat(fencedB.get(0)).contains("removed by a peer").contains("node a");
        assertThat(b.scsi().readKeys().keys()).containsExactly(a.key());
    }

    @Test
    void arrayRestartDuringATakeoverLeavesExactlyOneHolder() throws Exception {
        tgt.restart();
        // b, taking over from a silent a, meets an empty unit: it registers and asks again
        assertThat(b.preemptPeer("a")).isEqualTo(SharedLock.Preempt.ASK_AGAIN);
        // a, still alive, now sees b's key and no reservation: not an empty unit, so it stands down
        assertThat(a.check()).isFalse();
        assertThat(fencedA.get(0)).contains("preempted by a peer").contains("node b");
        assertThat(b.preemptPeer("a")).isEqualTo(SharedLock.Preempt.PEER_ALREADY_GONE);
        assertThat(b.holds()).isTrue();
        assertThat(b.scsi().readKeys().keys()).containsExactly(b.key());
        assertThat(fencedB).isEmpty();
    }

    @Test
    void holderReReservesFirstThenTheTakeoverPreemptsIt() throws Exception {
        tgt.restart();
        assertThat(a.check()).isTrue();
        // b, taking over from a silent a: its key went with the restart, nothing else changed: it registers and
        // preempts a as in any takeover
        assertThat(b.preemptPeer("a")).isEqualTo(SharedLock.Preempt.WON);
        assertThat(a.check()).isFalse();
        assertThat(b.holds()).isTrue();
        assertThat(fencedB).isEmpty();
    }
}
