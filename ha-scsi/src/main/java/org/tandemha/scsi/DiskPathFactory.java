package org.tandemha.scsi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.HeartbeatPath;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PathFactory;
import org.tandemha.api.PluginConfig;

/**
 * Heartbeat transport {@code disk}: heartbeats through a block per node on shared storage ({@link DiskLease}). The
 * storage is the path's option {@code file} or {@code device}, or this node's address on the path (a device path
 * may differ between nodes for the same LUN). Options {@code leaseTimeout} and {@code settle} tune the lease
 * (defaults: interval × misses, and 3 intervals).
 */
public final class DiskPathFactory implements PathFactory {
    @Override
    public String transport() {
        return "disk";
    }

    @Override
    public HeartbeatPath create(ClusterConfig.Path path, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        Map<String, Object> options = path.options() == null ? Map.of() : path.options();
        PluginConfig.Reader r = new PluginConfig(path.name(), "disk", "paths[" + path.name() + "]", options).reader();
        String file = r.string("file", null);
        String device = r.string("device", null);
        Duration ioTimeout = r.duration("timeout", Duration.ofSeconds(2));
        Duration interval = path.interval();
        Duration lease = r.duration("leaseTimeout", interval.multipliedBy(Math.max(3, path.misses())));
        Duration settle = r.duration("settle", interval.multipliedBy(3));
        String fileKey = file != null ? "file" : null;
        if (file == null && device == null) {
            String own = cluster.nodes().stream().filter(n -> n.id().equals(cluster.localNode())).findFirst()
                    .map(n -> n.addresses().get(path.name())).orElse(null);
            if (own != null && (own.startsWith("iscsi://") || own.startsWith("/dev/"))) {
                device = own;
            } else if (own != null) {
                file = own;
            }
        }
        if (file == null && device == null) {
            r.problem(null, "disk path " + path.name() + " has no storage", "add 'file: /shared/tandem.lease' or 'device: iscsi://...' to the path's options");
        }
        if (file != null) {
            Params.leaseFolderExists(r, fileKey, file, "disk path " + path.name() + (fileKey == null
                    ? ": node " + cluster.localNode() + "'s address, the lease" : ": lease"));
        }
        if (device != null && !device.startsWith("iscsi://") && !device.startsWith("/dev/")) {
            r.problem("device", "'" + device + "' is neither an iSCSI URL nor a device path", "write iscsi://host:port/iqn.../1 or /dev/...");
        }
        DiskLease.Settings settings = new DiskLease.Settings(interval, lease, settle);
        for (String p : settings.problems()) {
            r.problem("leaseTimeout", p, "raise leaseTimeout/settle or lower the path interval");
        }
        r.finish();
        DiskLease l = file != null
                ? DiskLease.onFile(Path.of(file), cluster.cluster(), cluster.localNode(), Params.nodeIds(cluster), settings)
                : DiskLease.onLun(device, cluster.cluster(), cluster.localNode(), Params.nodeIds(cluster), settings, ioTimeout);
        l.onPoisoned(context::reportFenced);
        return new DiskHeartbeatPath(path.name(), l);
    }

    /** The path over a lease. */
    static final class DiskHeartbeatPath implements HeartbeatPath {
        private final String name;
        private final DiskLease lease;
        private Receiver receiver;

        DiskHeartbeatPath(String name, DiskLease lease) {
            this.name = name;
            this.lease = lease;
        }

        DiskLease lease() {
            return lease;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public synchronized void start(Receiver r) {
            if (receiver != null) {
                return;
            }
            receiver = r;
            lease.addReceiver(r);
            lease.start();
        }

        @Override
        public boolean beat(long incarnation, long sequence) {
            return lease.beat(incarnation, sequence);
        }

        @Override
        public synchronized void close() {
            if (receiver != null) {
                lease.removeReceiver(receiver);
                receiver = null;
                lease.close();
            }
        }
    }
}
