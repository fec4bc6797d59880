package org.tandemha.core.config;

/**
 * Real-time settings of this node's heartbeat threads (section {@code realtime}), the counterpart of keepalived's
 * {@code vrrp_rt_priority} and {@code vrrp_no_swap}: under a CPU hog or memory pressure the heartbeats are still
 * sent and watched on time, so a busy node is neither declared dead nor slow to see a dead peer.
 * <pre>
 * realtime: {priority: 10, policy: rr, lockMemory: true, required: false}
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
 */
public record RealtimeSpec(int priority, String policy, boolean lockMemory, boolean required) {
    /** The policies accepted, as written in the configuration. */
    public static final java.util.List<String> POLICIES = java.util.List.of("rr", "fifo");

    public static RealtimeSpec none() {
        return new RealtimeSpec(0, "rr", false, false);
    }

    /** Whether anything is asked for. */
    public boolean enabled() {
        return priority > 0 || lockMemory;
    }
}
