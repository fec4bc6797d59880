package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * "Preempted by a peer" or "the array lost every registration": the pure decision of {@link SharedLock#onKeyMissing},
 * and APTPL from REPORT CAPABILITIES over a scripted transport.
 */
class KeyLossTest {
    private static final long US = 0xA;
    private static final long PEER = 0xB;
    private static final long THIRD = 0xC;
    private static final Map<Long, String> NAMES = Map.of(US, "n1", PEER, "n2", THIRD, "n3");

    private static ScsiDevice.Keys keys(int generation, Long... k) {
        return new ScsiDevice.Keys(generation, List.of(k), false);
    }

    private static ScsiDevice.Reservation heldBy(long key) {
        return new ScsiDevice.Reservation(0, true, key, ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0);
    }

    private static final ScsiDevice.Reservation NONE = new ScsiDevice.Reservation(0, false, 0, null, 0);

    private static SharedLock.KeyLoss decide(boolean holding, boolean takeover, ScsiDevice.Keys k, ScsiDevice.Reservation r,
                                             long lastGood, long emptyAt) {
        return SharedLock.onKeyMissing(US, holding, takeover, k, r, lastGood, emptyAt, NAMES::get);
    }

    @Test
    void anEmptyUnitIsNotAFence() {
        SharedLock.KeyLoss holder = decide(true, false, keys(0), NONE, 5, -1);
        assertThat(holder.action()).isEqualTo(SharedLock.Loss.REESTABLISH);
        assertThat(holder.why()).contains("no key and no reservation").contains("lost every registration").contains("APTPL");
        // a standby never reserves because keys vanished, and does not even register while the unit is empty
        assertThat(decide(false, false, keys(0), NONE, 5, -1).action()).isEqualTo(SharedLock.Loss.WAIT);
        // asked about a silent peer: registers, and the question is asked again
        assertThat(decide(false, true, keys(0), NONE, 5, -1).action()).isEqualTo(SharedLock.Loss.REGISTER_AND_ASK_AGAIN);
        assertThat(decide(true, true, keys(0), NONE, 5, -1).action()).isEqualTo(SharedLock.Loss.REESTABLISH);
    }

    @Test
    void aHolderThatFindsAPeersKeyOrReservationWasPreempted() {
        SharedLock.KeyLoss byReservation = decide(true, false, keys(7, PEER), heldBy(PEER), 6, -1);
        assertThat(byReservation.action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        assertThat(byReservation.why()).contains("preempted by a peer").contains("held by key 0xb (node n2)");
        // a peer's key without a reservation (the peer registered into an empty unit to take over): preempted too
        SharedLock.KeyLoss byKey = decide(true, false, keys(1, PEER), NONE, 6, -1);
        assertThat(byKey.action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        assertThat(byKey.why()).contains("no reservation").contains("registered: key 0xb (node n2)");
        // even when the generation went back (the peer released after taking over while we were paused)
        assertThat(decide(true, false, keys(1, PEER), NONE, 9, 0).action()).isEqualTo(SharedLock.Loss.PREEMPTED);
    }

    @Test
    void aStandbyRegistersAgainOnlyWhenEveryChangeSinceTheLossIsAKeyStillThere() {
        // it saw the unit empty at generation 0; the holder registered (1) and reserved: accounted for
        assertThat(decide(false, false, keys(1, PEER), heldBy(PEER), 4, 0).action()).isEqualTo(SharedLock.Loss.REJOIN);
        // it did not see the empty unit, but the generation went back from 4 to 1 (a power on resets it to 0)
        SharedLock.KeyLoss back = decide(false, false, keys(1, PEER), heldBy(PEER), 4, -1);
        assertThat(back.action()).isEqualTo(SharedLock.Loss.REJOIN);
        assertThat(back.why()).contains("went back from 4");
        // three nodes: the holder and another standby registered since: two steps, two keys
        assertThat(decide(false, false, keys(2, PEER, THIRD), heldBy(PEER), 4, 0).action()).isEqualTo(SharedLock.Loss.REJOIN);
        // the holder re-registered but did not reserve yet: still accounted for
        assertThat(decide(false, true, keys(1, PEER), NONE, 4, 0).action()).isEqualTo(SharedLock.Loss.REJOIN);
    }

    @Test
    void aStandbyWithoutProofOfTheLossWasPreempted() {
        // the generation moved forward: an ordinary preempt by the holder
        SharedLock.KeyLoss preempt = decide(false, false, keys(5, PEER), heldBy(PEER), 4, -1);
        assertThat(preempt.action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        assertThat(preempt.why()).contains("removed by a peer").contains("node n2");
        // no generation known at all
        assertThat(decide(false, false, keys(1, PEER), heldBy(PEER), -1, -1).action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        // the holder's mark after declaring us gone: one step more than keys
        SharedLock.KeyLoss marked = decide(false, false, keys(2, PEER), heldBy(PEER), 4, 0);
        assertThat(marked.action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        assertThat(marked.why()).contains("2 registration change(s)").contains("1 key(s)");
        // we registered after the loss and were preempted since: 3 steps (peer, us, preempt) for 1 key
        assertThat(decide(false, false, keys(3, PEER), heldBy(PEER), 4, 0).action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        // a reservation held by a key that is not registered, or a truncated key list: no proof
        assertThat(decide(false, false, keys(1, THIRD), heldBy(PEER), 4, 0).action()).isEqualTo(SharedLock.Loss.PREEMPTED);
        assertThat(SharedLock.onKeyMissing(US, false, false, new ScsiDevice.Keys(1, List.of(PEER), true), heldBy(PEER), 4, 0,
                NAMES::get).action()).isEqualTo(SharedLock.Loss.PREEMPTED);
    }

    // ---- APTPL from REPORT CAPABILITIES, over a scripted transport ----

    private static ScsiTransport.Response good(byte[] data) {
        return new ScsiTransport.Response(ScsiTransport.GOOD, new byte[0], data, data.length);
    }

    private static ScsiTransport.Response keysResponse(int generation, long... k) {
        byte[] d = new byte[8 + 8 * k.length];
        Cdb.putInt(d, 0, generation);
        Cdb.putInt(d, 4, 8 * k.length);
        for (int i = 0; i < k.length; i++) {
            Cdb.putLong(d, 8 + 8 * i, k[i]);
        }
        return good(d);
    }

    /** The parameter list of the PR OUT command among the scripted commands, by position. */
    private static final class Recording extends CdbTest.Scripted {
        final List<byte[]> outs = new java.util.ArrayList<>();

        @Override
        public Response execute(byte[] cdb, Direction direction, byte[] dataOut, int dataInLength, Duration timeout) throws ScsiException {
            if (direction == Direction.OUT) {
                outs.add(dataOut.clone());
            }
            return super.execute(cdb, direction, dataOut, dataInLength, timeout);
        }
    }

    @Test
    void aUnitThatCanPersistThroughPowerLossGetsAptpl() throws Exception {
        Recording t = new Recording();
        // REPORT CAPABILITIES: PTPL_C set (byte 2 bit 0), WERO in the type mask
        t.answers.add(good(CdbTest.hex("00 08 01 80 20 00 00 00")));
        t.answers.add(good(new byte[0])); // REGISTER AND IGNORE EXISTING KEY
        SharedLock lock = SharedLock.over(ScsiDevice.over(t, Duration.ofSeconds(1)), "c", "n1");
        t.answers.add(keysResponse(1, lock.key())); // the read of the generation
        lock.register();
        assertThat(lock.aptpl()).isTrue();
        assertThat(t.outs).hasSize(1);
        assertThat(t.outs.get(0)[20]).as("APTPL bit").isEqualTo((byte) 1);
        assertThat(Cdb.getLong(t.outs.get(0), 8)).isEqualTo(lock.key());
        assertThat(t.cdbs.get(0)[1] & 0x1F).isEqualTo(Cdb.REPORT_CAPABILITIES);
    }

    @Test
    void aUnitWithoutPtplOrWithoutReportCapabilitiesRegistersWithoutAptpl() throws Exception {
        Recording t = new Recording();
        t.answers.add(good(CdbTest.hex("00 08 08 80 20 00 00 00"))); // tgtd's answer: SIP_C only
        t.answers.add(good(new byte[0]));
        SharedLock lock = SharedLock.over(ScsiDevice.over(t, Duration.ofSeconds(1)), "c", "n1");
        t.answers.add(keysResponse(1, lock.key()));
        lock.register();
        assertThat(lock.aptpl()).isFalse();
        assertThat(t.outs.get(0)[20]).isEqualTo((byte) 0);

        Recording old = new Recording();
        old.answers.add(new ScsiTransport.Response(ScsiTransport.CHECK_CONDITION, Sense.fixed(Sense.ILLEGAL_REQUEST, 0x20, 0x00),
                new byte[0], 0)); // invalid command operation code
        old.answers.add(good(new byte[0]));
        SharedLock lock2 = SharedLock.over(ScsiDevice.over(old, Duration.ofSeconds(1)), "c", "n1");
        old.answers.add(keysResponse(1, lock2.key()));
        lock2.register();
        assertThat(lock2.aptpl()).as("not supported counts as not capable").isFalse();
        assertThat(old.outs.get(0)[20]).isEqualTo((byte) 0);
        old.answers.add(good(new byte[0]));
        old.answers.add(keysResponse(2, lock2.key()));
        lock2.register();
        assertThat(old.cdbs.stream().filter(c -> (c[0] & 0xFF) == Cdb.PR_IN && (c[1] & 0x1F) == Cdb.REPORT_CAPABILITIES)).hasSize(1);
    }

    @Test
    void aUnitThatClaimsPtplButRejectsAptplFallsBack() throws Exception {
        Recording t = new Recording();
        t.answers.add(good(CdbTest.hex("00 08 01 80 20 00 00 00")));
        t.answers.add(new ScsiTransport.Response(ScsiTransport.CHECK_CONDITION, Sense.fixed(Sense.ILLEGAL_REQUEST, 0x26, 0x00),
                new byte[0], 0)); // invalid field in parameter list
        t.answers.add(good(new byte[0]));
        SharedLock lock = SharedLock.over(ScsiDevice.over(t, Duration.ofSeconds(1)), "c", "n1");
        t.answers.add(keysResponse(1, lock.key()));
        lock.register();
        assertThat(lock.aptpl()).isFalse();
        assertThat(t.outs).hasSize(2);
        assertThat(t.outs.get(0)[20]).isEqualTo((byte) 1);
        assertThat(t.outs.get(1)[20]).isEqualTo((byte) 0);
    }
}
