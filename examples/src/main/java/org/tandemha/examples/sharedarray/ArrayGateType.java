package org.tandemha.examples.sharedarray;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;

/**
 * Resource type {@code array-gate}: the example's stand-in for what a real array does for a node whose reservation
 * was taken away, on the data path. Each node reaches the shared volume through its own loop device (both over one
 * image file, as two hosts reach one LUN through their own HBAs). Start cuts every other node's device down to one
 * sector (its reads and writes fail with I/O errors from then on, even if it is frozen and resumes later) and opens
 * this node's device again, dropping anything it had cached. It is placed before the {@code volume} in the group,
 * so it runs only after the engine decided to take the group (claim, generation, safety check).
 *
 * <p>Parameters: {@code devices}: node id to that node's loop device ({@code {node1: /dev/loop0, node2:
 * /dev/loop1}}); {@code stamp} (optional, for the fault lab: a file that start writes {@code <node> <generation>}
 * into, which PostgreSQL on this node can read back with {@code pg_read_file}). Stop leaves the gates as they are (the next owner sets them). The quick check fails when this
 * node's own device was cut: its data path is fenced.
 */
final class ArrayGateType implements ResourceType {
    private static final int LOOP_SET_STATUS64 = 0x4C04;
    private static final int LOOP_GET_STATUS64 = 0x4C05;
    private static final int BLKFLSBUF = 0x1261;
    private static final int LOOP_INFO64_SIZE = 232;
    private static final int SIZELIMIT_OFFSET = 32;
    private static final long FENCED_SIZE = 512;

    /** The few libc calls needed; through JNA, which the engine already ships. */
    interface LibC extends Library {
        int open(String path, int flags);

        int ioctl(int fd, NativeLong request, byte[] arg);

        int ioctl(int fd, NativeLong request, long arg);

        int close(int fd);
    }

    private static LibC libc;

    private static synchronized LibC libc() {
        if (libc == null) {
            libc = Native.load("c", LibC.class);
        }
        return libc;
    }

    @Override
    public String name() {
        return "array-gate";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext node) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        Map<String, String> devices = new LinkedHashMap<>(r.map("devices"));
        if (!devices.containsKey(node.nodeId())) {
            r.problem("devices", "node " + node.nodeId() + " has no device under 'devices'",
                    "add " + node.nodeId() + ": /dev/loopN (this node's path to the shared volume)");
        }
        for (Map.Entry<String, String> e : devices.entrySet()) {
            if (!e.getValue().startsWith("/dev/loop")) {
                r.problem("devices", "device of " + e.getKey() + " '" + e.getValue() + "' is not a loop device",
                        "write /dev/loopN (losetup --find --show IMAGE)");
            }
        }
        String stamp = r.string("stamp", null);
        r.finish();
        String me = node.nodeId();
        String own = devices.get(me);
        Resource resource = new Resource() {
            @Override
            public ActionResult start(ActionContext c) {
                StringBuilder done = new StringBuilder();
                try {
                    for (Map.Entry<String, String> e : devices.entrySet()) {
                        if (!e.getKey().equals(me)) {
                            setSizeLimit(e.getValue(), FENCED_SIZE);
                            done.append("cut ").append(e.getKey()).append("'s path ").append(e.getValue()).append("; ");
                        }
                    }
                    // Open ours: a size change makes the kernel write back and drop the device's cache, so nothing
                    // read before another node owned the volume is used again.
                    setSizeLimit(own, FENCED_SIZE);
                    setSizeLimit(own, 0);
                    flushBuffers(own);
                    done.append("opened ").append(me).append("'s path ").append(own);
                    if (stamp != null) {
                        Files.writeString(Path.of(stamp), me + " " + c.generation() + "\n");
                    }
                    return ActionResult.done(done.toString());
                } catch (IOException e) {
                    return ActionResult.failed(Severity.HARD, "array gate on " + me + ": " + e.getMessage()
                            + "; is the loop device still attached (losetup -a)?");
                }
            }

            @Override
            public ActionResult stop(ActionContext c) {
                return ActionResult.done("gates left as they are");
            }
        };
        return ResourceParts.of(resource, c -> {
            long limit = sizeLimit(own);
            if (limit < 0) {
                return CheckResult.failed("cannot read the size limit of " + own);
            }
            return limit == 0 ? CheckResult.ok(me + "'s path " + own + " is open")
                    : CheckResult.failed(Severity.HARD, me + "'s path " + own + " was cut by another node: this node is fenced off the volume");
        });
    }

    /** Whether a loop device is cut (its size limit set by a gate), read from sysfs; -1 if unknown. */
    static long sizeLimit(String device) {
        String name = Path.of(device).getFileName().toString();
        try {
            return Long.parseLong(Files.readString(Path.of("/sys/block", name, "loop", "sizelimit")).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    static void setSizeLimit(String device, long limit) throws IOException {
        LibC c = libc();
        int fd = c.open(device, 0); // O_RDONLY is enough for the loop ioctls
        if (fd < 0) {
            throw new IOException("cannot open " + device + ": errno " + Native.getLastError());
        }
        try {
            byte[] info = new byte[LOOP_INFO64_SIZE];
            if (c.ioctl(fd, new NativeLong(LOOP_GET_STATUS64), info) != 0) {
                throw new IOException("LOOP_GET_STATUS64 on " + device + " failed: errno " + Native.getLastError());
            }
            ByteBuffer.wrap(info).order(ByteOrder.nativeOrder()).putLong(SIZELIMIT_OFFSET, limit);
            if (c.ioctl(fd, new NativeLong(LOOP_SET_STATUS64), info) != 0) {
                throw new IOException("LOOP_SET_STATUS64 on " + device + " failed: errno " + Native.getLastError());
            }
        } finally {
            c.close(fd);
        }
    }

    private static void flushBuffers(String device) throws IOException {
        LibC c = libc();
        int fd = c.open(device, 0);
        if (fd < 0) {
            throw new IOException("cannot open " + device + ": errno " + Native.getLastError());
        }
        try {
            c.ioctl(fd, new NativeLong(BLKFLSBUF), 0L); // busy when mounted elsewhere: best effort
        } finally {
            c.close(fd);
        }
    }
}
