package org.tandemha.scsi;

import java.time.Duration;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Fencer;
import org.tandemha.api.FencerFactory;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Severity;

/**
 * Fencer type {@code scsi-preempt}: fences a peer by removing its key from the shared LUN (PREEMPT AND ABORT, or
 * PREEMPT where the target lacks it), after which the peer's writes get RESERVATION CONFLICT. Parameters as the
 * {@code scsi} arbiter: {@code device}, {@code timeout}, {@code checkInterval}.
 */
public final class ScsiFencerFactory implements FencerFactory {
    @Override
    public String type() {
        return "scsi-preempt";
    }

    @Override
    public Fencer create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        SharedLock lock = Params.lock(config, cluster, context);
        return new Fencer() {
            @Override
            public String name() {
                return "scsi-preempt";
            }

            @Override
            public ActionResult fence(String peer, ActionContext ctx) {
                try {
                    return Params.within(ctx.remaining(), () -> preempt(peer), () -> ActionResult.timeout(ctx.timeout())
                            .withReason("fencing " + peer + ": no answer from " + lock.target() + " before the deadline"));
                } catch (RuntimeException e) {
                    return ActionResult.failed("fencing " + peer + ": unexpected " + e);
                }
            }

            private ActionResult preempt(String peer) {
                long t0 = System.nanoTime();
                try {
                    SharedLock.Preempt p = lock.preemptPeer(peer);
                    Duration took = Duration.ofNanos(System.nanoTime() - t0);
                    return switch (p) {
                        case WON -> ActionResult.done("removed " + peer + "'s key from " + lock.target()).withDuration(took);
                        case PEER_ALREADY_GONE -> ActionResult.done(peer + "'s key was already gone from " + lock.target()).withDuration(took);
                        case LOST -> ActionResult.failed(Severity.HARD, "cannot fence " + peer + ": this node was fenced first ("
                                + lock.fencedReason() + ")").withDuration(took);
                        case ASK_AGAIN -> ActionResult.failed("cannot fence " + peer + " yet: " + lock.target() + " had lost every"
                                + " registration (an array restart without APTPL); this node registered again; fence again").withDuration(took);
                    };
                } catch (ScsiException e) {
                    Duration took = Duration.ofNanos(System.nanoTime() - t0);
                    if (e.kind() == ScsiException.Kind.TIMEOUT) {
                        return ActionResult.timeout(took).withReason("fencing " + peer + ": " + e.getMessage());
                    }
                    if (e.kind() == ScsiException.Kind.NOT_INSTALLED) {
                        return ActionResult.notInstalled("fencing " + peer + ": " + e.getMessage());
                    }
                    return ActionResult.failed("fencing " + peer + ": " + e.getMessage()).withDuration(took);
                }
            }
        };
    }
}
