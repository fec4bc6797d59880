package org.tandemha.core.runtime;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.core.config.RealtimeSpec;
import org.tandemha.core.exec.RealtimeScheduling;

/**
 * {@code realtime.checkPriority} (keepalived's {@code checker_rt_priority}): the engine's thread, the check threads
 * and the deadline watcher run with real-time scheduling (SCHED_RR or SCHED_FIFO, as {@code realtime.policy}), so
 * that a busy machine does not delay checks, their results or the decisions on them. With SCHED_RESET_ON_FORK: a
 * script a check or an agent runs starts at normal priority. Through JNA (Linux only); when not permitted, one error
 * line names the limit and the fix and the threads run at normal priority ({@code realtime.required}: the start
 * fails instead).
 */
final class RealtimeThreads {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final String self;
    private final RealtimeSpec spec;
    /** One error line per node, not one per thread. */
    private final AtomicBoolean reported = new AtomicBoolean();

    RealtimeThreads(String self, RealtimeSpec spec) {
        this.self = self;
        this.spec = spec;
    }

    boolean enabled() {
        return spec.checkPriority() > 0;
    }

    /** Threads of {@code f} that first take the real-time priority (when asked for). */
    ThreadFactory wrap(ThreadFactory f) {
        if (!enabled()) {
            return f;
        }
        return r -> f.newThread(() -> {
            applyToCurrentThread();
            r.run();
        });
    }

    /** Applies the priority to the calling thread; returns null, or why not (logged once, with the fix). */
    String applyToCurrentThread() {
        if (!enabled()) {
            return null;
        }
        int policy = RealtimeScheduling.policy(spec.policy());
        String why = RealtimeScheduling.setCurrentThread(self, "realtime.checkPriority",
                policy | RealtimeScheduling.SCHED_RESET_ON_FORK, spec.checkPriority());
        if (why == null) {
            if (reported.compareAndSet(false, true)) {
                LOG.info("node {}: engine and check threads run with real-time priority {} {}", self,
                        RealtimeScheduling.policyName(policy), spec.checkPriority());
            }
            return null;
        }
        if (reported.compareAndSet(false, true)) {
            LOG.error("{}; running at normal priority", why);
        }
        return why;
    }
}
