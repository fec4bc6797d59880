package org.tandemha.scsi;

import java.time.Duration;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PeerAware;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Verdict;

/**
 * Arbiter type {@code scsi}: the safety check by SCSI-3 PREEMPT on the shared LUN. Asked about a silent peer, it
 * removes the peer's key; of two nodes racing, the target lets exactly one succeed. The winner answers
 * {@code PEER_DEAD} ("SCSI preempt won") and holds the reservation; the loser answers {@code WE_LOST} and reports
 * itself fenced. Parameters: {@code device} (iscsi:// URL or /dev path, required), {@code timeout} (per SCSI
 * command, default 5s), {@code checkInterval} (periodic key check, default 2s).
 */
public final class ScsiArbiterFactory implements ArbiterFactory {
    @Override
    public String type() {
        return "scsi";
    }

    @Override
    public Arbiter create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        SharedLock lock = Params.lock(config, cluster, context);
        return new ScsiArbiter(lock);
    }

    /**
     * The arbiter over one node's lock. A node that lost a race stays fenced (answers {@code WE_LOST} without
     * touching the target) until the peer is heard again ({@link #peerRejoined}) or the engine starts the volume
     * here.
     */
    static final class ScsiArbiter implements Arbiter, PeerAware {
        private final SharedLock lock;

        ScsiArbiter(SharedLock lock) {
            this.lock = lock;
        }

        @Override
        public String name() {
            return "scsi";
        }

        @Override
        public Verdict ask(String peer, long generation, Duration timeout) {
            try {
                return Params.within(timeout, () -> decide(peer), () -> Verdict.of(Verdict.Answer.UNKNOWN,
                        "SCSI: no answer from " + lock.target() + " within " + timeout.toMillis() + " ms"));
            } catch (RuntimeException e) {
                return Verdict.of(Verdict.Answer.UNKNOWN, "SCSI: unexpected " + e);
            }
        }

        @Override
        public void peerRejoined(String peer) {
            lock.rejoin();
        }

        private Verdict decide(String peer) {
            try {
                return switch (lock.preemptPeer(peer)) {
                    case WON -> Verdict.of(Verdict.Answer.PEER_DEAD, "SCSI preempt won: removed " + peer + "'s key from " + lock.target());
                    case PEER_ALREADY_GONE -> Verdict.of(Verdict.Answer.PEER_DEAD, "SCSI: " + peer + "'s key was already removed from "
                            + lock.target() + "; we hold the reservation");
                    case LOST -> Verdict.of(Verdict.Answer.WE_LOST, "SCSI preempt lost: " + lock.fencedReason());
                    case ASK_AGAIN -> Verdict.of(Verdict.Answer.UNKNOWN, "SCSI: " + lock.target() + " had lost every registration"
                            + " (an array restart without APTPL); registered our key again, the next round decides");
                };
            } catch (ScsiException e) {
                return Verdict.of(Verdict.Answer.UNKNOWN, "SCSI: " + e.getMessage());
            }
        }
    }
}
