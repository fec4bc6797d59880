package org.tandemha.examples.lab;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import org.tandemha.examples.sharedarray.Netns;

/**
 * Watches whether a node's kernel holds an address: a thread of the lab's JVM that moved into the node's network
 * namespace with setns(2) (a thread's own namespace: the rest of the JVM stays where it is) and reads the addresses
 * of one interface every 50 ms, without starting a process.
 */
final class VipWatch implements AutoCloseable {
    private volatile boolean held;
    private volatile boolean running = true;
    private volatile String error;

    VipWatch(String netns, String device, String address) {
        Thread t = new Thread(() -> watch(netns, device, address), "vip-watch-" + netns);
        t.setDaemon(true);
        t.start();
    }

    private void watch(String netns, String device, String address) {
        try {
            Netns.enter(netns);
        } catch (java.io.IOException | RuntimeException | LinkageError e) {
            error = "cannot enter network namespace " + netns + ": " + e.getMessage();
            return;
        }
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
