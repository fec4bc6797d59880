package org.tandemha.core.exec;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The libc calls for real-time scheduling and memory locking (Linux only, through JNA), shared by the engine's
 * threads ({@code realtime.checkPriority}, ha-core) and the heartbeat thread ({@code realtime.priority} and
 * {@code realtime.lockMemory}, ha-heartbeat). When a call is not permitted, the sentence returned names the node,
 * the setting, the errno, the user and the limit (RLIMIT_RTPRIO, RLIMIT_MEMLOCK), and the fix. Never throws.
 */
public final class RealtimeScheduling {
    public static final int SCHED_OTHER = 0;
    public static final int SCHED_FIFO = 1;
    public static final int SCHED_RR = 2;
    /** Or-ed into the policy: a process the thread forks starts at normal priority. */
    public static final int SCHED_RESET_ON_FORK = 0x40000000;
    private static final int MCL_CURRENT = 1;
    private static final int MCL_FUTURE = 2;
    private static final int RLIMIT_MEMLOCK = 8;
    private static final int RLIMIT_RTPRIO = 14;
    private static final int EPERM = 1;
    private static final int ENOMEM = 12;
    private static final long RLIM_INFINITY = -1L;

    private interface C extends Library {
        int mlockall(int flags) throws LastErrorException;

        int gettid();

        int geteuid();

        int getrlimit(int resource, long[] rlim) throws LastErrorException;

        int sched_setscheduler(int pid, int policy, int[] param) throws LastErrorException;

        int sched_getscheduler(int pid) throws LastErrorException;

        int sched_getparam(int pid, int[] param) throws LastErrorException;
    }

    private static final C LIBC;
    /** Null when libc is loaded, else JNA's message. */
    private static final String LOAD_ERROR;

    static {
        C c = null;
        String error = null;
        try {
            c = Native.load("c", C.class);
        } catch (Throwable t) {
            error = String.valueOf(t.getMessage());
        }
        LIBC = c;
        LOAD_ERROR = error;
    }

    private RealtimeScheduling() {
    }

    /** Null when libc is loaded, else why not (JNA's message). */
    public static String unavailable() {
        return LOAD_ERROR;
    }

    /** SCHED_FIFO for the configuration's {@code fifo}, else SCHED_RR. */
    public static int policy(String configured) {
        return "fifo".equals(configured) ? SCHED_FIFO : SCHED_RR;
    }

    /** {@code SCHED_FIFO} or {@code SCHED_RR}, as an operator reads it. */
    public static String policyName(int policy) {
        return (policy & ~SCHED_RESET_ON_FORK) == SCHED_FIFO ? "SCHED_FIFO" : "SCHED_RR";
    }

    /**
     * Gives the calling thread the real-time {@code policy} (SCHED_FIFO or SCHED_RR, optionally or-ed with
     * SCHED_RESET_ON_FORK) at {@code priority} (1 to 99). Returns null when done, else why not: a sentence that starts
     * with {@code node <node>: <setting>:} and ends with the fix (which names {@code setting}).
     */
    public static String setCurrentThread(String node, String setting, int policy, int priority) {
        String name = policyName(policy);
        if (LIBC == null) {
            return "node " + node + ": " + setting + ": real-time scheduling unavailable (" + LOAD_ERROR
                    + "); it needs Linux. Remove " + setting + " on this platform";
        }
        try {
            LIBC.sched_setscheduler(LIBC.gettid(), policy, new int[] {Math.min(priority, 99)});
            return null;
        } catch (LastErrorException e) {
            return "node " + node + ": " + setting + ": " + name + " " + priority + " for thread "
                    + Thread.currentThread().getName() + " not permitted (errno " + e.getErrorCode()
                    + (e.getErrorCode() == EPERM ? ", EPERM" : "") + "; " + who() + ", RLIMIT_RTPRIO "
                    + limit(RLIMIT_RTPRIO) + "): run the node as root, or give it CAP_SYS_NICE or RLIMIT_RTPRIO >= "
                    + priority + " (systemd: LimitRTPRIO=" + priority + "; shell: ulimit -r " + priority
                    + "); in a container also allow real-time scheduling (cgroup v1: cpu.rt_runtime_us);"
                    + " or remove " + setting;
        } catch (Throwable t) {
            return "node " + node + ": " + setting + ": sched_setscheduler failed: " + t;
        }
    }

    /**
     * Locks the process's memory ({@code mlockall(MCL_CURRENT|MCL_FUTURE)}). Returns null when done, else why not:
     * a sentence that starts with {@code node <node>: <setting>:} and ends with the fix.
     */
    public static String lockMemory(String node, String setting) {
        if (LIBC == null) {
            return "node " + node + ": " + setting + ": memory locking unavailable (" + LOAD_ERROR
                    + "); it needs Linux. Remove " + setting + " on this platform";
        }
        try {
            LIBC.mlockall(MCL_CURRENT | MCL_FUTURE);
            return null;
        } catch (LastErrorException e) {
            return "node " + node + ": " + setting + ": mlockall not permitted (errno " + e.getErrorCode()
                    + (e.getErrorCode() == EPERM ? ", EPERM" : e.getErrorCode() == ENOMEM ? ", ENOMEM" : "") + "; "
                    + who() + ", RLIMIT_MEMLOCK " + limit(RLIMIT_MEMLOCK) + "): run the node as root, or give it"
                    + " CAP_IPC_LOCK and RLIMIT_MEMLOCK unlimited (systemd: LimitMEMLOCK=infinity; shell: ulimit -l"
                    + " unlimited), or set " + setting + ": false";
        } catch (Throwable t) {
            return "node " + node + ": " + setting + ": mlockall failed: " + t;
        }
    }

    /** The policy of the calling thread (SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2), or -1 when unknown. */
    public static int currentPolicy() {
        try {
            return LIBC == null ? -1 : LIBC.sched_getscheduler(LIBC.gettid());
        } catch (Throwable t) {
            return -1;
        }
    }

    /** The real-time priority of the calling thread (1 to 99), or 0 under normal scheduling or when unknown. */
    public static int currentPriority() {
        try {
            if (LIBC == null) {
                return 0;
            }
            int[] p = new int[1];
            LIBC.sched_getparam(LIBC.gettid(), p);
            return p[0];
        } catch (Throwable t) {
            return 0;
        }
    }

    /**
     * Runs {@code work} on the calling thread with the real-time policy and priority {@code of} another thread had
     * ({@link #currentPolicy()}, {@link #currentPriority()} read there), then back to normal scheduling: work handed
     * from a real-time thread to a helper thread keeps its priority. Nothing is changed when {@code of} is normal
     * scheduling, or when the change is not permitted.
     */
    public static <T> T runAs(int[] of, java.util.concurrent.Callable<T> work) throws Exception {
        boolean set = of != null && of[1] > 0 && setCurrentThread("-", "-", of[0], of[1]) == null;
        try {
            return work.call();
        } finally {
            if (set) {
                setCurrentThread("-", "-", SCHED_OTHER, 0);
            }
        }
    }

    /** The calling thread's {policy, priority}, for {@link #runAs} on another thread. */
    public static int[] current() {
        int policy = currentPolicy();
        return new int[] {policy, policy > 0 ? currentPriority() : 0};
    }

    private static String who() {
        try {
            int uid = LIBC.geteuid();
            return uid == 0 ? "running as root" : "running as uid " + uid + ", not root";
        } catch (Throwable t) {
            return "user unknown";
        }
    }

    private static String limit(int resource) {
        try {
            long[] r = new long[2];
            LIBC.getrlimit(resource, r);
            return "soft " + show(r[0]) + ", hard " + show(r[1]);
        } catch (Throwable t) {
            return "unknown";
        }
    }

    private static String show(long v) {
        return v == RLIM_INFINITY ? "unlimited" : Long.toString(v);
    }
}
