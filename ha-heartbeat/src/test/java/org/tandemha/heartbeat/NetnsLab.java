package org.tandemha.heartbeat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * Network namespaces for one namespace test class: created in {@code @BeforeAll} through {@link #open}, each with its
 * loopback up, linked by veth pairs ({@link #veth}) and bridges ({@link #bridge}, {@link #bridgePort}) with
 * documentation addresses only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), changed by commands run inside them
 * ({@link #exec}, {@link #nft}); deleted in {@code @AfterAll} through {@link #close}, and by a shutdown hook should
 * the JVM end first. Skips the test (JUnit assumption) unless run as root with a usable {@code ip netns}. Namespace
 * and interface names start with a per-run prefix ({@link #prefix}); interface names must stay within 15 characters.
 */
public final class NetnsLab implements AutoCloseable {
    /** What the test's links, addresses and routes are made of; runs after the namespaces exist. */
    @FunctionalInterface
    public interface Setup {
        void run(NetnsLab lab);
    }

    private final List<String> namespaces;
    private final Thread hook;

    private NetnsLab(String prefix, List<String> namespaces) {
        this.namespaces = List.copyOf(namespaces);
        this.hook = new Thread(this::deleteNamespaces, "delete-namespaces-" + prefix);
    }

    /** {@code tag} followed by this JVM's pid: a prefix no other run uses at the same time. */
    public static String prefix(String tag) {
        return tag + ProcessHandle.current().pid();
    }

    /**
     * Skips with {@code skipWhenNotRoot} unless root; registers the shutdown hook; adds {@code namespaces} in order
     * and sets their loopback up, then runs {@code setup}. If anything fails, every namespace is deleted again before
     * the failure is rethrown.
     */
    public static NetnsLab open(String prefix, String skipWhenNotRoot, List<String> namespaces, Setup setup) {
        Assumptions.assumeTrue(Posix.isRoot(), skipWhenNotRoot);
        Assumptions.assumeTrue(ip("netns", "list").ok(), "skipped: 'ip netns' is not usable here (install iproute2)");
        NetnsLab lab = new NetnsLab(prefix, namespaces);
        Runtime.getRuntime().addShutdownHook(lab.hook);
        try {
            for (String ns : lab.namespaces) {
                must("netns", "add", ns);
                must("-n", ns, "link", "set", "lo", "up");
            }
            setup.run(lab);
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    /**
     * A veth pair from {@code devA} in {@code nsA} to {@code devB} in {@code nsB}, each end with its address
     * ({@code cidr}, e.g. {@code 198.51.100.1/24}; null: none) and up.
     */
    public void veth(String nsA, String devA, String cidrA, String nsB, String devB, String cidrB) {
        must("link", "add", devA, "netns", nsA, "type", "veth", "peer", "name", devB, "netns", nsB);
        up(nsA, devA, cidrA);
        up(nsB, devB, cidrB);
    }

    /** A bridge {@code name} in {@code ns}, with the address {@code cidr} (null: none), up. */
    public void bridge(String ns, String name, String cidr) {
        must("-n", ns, "link", "add", name, "type", "bridge");
        up(ns, name, cidr);
    }

    /**
     * Plugs {@code ns} into {@code bridge} (in {@code bridgeNs}): a veth pair from {@code dev} in {@code ns}, with the
     * address {@code cidr}, to the bridge port {@code port}.
     */
    public void bridgePort(String ns, String dev, String cidr, String bridgeNs, String bridge, String port) {
        must("link", "add", dev, "netns", ns, "type", "veth", "peer", "name", port, "netns", bridgeNs);
        must("-n", bridgeNs, "link", "set", port, "master", bridge);
        up(bridgeNs, port, null);
        up(ns, dev, cidr);
    }

    /** Runs {@code argv} inside {@code ns} ({@code ip netns exec}); throws naming the command if it fails. */
    public void exec(String ns, String... argv) {
        List<String> args = new ArrayList<>(List.of("netns", "exec", ns));
        args.addAll(List.of(argv));
        must(args.toArray(String[]::new));
    }

    /** One nftables command inside {@code ns}, e.g. {@code add rule inet t out ip daddr 192.0.2.100 drop}. */
    public void nft(String ns, String command) {
        exec(ns, "nft", command);
    }

    private static void up(String ns, String dev, String cidr) {
        if (cidr != null) {
            must("-n", ns, "addr", "add", cidr, "dev", dev);
        }
        must("-n", ns, "link", "set", dev, "up");
    }

    /** Runs {@code ip args...} with a 10 s deadline. */
    public static Execution ip(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("ip");
        argv.addAll(List.of(args));
        return CommandRunner.run(Command.of(argv), Duration.ofSeconds(10));
    }

    /** Runs {@code ip args...}; throws naming the command and its output if it fails. */
    public static void must(String... args) {
        Execution e = ip(args);
        if (!e.ok()) {
            throw new IllegalStateException("ip " + String.join(" ", args) + " failed: " + e.describe() + " " + e.tail());
        }
    }

    private void deleteNamespaces() {
        for (String ns : namespaces) {
            ip("netns", "del", ns);
        }
    }

    /** Deletes the namespaces and drops the shutdown hook. */
    @Override
    public void close() {
        deleteNamespaces();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down already
        }
    }
}
