package org.tandemha.api;

/**
 * Local recovery, tried before a failover: restart a process, move an address to a backup NIC.
 * The engine limits how many attempts it makes in a time window; past that, the group fails over.
 */
@FunctionalInterface
public interface Recoverer {
    /**
     * Tries to bring the resource back to health on this node.
     *
     * @param context the deadline and identity of this attempt
     * @param failure the check result that triggered the recovery
     * @return {@link ActionResult.Outcome#DONE} if the resource is healthy again
     */
    ActionResult recover(ActionContext context, CheckResult failure);

    /** The usual recovery: stop, then start, within one deadline. */
    static Recoverer restart(Resource resource) {
        return (context, failure) -> {
            long t0 = System.nanoTime();
            ActionResult stopped = resource.stop(context);
            if (!stopped.isDone()) {
                return stopped.withReason("restart: stop failed: " + stopped.reason());
            }
            ActionResult started = resource.start(context);
            java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - t0);
            return started.isDone()
                    ? ActionResult.done("restarted").withDuration(took)
                    : started.withReason("restart: start failed: " + started.reason()).withDuration(took);
        };
    }

    /** No local recovery: the group fails over at the first failed check. */
    static Recoverer none() {
        return (context, failure) -> ActionResult.failed(Severity.SOFT, "no local recovery for this resource");
    }
}
