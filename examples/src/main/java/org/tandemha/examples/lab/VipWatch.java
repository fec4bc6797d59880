package org.tandemha.examples.lab;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;

/**
 * Watches whether a node's kernel holds an address: a thread of the lab's JVM that moved into the node's network
 * namespace with setns(2) (a thread's own namespace: the rest of the JVM stays where it is) and reads the addresses
 * of one interface every 50 ms, without starting a process.
 */
final class VipWatch implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;

    interface LibC extends Library {
        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final class Holder {
        static final LibC C = Native.load("c", LibC.class);
    }

    private volatile boolean held;
    private volatile boolean running = true;
    private volatile String error;

    VipWatch(String netns, String device, String address) {
        Thread t = new Thread(() -> watch(netns, device, address), "vip-watch-" + netns);
        t.setDaemon(true);
        t.start();
    }

    private void watch(String netns, String device, String address) {
        int fd = Holder.C.open("/var/run/netns/" + netns, 0);
        if (fd < 0 || Holder.C.setns(fd, CLONE_NEWNET) != 0) {
            error = "cannot enter network namespace " + netns + " (errno " + Native.getLastError() + ")";
            return;
        }
        Holder.C.close(fd);
        while (running) {
            boolean h = false;
            try {
                NetworkInterface ni = NetworkInterface.getByName(device);
                if (ni != null) {
                    for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                        if (a.getHostAddress().equals(address)) {
                            h = true;
                        }
                    }
                }
            } catch (Exception e) {
                error = e.toString();
            }
            held = h;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    boolean held() {
        return held;
    }

    String error() {
        return error;
    }

    @Override
    public void close() {
        running = false;
    }
}
