package org.tandemha.core.exec;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** The few libc calls the JDK does not offer: signals to a process group. */
public final class Posix {
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;

    private interface C extends Library {
        int kill(int pid, int sig);

        int getpgid(int pid);

        int geteuid();
    }

    private static final C LIBC = load();

    private static C load() {
        try {
            return Native.load("c", C.class);
        } catch (Throwable t) {
            return null;
        }
    }

    private Posix() {
    }

    /** Sends a signal to one process; false if it does not exist (or libc is unavailable). */
    public static boolean kill(long pid, int signal) {
        return LIBC != null && LIBC.kill((int) pid, signal) == 0;
    }

    /** Sends a signal to every process of a process group; false if the group is empty. */
    public static boolean killGroup(long pgid, int signal) {
        return pgid > 1 && LIBC != null && LIBC.kill((int) -pgid, signal) == 0;
    }

    /** Whether any process of the group is left. */
    public static boolean groupAlive(long pgid) {
        return pgid > 1 && LIBC != null && LIBC.kill((int) -pgid, 0) == 0;
    }

    /** The process group of a process, or -1. */
    public static long processGroup(long pid) {
        return LIBC == null ? -1 : LIBC.getpgid((int) pid);
    }

    /** Whether this process runs as root. */
    public static boolean isRoot() {
        return LIBC != null && LIBC.geteuid() == 0;
    }
}
