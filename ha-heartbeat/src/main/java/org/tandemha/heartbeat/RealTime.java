package org.tandemha.heartbeat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterConfig;

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
    private static final int MCL_CURRENT = 1;
    private static final int MCL_FUTURE = 2;
    static final int SCHED_FIFO = 1;
    static final int SCHED_RR = 2;
    private static final int RLIMIT_MEMLOCK = 8;
    private static final int RLIMIT_RTPRIO = 14;
    private static final int EPERM = 1;
    private static final int ENOMEM = 12;
    private static final long RLIM_INFINITY = -1L;
    private static volatile boolean locked;

    private RealTime() {
    }

    interface CLib extends Library {
        int mlockall(int flags) throws LastErrorException;

        int gettid();

        int geteuid();

        int getrlimit(int resource, long[] rlim) throws LastErrorException;

        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;

        int sched_getscheduler(int pid) throws LastErrorException;
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
        CLib c;
        try {
            c = Native.load("c", CLib.class);
        } catch (Throwable t) {
            failed.add("node " + node + ": real-time settings unavailable: cannot load libc through JNA (" + t.getMessage()
                    + "); they need Linux. Remove the realtime section on this platform");
            LOG.error("heartbeat: {}; running at normal priority", failed.get(0));
            return failed;
        }
        if (rt.lockMemory() && !locked) {
            try {
                c.mlockall(MCL_CURRENT | MCL_FUTURE);
                locked = true;
                LOG.info("heartbeat: node {}: memory locked (mlockall): no page of this process is swapped out", node);
            } catch (LastErrorException e) {
                String why = "node " + node + ": realtime.lockMemory: mlockall not permitted (errno " + e.getErrorCode()
                        + (e.getErrorCode() == EPERM ? ", EPERM" : e.getErrorCode() == ENOMEM ? ", ENOMEM" : "") + "; "
                        + who(c) + ", RLIMIT_MEMLOCK " + limit(c, RLIMIT_MEMLOCK) + "): run the node as root, or give it"
                        + " CAP_IPC_LOCK and RLIMIT_MEMLOCK unlimited (systemd: LimitMEMLOCK=infinity; shell: ulimit -l"
                        + " unlimited), or set lockMemory: false";
                failed.add(why);
                LOG.error("heartbeat: {}; memory may be paged out", why);
            } catch (Throwable t) {
                failed.add("node " + node + ": realtime.lockMemory: mlockall failed: " + t);
                LOG.error("heartbeat: {}", failed.get(failed.size() - 1));
            }
        }
        if (rt.priority() > 0) {
            int policy = "fifo".equals(rt.policy()) ? SCHED_FIFO : SCHED_RR;
            String name = policy == SCHED_FIFO ? "SCHED_FIFO" : "SCHED_RR";
            try {
                c.sched_setscheduler(c.gettid(), policy, new int[] {Math.min(rt.priority(), 99)});
                LOG.info("heartbeat: node {}: thread {} runs with real-time priority {} {}", node,
                        Thread.currentThread().getName(), name, rt.priority());
            } catch (LastErrorException e) {
                String why = "node " + node + ": realtime.priority: " + name + " " + rt.priority() + " for thread "
                        + Thread.currentThread().getName() + " not permitted (errno " + e.getErrorCode()
                        + (e.getErrorCode() == EPERM ? ", EPERM" : "") + "; " + who(c) + ", RLIMIT_RTPRIO "
                        + limit(c, RLIMIT_RTPRIO) + "): run the node as root, or give it CAP_SYS_NICE or RLIMIT_RTPRIO >= "
                        + rt.priority() + " (systemd: LimitRTPRIO=" + rt.priority() + "; shell: ulimit -r " + rt.priority()
                        + "); in a container also allow real-time scheduling (cgroup v1: cpu.rt_runtime_us);"
                        + " or remove realtime.priority";
                failed.add(why);
                LOG.error("heartbeat: {}; running at normal priority", why);
            } catch (Throwable t) {
                failed.add("node " + node + ": realtime.priority: sched_setscheduler failed: " + t);
                LOG.error("heartbeat: {}", failed.get(failed.size() - 1));
            }
        }
        return failed;
    }

    /** The policy of the calling thread (SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2), or -1 when unknown. */
    static int currentPolicy() {
        try {
            CLib c = Native.load("c", CLib.class);
            return c.sched_getscheduler(c.gettid());
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Whether the process has locked its memory through {@link #applyToCurrentThread}. */
    static boolean memoryLocked() {
        return locked;
    }

    private static String who(CLib c) {
        try {
            int uid = c.geteuid();
            return uid == 0 ? "running as root" : "running as uid " + uid + ", not root";
        } catch (Throwable t) {
            return "user unknown";
        }
    }

    private static String limit(CLib c, int resource) {
        try {
            long[] r = new long[2];
            c.getrlimit(resource, r);
            return "soft " + show(r[0]) + ", hard " + show(r[1]);
        } catch (Throwable t) {
            return "unknown";
        }
    }

    private static String show(long v) {
        return v == RLIM_INFINITY ? "unlimited" : Long.toString(v);
    }
}
