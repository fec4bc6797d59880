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
 * Network namespaces for one namespace test class: created in {@code @BeforeAll} through {@link #open}, deleted in
 * {@code @AfterAll} through {@link #close}, and by a shutdown hook should the JVM end first. Skips the test (JUnit
 * assumption) unless run as root with a usable {@code ip netns}.
 */
public final class NetnsLab implements AutoCloseable {
    /** What the test's links, addresses and routes are made of; runs after the namespaces exist. */
    @FunctionalInterface
    public interface Setup {
        void run();
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
     * Skips with {@code skipWhenNotRoot} unless root; registers the shutdown hook; adds {@code namespaces} in order,
     * then runs {@code setup}. If anything fails, every namespace is deleted again before the failure is rethrown.
     */
    public static NetnsLab open(String prefix, String skipWhenNotRoot, List<String> namespaces, Setup setup) {
        Assumptions.assumeTrue(Posix.isRoot(), skipWhenNotRoot);
        Assumptions.assumeTrue(ip("netns", "list").ok(), "skipped: 'ip netns' is not usable here (install iproute2)");
        NetnsLab lab = new NetnsLab(prefix, namespaces);
        Runtime.getRuntime().addShutdownHook(lab.hook);
        try {
            for (String ns : lab.namespaces) {
                must("netns", "add", ns);
            }
            setup.run();
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
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
