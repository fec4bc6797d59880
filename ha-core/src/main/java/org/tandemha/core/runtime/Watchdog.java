package org.tandemha.core.runtime;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a Linux watchdog device ({@code /dev/watchdog}) while the node is sane. It is fed from the engine's own
 * thread, so a hung engine also stops feeding it; and it stops on purpose when the engine says the node must be
 * reset. On a clean shutdown it writes the magic 'V' so the device disarms.
 */
final class Watchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);
    private final String node;
    private final Path device;
    private FileOutputStream out;
    private WatchdogIoctl dev;
    private boolean starving;

    Watchdog(String node, Path device) {
        this.node = node;
        this.device = device;
    }

    /** Why the device cannot be used, or null. */
    static String problem(Path device) {
        if (!Files.exists(device)) {
            return "watchdog device " + device + " does not exist";
        }
        if (!Files.isWritable(device)) {
            return "watchdog device " + device + " is not writable by this user";
        }
        return null;
    }

    void open() throws IOException {
        open(null);
    }

    /**
     * Opens the device and, with {@code timeout}, sets its timeout (WDIOC_SETTIMEOUT). A device that cannot take
     * it (a plain file in tests, a driver with a fixed timeout) is used as it is, with a warning: the peers wait
     * {@code timeout} before taking over from this node, so the driver's own timeout must not be longer.
     */
    void open(java.time.Duration timeout) throws IOException {
        if (WatchdogIoctl.available()) {
            dev = WatchdogIoctl.open(device);
        } else {
            out = new FileOutputStream(device.toFile());
        }
        LOG.info("node {}: feeding watchdog {}", node, device);
        if (timeout != null) {
            String problem = dev == null ? "libc is not available through JNA" : dev.setTimeout((int) Math.max(1, timeout.toSeconds()));
            if (problem != null) {
                LOG.warn("node {}: cannot set the timeout of watchdog {} to {} s ({}); its driver's own timeout applies,"
                        + " and it must not be longer than that (softdog: modprobe softdog soft_margin={}), since the"
                        + " peers wait that long before taking over from a silent node", node, device, timeout.toSeconds(),
                        problem, timeout.toSeconds());
            }
        }
    }

    private boolean isOpen() {
        return out != null || dev != null;
    }

    private void put(char c) throws IOException {
        if (dev != null) {
            dev.write(c);
        } else {
            out.write(c);
            out.flush();
        }
    }

    /** Feeds the device, unless the node must be reset. Called periodically from the engine thread. */
    void feed(String mustReset) {
        if (!isOpen()) {
            return;
        }
        if (mustReset != null) {
            if (!starving) {
                starving = true;
                LOG.error("node {}: {}: no longer feeding watchdog {}; the machine will be reset", node, mustReset, device);
            }
            return;
        }
        try {
            put('.');
        } catch (IOException e) {
            LOG.error("node {}: cannot feed watchdog {}: {}", node, device, e.getMessage());
        }
    }

    boolean starving() {
        return starving;
    }

    @Override
    public void close() {
        close(null);
    }

    /** Closes the device; with {@code mustReset}, without the magic 'V', so the machine is still reset. */
    void close(String mustReset) {
        if (!isOpen()) {
            return;
        }
        if (mustReset != null && !starving) {
            starving = true;
            LOG.error("node {}: {}: closing watchdog {} armed; the machine will be reset", node, mustReset, device);
        }
        try {
            if (!starving) {
                put('V'); // magic close: a clean stop does not reset the machine
            }
        } catch (IOException e) {
            LOG.warn("node {}: closing watchdog {}: {}", node, device, e.getMessage());
        } finally {
            if (dev != null) {
                dev.close();
            } else {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.warn("node {}: closing watchdog {}: {}", node, device, e.getMessage());
                }
            }
            out = null;
            dev = null;
        }
    }
}
