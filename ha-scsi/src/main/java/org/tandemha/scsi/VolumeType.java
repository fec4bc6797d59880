package org.tandemha.scsi;

import java.nio.file.Path;
import java.time.Duration;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Recoverer;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * Resource type {@code volume}: a filesystem on shared storage, guarded by the SCSI-3 reservation. Start takes the
 * reservation, checks the filesystem ({@code fsck -p}, with a deadline) and mounts it; stop unmounts it (waiting a
 * bounded time for busy users, then killing them as Pacemaker's Filesystem agent does) and releases the
 * reservation.
 *
 * <p>Parameters: {@code device} (the block device to mount, required), {@code mountpoint} (required, absolute),
 * {@code fstype} (default ext4), {@code options} (mount options), {@code reservation} (the LUN that carries the
 * reservation: an iscsi:// URL or /dev path; default: the {@link SharedLock} service registered on the node; or
 * {@code none}), {@code fsck} (default true), {@code fsckTimeout} (default 5m), {@code stopGrace} (wait for busy
 * users, default 10s), {@code timeout} (per SCSI command, default 5s), {@code checkInterval} (reservation check,
 * default 2s).
 */
public final class VolumeType implements ResourceType {
    @Override
    public String name() {
        return "volume";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String device = r.string("device");
        if (device != null && !device.startsWith("/")) {
            r.problem("device", "'device' is '" + device + "', not an absolute device path", "write /dev/disk/by-id/... or /dev/mapper/...");
        }
        String mp = r.string("mountpoint");
        if (mp != null && !mp.startsWith("/")) {
            r.problem("mountpoint", "'mountpoint' is '" + mp + "', not an absolute path", "write an absolute path such as /srv/data");
        }
        if ("/".equals(mp)) {
            r.problem("mountpoint", "'mountpoint' is the root directory", "mount the volume on a directory of its own");
        }
        String fstype = r.string("fstype", "ext4");
        String options = r.string("options", "");
        String reservation = r.string("reservation", null);
        boolean fsck = r.bool("fsck", true);
        Duration fsckTimeout = r.duration("fsckTimeout", Duration.ofMinutes(5));
        Duration stopGrace = r.duration("stopGrace", Duration.ofSeconds(10));
        Duration timeout = r.duration("timeout", Params.DEFAULT_TIMEOUT);
        Duration check = r.duration("checkInterval", Params.DEFAULT_CHECK);
        if (reservation != null && !reservation.equals("none") && !reservation.startsWith("iscsi://") && !reservation.startsWith("/dev/")) {
            r.problem("reservation", "'reservation' is '" + reservation + "', neither an iSCSI URL, a device path nor 'none'",
                    "write iscsi://host:port/iqn.../1, /dev/disk/by-id/..., or none");
        }
        SharedLock lock = null;
        if (reservation == null) {
            lock = context.service(SharedLock.class).orElse(null);
            if (lock == null) {
                r.problem("reservation", "volume " + config.id() + " has no reservation to guard it",
                        "set 'reservation' to the shared LUN (iscsi://... or /dev/...), register a SharedLock service, or write 'none' (no fencing)");
            }
        }
        r.finish();
        if (reservation != null && !reservation.equals("none")) {
            SharedLock l = SharedLock.shared(reservation, context.clusterName(), context.nodeId(), timeout);
            l.monitorEvery(check);
            l.reportTo(context);
            java.util.List<String> nodes = new java.util.ArrayList<>(context.peers());
            nodes.add(context.nodeId());
            l.knowNodes(nodes);
            lock = l;
        }
        Volume v = new Volume(config.id(), device, Path.of(mp), fstype, options, lock, fsck, fsckTimeout, stopGrace);
        return new ResourceParts(v, v, Recoverer.restart(v));
    }
}
