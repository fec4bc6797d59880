package org.tandemha.core.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.Fencer;

/**
 * Fencing methods in order, each with what is left of the deadline; the first success counts. The order is the
 * configuration's ({@code fencing}, as listed), then the methods added with {@code NodeBuilder.fencer(...)}, as added
 * ({@link #inOrder}), the same rule as the arbiters' ({@link SafetyCheck}).
 */
final class FencingChain {
    private final List<Fencer> fencers;

    FencingChain(List<Fencer> fencers) {
        this.fencers = List.copyOf(fencers);
    }

    /** The order the methods are tried in: those of the configuration as listed, then those added through the builder. */
    static List<Fencer> inOrder(List<Fencer> configured, List<Fencer> added) {
        List<Fencer> all = new ArrayList<>(configured);
        all.addAll(added);
        return List.copyOf(all);
    }

    boolean isEmpty() {
        return fencers.isEmpty();
    }

    ActionResult fence(String self, String peer, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> tried = new ArrayList<>();
        for (Fencer f : fencers) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            ActionResult r;
            try {
                r = f.fence(peer, new ActionContext(self, null, null, 0, Duration.ofNanos(left), deadline));
            } catch (RuntimeException e) {
                r = ActionResult.failed("failed: " + e);
            }
            if (r.isDone()) {
                return ActionResult.done(f.name() + ": " + r.reason());
            }
            tried.add(f.name() + ": " + r.reason());
        }
        return ActionResult.failed(tried.isEmpty() ? "no fencing method could run in time" : String.join("; ", tried));
    }
}
