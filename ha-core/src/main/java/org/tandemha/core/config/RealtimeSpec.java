package org.tandemha.core.config;

/**
 * Real-time settings of this node's heartbeat threads (section {@code realtime}), the counterpart of keepalived's
 * {@code vrrp_rt_priority}, {@code checker_rt_priority} and {@code vrrp_no_swap}: under a CPU hog or memory pressure the heartbeats are still
 * sent and watched on time, so a busy node is neither declared dead nor slow to see a dead peer.
 * <pre>
 * realtime: {priority: 10, checkPriority: 5, policy: rr, lockMemory: true, required: false}
 * </pre>
 * Needs root, or CAP_SYS_NICE / RLIMIT_RTPRIO for the priority and CAP_IPC_LOCK / RLIMIT_MEMLOCK for the memory
 * lock (systemd: {@code LimitRTPRIO=}, {@code LimitMEMLOCK=infinity}). Left out of the configuration's fingerprint:
 * nodes may differ in it.
 *
 * @param priority   real-time priority of the heartbeat threads, 1 to 99 (0: normal scheduling, the default)
 * @param policy     {@code rr} (SCHED_RR, the default) or {@code fifo} (SCHED_FIFO)
 * @param lockMemory lock the process in memory: {@code mlockall(MCL_CURRENT|MCL_FUTURE)} (default false)
 * @param required   fail the node's start when a setting is not permitted, instead of logging an error and running
 *                   without it (default false)
 * @param checkPriority real-time priority of the engine's thread, the check threads and the deadline watcher, 1 to
 *                   99 (0: normal scheduling, the default); keepalived's {@code checker_rt_priority}. Scripts they run
 *                   start at normal priority (SCHED_RESET_ON_FORK)
 */
public record RealtimeSpec(int priority, String policy, boolean lockMemory, boolean required, int checkPriority) {
    /** The policies accepted, as written in the configuration. */
    public static final java.util.List<String> POLICIES = java.util.List.of("rr", "fifo");

    /** Without {@code checkPriority}. */
    public RealtimeSpec(int priority, String policy, boolean lockMemory, boolean required) {
        this(priority, policy, lockMemory, required, 0);
    }

    /**
     * Reads a {@code realtime} section on its own (the witness's, which has the node's keys and wording): the
     * problems found go to {@code problems}, each naming {@code realtime.<key>} and its fix.
     */
    public static RealtimeSpec read(com.fasterxml.jackson.databind.JsonNode section,
                                    java.util.List<org.tandemha.api.Problem> problems) {
        return new TimingReader(problems).realtime(section);
    }

    public static RealtimeSpec none() {
        return new RealtimeSpec(0, "rr", false, false, 0);
    }

    /** Whether anything is asked for. */
    public boolean enabled() {
        return priority > 0 || lockMemory || checkPriority > 0;
    }
}
