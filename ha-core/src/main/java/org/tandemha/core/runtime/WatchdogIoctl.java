package org.tandemha.core.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A watchdog device through libc: open, write, the ioctl that sets its timeout (linux/watchdog.h), close. The JDK's
 * streams cannot issue the ioctl, and a watchdog device may be opened only once, so the same descriptor does all.
 */
final class WatchdogIoctl implements AutoCloseable {
    /** _IOWR('W', 6, int). */
    private static final long WDIOC_SETTIMEOUT = 0xC0045706L;
    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;

    private interface C extends Library {
        int open(String path, int flags);

        int write(int fd, byte[] buf, long count);

        int ioctl(int fd, long request, IntByReference arg);

        int close(int fd);
    }

    private static final C LIBC = load();

    private static C load() {
        try {
            return Native.load("c", C.class);
        } catch (Throwable t) {
            return null;
        }
    }

    private final int fd;

    private WatchdogIoctl(int fd) {
        this.fd = fd;
    }

    static boolean available() {
        return LIBC != null;
    }

    static WatchdogIoctl open(Path device) throws IOException {
        int fd = LIBC.open(device.toString(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("open failed, errno " + Native.getLastError());
        }
        return new WatchdogIoctl(fd);
    }

    void write(char c) throws IOException {
        if (LIBC.write(fd, new byte[] {(byte) c}, 1) != 1) {
            throw new IOException("write failed, errno " + Native.getLastError());
        }
    }

    /** Sets the timeout in seconds; returns null if the driver took it, else why not. */
    String setTimeout(int seconds) {
        IntByReference arg = new IntByReference(seconds);
        if (LIBC.ioctl(fd, WDIOC_SETTIMEOUT, arg) != 0) {
            int errno = Native.getLastError();
            return errno == 25 ? "it is not a watchdog device (ENOTTY)" : "ioctl WDIOC_SETTIMEOUT failed, errno " + errno;
        }
        return arg.getValue() == seconds ? null : "the driver set " + arg.getValue() + " s instead";
    }

    @Override
    public void close() {
        LIBC.close(fd);
    }
}
