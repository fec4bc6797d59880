package org.tandemha.core.runtime;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.core.config.RealtimeSpec;

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
    private static final int SCHED_FIFO = 1;
    private static final int SCHED_RR = 2;
    private static final int SCHED_RESET_ON_FORK = 0x40000000;
    private static final int RLIMIT_RTPRIO = 14;

    private final String self;
    private final RealtimeSpec spec;
    /** One error line per node, not one per thread. */
    private final AtomicBoolean reported = new AtomicBoolean();

    private interface C extends Library {
        int gettid();

        int geteuid();

        int getrlimit(int resource, long[] rlim) throws LastErrorException;

        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;
    }

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
        int policy = "fifo".equals(spec.policy()) ? SCHED_FIFO : SCHED_RR;
        String name = policy == SCHED_FIFO ? "SCHED_FIFO" : "SCHED_RR";
        String why;
        try {
            C c = Native.load("c", C.class);
            try {
                c.sched_setscheduler(c.gettid(), policy | SCHED_RESET_ON_FORK, new int[] {spec.checkPriority()});
                if (reported.compareAndSet(false, true)) {
                    LOG.info("node {}: engine and check threads run with real-time priority {} {}", self, name,
                            spec.checkPriority());
                }
                return null;
            } catch (LastErrorException e) {
                int uid = c.geteuid();
                String limit;
                try {
                    long[] r = new long[2];
                    c.getrlimit(RLIMIT_RTPRIO, r);
                    limit = "soft " + (r[0] == -1 ? "unlimited" : r[0]) + ", hard " + (r[1] == -1 ? "unlimited" : r[1]);
                } catch (Throwable t) {
                    limit = "unknown";
                }
                why = "node " + self + ": realtime.checkPriority: " + name + " " + spec.checkPriority() + " for thread "
                        + Thread.currentThread().getName() + " not permitted (errno " + e.getErrorCode() + "; "
                        + (uid == 0 ? "running as root" : "running as uid " + uid + ", not root") + ", RLIMIT_RTPRIO " + limit
                        + "): run the node as root, or give it CAP_SYS_NICE or RLIMIT_RTPRIO >= " + spec.checkPriority()
                        + " (systemd: LimitRTPRIO=" + spec.checkPriority() + "; shell: ulimit -r " + spec.checkPriority()
                        + "); in a container also allow real-time scheduling; or remove realtime.checkPriority";
            }
        } catch (Throwable t) {
            why = "node " + self + ": realtime.checkPriority: real-time scheduling unavailable (" + t.getMessage()
                    + "); it needs Linux. Remove realtime.checkPriority on this platform";
        }
        if (reported.compareAndSet(false, true)) {
            LOG.error("{}; running at normal priority", why);
        }
        return why;
    }
}
