package org.tandemha.scsi;

import java.time.Duration;
import java.util.List;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;

/** Parameter reading shared by the plugins of this module. */
final class Params {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_CHECK = Duration.ofSeconds(2);

    private Params() {
    }

    /** Reads {@code device} as an iSCSI URL or /dev path, recording a problem for anything else. */
    static String device(PluginConfig.Reader r, String key) {
        String d = r.string(key);
        if (d != null && !d.startsWith("iscsi://") && !d.startsWith("/dev/")) {
            r.problem(key, "'" + key + "' is '" + d + "', neither an iSCSI URL nor a device path",
                    "write iscsi://host:port/iqn.2001-04.com.example:target/1 or /dev/disk/by-id/...");
            return null;
        }
        return d;
    }

    /**
     * Records a problem when the folder of a lease file does not exist: the lease would then fail at every renewal
     * and never let a takeover through. The file itself may be missing (it is created), its folder may not.
     */
    static void leaseFolderExists(PluginConfig.Reader r, String key, String file, String what) {
        java.nio.file.Path folder;
        try {
            folder = java.nio.file.Path.of(file).toAbsolutePath().normalize().getParent();
        } catch (java.nio.file.InvalidPathException e) {
            r.problem(key, what + " file '" + file + "' is not a valid path: " + e.getMessage(), "write an absolute path on shared storage");
            return;
        }
        if (folder != null && !java.nio.file.Files.isDirectory(folder)) {
            r.problem(key, what + " file " + file + ": its folder " + folder + " does not exist"
                    + (java.nio.file.Files.exists(folder) ? " as a folder (it is a file)" : ""),
                    "create " + folder + " on the shared storage (mounted on every node before Tandem starts), or point '"
                            + (key == null ? "file" : key) + "' at a folder that exists");
        }
    }

    /**
     * Reads the parameters of the {@code scsi} arbiter and the {@code scsi-preempt} fencer ({@code device},
     * {@code timeout}, {@code checkInterval}; any other is a problem) and returns this node's lock on that device,
     * with its monitor interval, reporting fencing to the engine.
     */
    static SharedLock lock(PluginConfig config, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String device = device(r, "device");
        Duration timeout = r.duration("timeout", DEFAULT_TIMEOUT);
        Duration check = r.duration("checkInterval", DEFAULT_CHECK);
        r.finish();
        SharedLock lock = SharedLock.shared(device, cluster.cluster(), cluster.localNode(), timeout);
        lock.monitorEvery(check);
        lock.knowNodes(nodeIds(cluster));
        lock.reportTo(context);
        return lock;
    }

    private static final java.util.concurrent.ExecutorService WORKERS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "scsi-arbiter");
        t.setDaemon(true);
        return t;
    });

    /**
     * Runs {@code work} with a deadline: the caller gets {@code onTimeout} when it passes, while the work (itself
     * bounded by the per-command timeouts) finishes on its own thread, at the caller's real-time priority if it has one.
     */
    static <T> T within(Duration timeout, java.util.concurrent.Callable<T> work, java.util.function.Supplier<T> onTimeout) {
        // at the caller's real-time priority (realtime.checkPriority on the thread asking the arbiter): a preempt
        // asked for by a real-time thread does not wait for the CPU on a normal-priority one
        int[] sched = org.tandemha.core.exec.RealtimeScheduling.current();
        java.util.concurrent.Future<T> f = WORKERS.submit(() -> org.tandemha.core.exec.RealtimeScheduling.runAs(sched, work));
        try {
            return f.get(Math.max(1, timeout.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return onTimeout.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return onTimeout.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    static List<String> nodeIds(ClusterConfig cluster) {
        return cluster.nodes().stream().map(ClusterConfig.Node::id).toList();
    }
}
