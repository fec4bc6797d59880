package org.tandemha.heartbeat;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.core.exec.RealtimeScheduling;

/**
 * Real-time settings for the heartbeat thread, through JNA (Linux only), from the configuration's {@code realtime}
 * section ({@link ClusterConfig.Realtime}): {@code priority} gives the heartbeat thread SCHED_RR (or SCHED_FIFO)
 * at that priority, {@code lockMemory} locks the process's memory ({@code mlockall(MCL_CURRENT|MCL_FUTURE)}), so that
 * neither a CPU hog nor paging delays a heartbeat. Without that section the older system properties still work:
 * {@code -Dtandem.heartbeat.mlockall=true}, {@code -Dtandem.heartbeat.rtPriority=10} (SCHED_FIFO).
 *
 * <p>When the process may not (not root, no CAP_SYS_NICE / CAP_IPC_LOCK, RLIMIT_RTPRIO / RLIMIT_MEMLOCK too low),
 * one error line names what is missing and the fix, and heartbeats run anyway at normal priority; with
 * {@code required: true} the heartbeats do not start instead.
 */
final class RealTime {
    private static final Logger LOG = LoggerFactory.getLogger(RealTime.class);
    static final int SCHED_FIFO = RealtimeScheduling.SCHED_FIFO;
    static final int SCHED_RR = RealtimeScheduling.SCHED_RR;
    private static volatile boolean locked;

    private RealTime() {
    }

    /**
     * What to apply: the configuration's section when it asks for anything, else the system properties (the older
     * way), else nothing.
     */
    static ClusterConfig.Realtime effective(ClusterConfig.Realtime configured) {
        if (configured != null && configured.enabled()) {
            return configured;
        }
        boolean mlock = Boolean.getBoolean("tandem.heartbeat.mlockall");
        int prio = Integer.getInteger("tandem.heartbeat.rtPriority", 0);
        if (mlock || prio > 0) {
            return new ClusterConfig.Realtime(Math.max(0, Math.min(prio, 99)), "fifo", mlock, false);
        }
        return ClusterConfig.Realtime.NONE;
    }

    /**
     * Applies {@code rt} to the calling thread (the heartbeat thread) and, for the memory lock, to the process.
     * Returns what could not be applied (empty: all of it), each a sentence with the fix; logs each at ERROR level.
     * Never throws.
     */
    static List<String> applyToCurrentThread(ClusterConfig.Realtime rt, String node) {
        List<String> failed = new ArrayList<>();
        if (rt == null || !rt.enabled()) {
            return failed;
        }
        if (RealtimeScheduling.unavailable() != null) {
            failed.add("node " + node + ": real-time settings unavailable: cannot load libc through JNA ("
                    + RealtimeScheduling.unavailable() + "); they need Linux. Remove the realtime section on this platform");
            LOG.error("heartbeat: {}; running at normal priority", failed.get(0));
            return failed;
        }
        if (rt.lockMemory() && !locked) {
            String why = RealtimeScheduling.lockMemory(node, "realtime.lockMemory");
            if (why == null) {
                locked = true;
                LOG.info("heartbeat: node {}: memory locked (mlockall): no page of this process is swapped out", node);
            } else {
                failed.add(why);
                LOG.error("heartbeat: {}; memory may be paged out", why);
            }
        }
        if (rt.priority() > 0) {
            int policy = RealtimeScheduling.policy(rt.policy());
            String why = RealtimeScheduling.setCurrentThread(node, "realtime.priority", policy, rt.priority());
            if (why == null) {
                LOG.info("heartbeat: node {}: thread {} runs with real-time priority {} {}", node,
                        Thread.currentThread().getName(), RealtimeScheduling.policyName(policy), rt.priority());
            } else {
                failed.add(why);
                LOG.error("heartbeat: {}; running at normal priority", why);
            }
        }
        return failed;
    }

    /** The policy of the calling thread (SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2), or -1 when unknown. */
    static int currentPolicy() {
        return RealtimeScheduling.currentPolicy();
    }

    /** Whether the process has locked its memory through {@link #applyToCurrentThread}. */
    static boolean memoryLocked() {
        return locked;
    }
}
