package org.tandemha.examples.lab;

import java.util.ArrayList;
import java.util.List;

/** The faults the lab's nemesis draws from, and the clusters each applies to. */
public enum FaultKind {
    /** kill -9 of the Tandem JVM alone (web: its addresses stay in the node's kernel; it is started again after the fault). */
    JVM_KILL("jvm-kill", true, false),
    /** kill -9 of every process of the node (db: the JVM, PostgreSQL, the mount namespace with the volume). */
    NODE_KILL("node-kill", true, true),
    /** SIGSTOP then SIGCONT of the JVM, shorter than the detection time. */
    SIGSTOP_SHORT("sigstop-short", true, true),
    /** SIGSTOP then SIGCONT of the JVM, longer than the takeover deadline. */
    SIGSTOP_LONG("sigstop-long", true, true),
    /** The dedicated heartbeat link down (carrier lost). */
    HB_LINK_DOWN("hb-link-down", true, true),
    /** Every heartbeat path silent with carriers up: nftables drops the heartbeat port in and out in the node's namespace. */
    HB_SILENT("hb-silent", true, true),
    /** The node hears its peer but is not heard: nftables drops its outgoing heartbeats only. */
    ONE_WAY("one-way", true, true),
    /** Random loss (5-50 %) of heartbeats on one path of the node, both ways: nftables numgen random. */
    LOSS("loss", true, true),
    /** The node's public link cut (its switch port down). */
    PUBLIC_CUT("public-cut", true, true),
    /** The witness killed (-9) and started again. */
    WITNESS_RESTART("witness-restart", true, false),
    /** The array (tgtd) killed (-9) and started again: every session, registration and the reservation are lost. */
    ARRAY_RESTART("array-restart", false, true),
    /** A resource killed: web, the floating address removed from the node; db, kill -9 of the PostgreSQL postmaster. */
    RESOURCE_KILL("resource-kill", true, true),
    /** A stop that hangs: the service's stop blocks (longer or shorter than its stop timeout) during a switchover. */
    STOP_HANG("stop-hang", true, false),
    /** A clean restart, systemd-style: SIGTERM to the JVM, wait for it to exit, start it again. */
    CLEAN_RESTART("clean-restart", true, true);

    final String label;
    final boolean web;
    final boolean db;

    FaultKind(String label, boolean web, boolean db) {
        this.label = label;
        this.web = web;
        this.db = db;
    }

    /** The kinds that apply to a cluster ("web" or "db"), in declaration order. */
    static List<FaultKind> forCluster(String cluster) {
        List<FaultKind> out = new ArrayList<>();
        for (FaultKind k : values()) {
            if (cluster.equals("web") ? k.web : k.db) {
                out.add(k);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return label;
    }
}
