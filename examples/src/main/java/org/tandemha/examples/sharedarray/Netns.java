package org.tandemha.examples.sharedarray;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;

/**
 * Moves the calling thread into a named network namespace (setns(2) on /var/run/netns/NAME): that thread alone, for
 * the rest of its life; the rest of the JVM stays where it is. Sockets it creates belong to that namespace.
 */
public final class Netns {
    private static final int CLONE_NEWNET = 0x40000000;

    interface LibC extends Library {
        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    /** Loaded on first use. */
    private static final class Holder {
        static final LibC C = Native.load("c", LibC.class);
    }

    private Netns() {
    }

    /** Enters namespace {@code netns} (a name under /var/run/netns) on this thread. */
    public static void enter(String netns) throws IOException {
        int fd = Holder.C.open("/var/run/netns/" + netns, 0);
        if (fd < 0) {
            throw new IOException("cannot open /var/run/netns/" + netns + " (errno " + Native.getLastError() + ")");
        }
        int rc = Holder.C.setns(fd, CLONE_NEWNET);
        Holder.C.close(fd);
        if (rc != 0) {
            throw new IOException("setns into " + netns + " failed (errno " + Native.getLastError() + ")");
        }
    }
}
