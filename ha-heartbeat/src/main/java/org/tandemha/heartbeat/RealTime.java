package org.tandemha.heartbeat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optional real-time settings for the heartbeat thread, through JNA (Linux only), enabled by system properties:
 * {@code -Dtandem.heartbeat.mlockall=true} locks the process's memory (no page-out of the heartbeat path), and
 * {@code -Dtandem.heartbeat.rtPriority=10} gives the heartbeat thread SCHED_FIFO priority 10. When the process may
 * not (no CAP_IPC_LOCK / CAP_SYS_NICE, or RLIMIT_MEMLOCK / RLIMIT_RTPRIO too low), one clear line is logged and
 * heartbeats run anyway at normal priority.
 */
final class RealTime {
    private static final Logger LOG = LoggerFactory.getLogger(RealTime.class);
    private static final int MCL_CURRENT = 1;
    private static final int MCL_FUTURE = 2;
    private static final int SCHED_FIFO = 1;
    private static volatile boolean locked;

    private RealTime() {
    }

    interface CLib extends Library {
        int mlockall(int flags) throws LastErrorException;

        int gettid();

        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;
    }

    /** Applies what the system properties ask for to the calling thread (the heartbeat thread). Never throws. */
    static void applyToCurrentThread() {
        boolean mlock = Boolean.getBoolean("tandem.heartbeat.mlockall");
        int prio = Integer.getInteger("tandem.heartbeat.rtPriority", 0);
        if (!mlock && prio <= 0) {
            return;
        }
        CLib c;
        try {
            c = Native.load("c", CLib.class);
        } catch (Throwable t) {
            LOG.warn("heartbeat: real-time settings unavailable (cannot load libc through JNA: {}); running at normal priority",
                    t.getMessage());
            return;
        }
        if (mlock && !locked) {
            try {
                c.mlockall(MCL_CURRENT | MCL_FUTURE);
                locked = true;
                LOG.info("heartbeat: memory locked (mlockall)");
            } catch (LastErrorException e) {
                LOG.warn("heartbeat: mlockall not permitted (errno {}); memory may be paged out. Give the process "
                        + "CAP_IPC_LOCK and a high enough RLIMIT_MEMLOCK (systemd: LimitMEMLOCK=infinity) to enable it",
                        e.getErrorCode());
            } catch (Throwable t) {
                LOG.warn("heartbeat: mlockall failed: {}", t.toString());
            }
        }
        if (prio > 0) {
            try {
                c.sched_setscheduler(c.gettid(), SCHED_FIFO, new int[] {Math.min(prio, 99)});
                LOG.info("heartbeat: thread {} runs with real-time priority SCHED_FIFO {}", Thread.currentThread().getName(), prio);
            } catch (LastErrorException e) {
                LOG.warn("heartbeat: real-time priority SCHED_FIFO {} not permitted (errno {}); running at normal priority. "
                        + "Give the process CAP_SYS_NICE or RLIMIT_RTPRIO >= {} (systemd: LimitRTPRIO={}) to enable it",
                        prio, e.getErrorCode(), prio, prio);
            } catch (Throwable t) {
                LOG.warn("heartbeat: real-time priority failed: {}", t.toString());
            }
        }
    }
}
