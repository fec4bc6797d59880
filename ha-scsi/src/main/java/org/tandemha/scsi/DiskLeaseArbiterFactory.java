package org.tandemha.scsi;

import java.nio.file.Path;
import java.time.Duration;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PeerAware;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Verdict;

/**
 * Arbiter type {@code disk-lease}: decides about a silent peer by its lease on shared storage ({@link DiskLease}).
 * Parameters: {@code file} (a shared file) or {@code device} (a LUN's iscsi:// URL or /dev path); {@code interval}
 * (renewal, default 500ms), {@code leaseTimeout} (default 10 intervals), {@code settle} (claim settle time, default
 * 3 intervals), {@code timeout} (per SCSI command on a LUN, default 2s). Renewal starts at the first question, or
 * when a {@code disk} heartbeat path on the same storage starts (recommended: configure one, so the lease is
 * renewed from node start).
 */
public final class DiskLeaseArbiterFactory implements ArbiterFactory {
    @Override
    public String type() {
        return "disk-lease";
    }

    @Override
    public Arbiter create(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String file = r.string("file", null);
        String device = r.has("device") ? Params.device(r, "device") : null;
        if (file == null && device == null && !r.has("device")) {
            r.problem(null, "disk-lease arbiter " + config.id() + " needs 'file' or 'device'",
                    "add 'file: /shared/tandem.lease' or 'device: iscsi://host:port/iqn.../1'");
        }
        if (file != null) {
            Params.leaseFolderExists(r, "file", file, "disk-lease arbiter " + config.id() + ":");
        }
        if (file != null && device != null) {
            r.problem("file", "give either 'file' or 'device', not both", "remove one of them");
        }
        Duration interval = r.duration("interval", Duration.ofMillis(500));
        Duration lease = r.duration("leaseTimeout", interval.multipliedBy(10));
        Duration settle = r.duration("settle", interval.multipliedBy(3));
        Duration timeout = r.duration("timeout", Duration.ofSeconds(2));
        DiskLease.Settings settings = new DiskLease.Settings(interval, lease, settle);
        for (String p : settings.problems()) {
            r.problem("leaseTimeout", p, "raise leaseTimeout/settle or lower interval");
        }
        if (cluster.nodes().stream().noneMatch(n -> n.id().equals(cluster.localNode()))) {
            r.problem(null, "local node " + cluster.localNode() + " is not in the node list", "list every node under nodes");
        }
        r.finish();
        DiskLease l = file != null
                ? DiskLease.onFile(Path.of(file), cluster.cluster(), cluster.localNode(), Params.nodeIds(cluster), settings)
                : DiskLease.onLun(device, cluster.cluster(), cluster.localNode(), Params.nodeIds(cluster), settings, timeout);
        l.onPoisoned(context::reportFenced);
        return new LeaseArbiter(l);
    }

    /** The arbiter over one node's lease. */
    static final class LeaseArbiter implements Arbiter, PeerAware {
        private final DiskLease l;

        LeaseArbiter(DiskLease l) {
            this.l = l;
        }

        @Override
        public String name() {
            return "disk-lease";
        }

        /** Renew the lease from the node's start, so a peer's silence is measured against a live lease at once. */
        @Override
        public void start() {
            l.start();
        }

        /** Releases this arbiter's use of the lease (a disk path on the same storage keeps it running). */
        @Override
        public void close() {
            l.close();
        }

        /** The peer is heard again: withdraw our claim on it, and end our own lapse or poisoning if any. */
        @Override
        public void peerRejoined(String peer) {
            l.withdrawClaim(peer);
            if (l.ownLeaseExpired()) {
                l.rejoin();
            }
        }

        @Override
        public Verdict ask(String peer, long generation, Duration askTimeout) {
            return l.decide(peer, askTimeout);
        }
    }
}
