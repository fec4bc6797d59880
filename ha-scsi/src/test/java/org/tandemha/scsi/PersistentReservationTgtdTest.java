package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every persistent reservation action against a real SPC-3 target (tgtd) through libiscsi, with two initiators. */
class PersistentReservationTgtdTest {
    private static final Duration T = Duration.ofSeconds(5);
    @RegisterExtension
    static final TgtdLun tgt = new TgtdLun(16L << 20);

    private static void clearAll(ScsiDevice d, long key) throws ScsiException {
        d.registerAndIgnoreExistingKey(key);
        d.clear(key);
    }

    @Test
    void everyActionWorksAndIsReadBack() throws Exception {
        long ka = 0xA1A1L;
        long kb = 0xB2B2L;
        try (ScsiDevice a = ScsiDevice.open(tgt.url(), tgt.initiator("pr-a"), T);
             ScsiDevice b = ScsiDevice.open(tgt.url(), tgt.initiator("pr-b"), T);
             ScsiDevice c = ScsiDevice.open(tgt.url(), tgt.initiator("pr-c"), T)) {
            clearAll(a, ka);
            assertThat(a.readKeys().keys()).isEmpty();
            assertThat(a.readReservation().held()).isFalse();

            ScsiDevice.Capabilities caps = a.reportCapabilities();
            assertThat(caps.types()).contains(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);

            // REGISTER (from unregistered: current key 0) and REGISTER AND IGNORE EXISTING KEY
            a.register(0, ka);
            b.registerAndIgnoreExistingKey(0x1234);
            b.registerAndIgnoreExistingKey(kb);
            assertThat(a.readKeys().keys()).containsExactlyInAnyOrder(ka, kb);
            // REGISTER with a wrong current key is a conflict
            assertThatThrownBy(() -> b.register(0x999, 0x777))
                    .isInstanceOfSatisfying(ScsiException.class, e -> assertThat(e.kind()).isEqualTo(ScsiException.Kind.RESERVATION_CONFLICT));

            // RESERVE WERO, read back
            int gen0 = a.readKeys().generation();
            a.reserve(ka, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            ScsiDevice.Reservation r = b.readReservation();
            assertThat(r.held()).isTrue();
            assertThat(r.key()).isEqualTo(ka);
            assertThat(r.type()).isEqualTo(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            // RESERVE does not change the generation (SPC-4 6.14.2)
            assertThat(b.readKeys().generation()).isEqualTo(gen0);

            // registrants write, a stranger gets RESERVATION CONFLICT; everyone reads
            byte[] block = new byte[512];
            block[0] = 42;
            a.write(100, block, 512);
            b.write(101, block, 512);
            assertThatThrownBy(() -> c.write(102, block, 512))
                    .isInstanceOfSatisfying(ScsiException.class, e -> assertThat(e.kind()).isEqualTo(ScsiException.Kind.RESERVATION_CONFLICT));
            assertThat(c.read(100, 1, 512)[0]).isEqualTo((byte) 42);

            // RELEASE, read back
            a.release(ka, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            assertThat(c.readReservation().held()).isFalse();

            // PREEMPT: b takes a's reservation and removes a's key
            a.reserve(ka, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            b.preempt(kb, ka, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            assertThat(c.readKeys().keys()).containsExactly(kb);
            assertThat(c.readReservation().key()).isEqualTo(kb);
            assertThatThrownBy(() -> a.write(103, block, 512))
                    .isInstanceOfSatisfying(ScsiException.class, e -> assertThat(e.kind()).isEqualTo(ScsiException.Kind.RESERVATION_CONFLICT));

            // PREEMPT AND ABORT: tgtd 1.0.x answers ILLEGAL REQUEST (not implemented), parsed into a clear error;
            // the driver's fallback uses PREEMPT, which removes the key the same way.
            a.registerAndIgnoreExistingKey(ka);
            try {
                a.preemptAndAbort(ka, kb, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            } catch (ScsiException e) {
                assertThat(e.kind()).isEqualTo(ScsiException.Kind.ILLEGAL_REQUEST);
                assertThat(e.getMessage()).contains("PREEMPT AND ABORT").contains("ILLEGAL REQUEST").contains("invalid field in CDB");
                assertThat(a.preemptAndAbortOrPreempt(ka, kb, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY)).isFalse();
            }
            assertThat(c.readKeys().keys()).containsExactly(ka);
            ScsiDevice.Reservation r2 = c.readReservation();
            assertThat(r2.key()).isEqualTo(ka);
            assertThat(r2.type()).isEqualTo(ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            // the preempted node's PR OUT is a conflict: it is not registered any more
            assertThatThrownBy(() -> b.preemptAndAbortOrPreempt(kb, ka, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY))
                    .isInstanceOfSatisfying(ScsiException.class, e -> assertThat(e.kind()).isEqualTo(ScsiException.Kind.RESERVATION_CONFLICT));

            // CLEAR removes every key and the reservation
            b.registerAndIgnoreExistingKey(kb);
            a.clear(ka);
            assertThat(c.readKeys().keys()).isEmpty();
            assertThat(c.readReservation().held()).isFalse();

            // unregister with REGISTER to key 0
            a.registerAndIgnoreExistingKey(ka);
            a.register(ka, 0);
            assertThat(c.readKeys().keys()).isEmpty();

            // capacity and the block read-back
            long[] cap = a.capacity();
            assertThat(cap[0] * cap[1]).isEqualTo(16L << 20);
        }
    }

    @Test
    void twoNodesRacingPreemptAndAbortExactlyOneWinsEachRound() throws Exception {
        String url = tgt.url();
        try (SharedLock n1 = SharedLock.create(url, "race", "node1", T, tgt.initiator("race-1"));
             SharedLock n2 = SharedLock.create(url, "race", "node2", T, tgt.initiator("race-2"))) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                int wins1 = 0;
                int wins2 = 0;
                for (int round = 0; round < 100; round++) {
                    n1.rejoin();
                    n2.rejoin();
                    n1.register();
                    n2.register();
                    CountDownLatch go = new CountDownLatch(1);
                    Future<SharedLock.Preempt> f1 = pool.submit(() -> {
                        go.await();
                        return n1.preemptPeer("node2");
                    });
                    Future<SharedLock.Preempt> f2 = pool.submit(() -> {
                        go.await();
                        return n2.preemptPeer("node1");
                    });
                    go.countDown();
                    SharedLock.Preempt r1 = f1.get(30, TimeUnit.SECONDS);
                    SharedLock.Preempt r2 = f2.get(30, TimeUnit.SECONDS);
                    boolean w1 = r1 != SharedLock.Preempt.LOST;
                    boolean w2 = r2 != SharedLock.Preempt.LOST;
                    assertThat(w1 ^ w2).as("round %d: node1 %s, node2 %s", round, r1, r2).isTrue();
                    SharedLock winner = w1 ? n1 : n2;
                    SharedLock loser = w1 ? n2 : n1;
                    assertThat(loser.fenced()).isTrue();
                    ScsiDevice.Reservation res = winner.scsi().readReservation();
                    assertThat(res.key()).isEqualTo(winner.key());
                    assertThat(winner.scsi().readKeys().keys()).containsExactly(winner.key());
                    wins1 += w1 ? 1 : 0;
                    wins2 += w2 ? 1 : 0;
                }
                assertThat(wins1 + wins2).isEqualTo(100);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void preemptedNodesWriteGetsReservationConflictAndItsDriverReportsFenced() throws Exception {
        String url = tgt.url();
        try (SharedLock active = SharedLock.create(url, "fence", "alpha", T, tgt.initiator("fence-a"));
             SharedLock standby = SharedLock.create(url, "fence", "beta", T, tgt.initiator("fence-b"))) {
            AtomicReference<String> fenced = new AtomicReference<>();
            CountDownLatch reported = new CountDownLatch(1);
            active.onFenced(reason -> {
                fenced.set(reason);
                reported.countDown();
            });
            active.rejoin();
            standby.rejoin();
            active.acquire();
            standby.register();
            assertThat(active.holds()).isTrue();
            active.scsi().write(10, new byte[512], 512);

            active.startMonitor(Duration.ofMillis(100));
            assertThat(standby.preemptPeer("alpha")).isEqualTo(SharedLock.Preempt.WON);

            assertThatThrownBy(() -> active.scsi().write(10, new byte[512], 512))
                    .isInstanceOfSatisfying(ScsiException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ScsiException.Kind.RESERVATION_CONFLICT);
                        assertThat(e.getMessage()).contains("RESERVATION CONFLICT");
                    });
            assertThat(reported.await(10, TimeUnit.SECONDS)).as("fenced reported by the periodic check").isTrue();
            assertThat(active.fenced()).isTrue();
            assertThat(fenced.get()).contains("SCSI reservation lost").contains("removed");
            // a fenced node does not register again by itself
            assertThatThrownBy(active::register).isInstanceOf(ScsiException.class).hasMessageContaining("fenced");
            assertThat(standby.holds()).isTrue();
        }
    }

    @Test
    void capabilitiesAndUnitAttentionAreReported() throws Exception {
        try (ScsiDevice a = ScsiDevice.open(tgt.url(), tgt.initiator("ua-a"), T);
             ScsiDevice b = ScsiDevice.open(tgt.url(), tgt.initiator("ua-b"), T)) {
            clearAll(a, 0x11);
            a.registerAndIgnoreExistingKey(0x11);
            b.registerAndIgnoreExistingKey(0x22);
            b.reserve(0x22, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            a.preemptAndAbortOrPreempt(0x11, 0x22, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
            // b's next command meets the unit attention the preempt raised, retried transparently
            List<Long> keys = new ArrayList<>(b.readKeys().keys());
            assertThat(keys).containsExactly(0x11L);
            a.clear(0x11);
        }
    }
}
