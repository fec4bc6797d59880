package org.tandemha.ip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;

/**
 * A throw-away network: a switch namespace with a bridge, a client namespace and two node namespaces, each with
 * eth0 on the bridge; node1 also has eth1 (a backup link) on it. Addresses from RFC 5737 (192.0.2.0/24) only.
 * Every namespace is named with a per-run prefix and deleted at close and by a shutdown hook.
 */
final class Lab implements AutoCloseable {
    static final String CLIENT_IP = "192.0.2.100";
    private static final AtomicInteger COUNTER = new AtomicInteger();
    final String prefix;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private final Thread hook;
    private final Path logDir;

    /** Why namespace tests cannot run here, or null if they can. */
    static String unavailable() {
        if (!isRoot()) {
            return "namespace tests need root (they create network namespaces); run 'mvn verify' as root";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip"))
                && !Files.isExecutable(Path.of("/usr/bin/ip"))) {
            return "namespace tests need iproute2 ('ip'); apt-get install iproute2";
        }
        return null;
    }

    private static boolean isRoot() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Uid:")) {
                    return l.split("\\s+")[2].equals("0"); // the effective uid
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Deletes namespaces left by an earlier run of these tests whose JVM was killed before its clean-up ran. */
    private static void sweepLeftovers() {
        java.util.regex.Pattern ours = java.util.regex.Pattern.compile("ti(\\d+)x\\d+-(sw|client|n1|n2)");
        try (var names = Files.list(Path.of("/run/netns"))) {
            for (Path p : names.toList()) {
                var m = ours.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    CommandRunner.run(Command.of("ip", "netns", "del", m.group()), Duration.ofSeconds(10));
                }
            }
        } catch (IOException | RuntimeException e) {
            // nothing to sweep
        }
    }

    Lab() throws IOException {
        sweepLeftovers();
        prefix = "ti" + ProcessHandle.current().pid() + "x" + COUNTER.incrementAndGet() + "-";
        logDir = Path.of("target", "lab-logs");
        Files.createDirectories(logDir);
        hook = new Thread(this::cleanup, "lab-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            for (String role : List.of("sw", "client", "n1", "n2")) {
                ip("netns", "add", ns(role));
                namespaces.add(ns(role));
                ip("-n", ns(role), "link", "set", "lo", "up");
            }
            ip("-n", ns("sw"), "link", "add", "br0", "type", "bridge");
            ip("-n", ns("sw"), "link", "set", "br0", "up");
            wire("client", "eth0", "c", CLIENT_IP);
            wire("n1", "eth0", "n1", "192.0.2.1");
            wire("n1", "eth1", "n1b", null);
            wire("n2", "eth0", "n2", "192.0.2.2");
            for (String n : List.of("n1", "n2")) {
                // with the main link down, its routes must not be used, so that replies leave by the backup link
                run("ip", "netns", "exec", ns(n), "sysctl", "-qw", "net.ipv4.conf.all.ignore_routes_with_linkdown=1");
                // two links on one segment: answer ARP only on the link that holds the address (no ARP flux)
                run("ip", "netns", "exec", ns(n), "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1",
                        "net.ipv4.conf.all.arp_announce=2");
            }
        } catch (IOException | RuntimeException e) {
            cleanup();
            throw e;
        }
    }

    String ns(String role) {
        return prefix + role;
    }

    private void wire(String role, String ifname, String swName, String address) throws IOException {
        ip("-n", ns("sw"), "link", "add", swName, "type", "veth", "peer", "name", ifname, "netns", ns(role));
        ip("-n", ns("sw"), "link", "set", swName, "master", "br0", "up");
        ip("-n", ns(role), "link", "set", ifname, "up");
        if (address != null) {
            ip("-n", ns(role), "addr", "add", address + "/24", "dev", ifname);
        }
    }

    /** Sets the switch side of a node's link down or up: the node sees its carrier go or come back. */
    void cable(String swName, boolean connected) throws IOException {
        ip("-n", ns("sw"), "link", "set", swName, connected ? "up" : "down");
    }

    String ip(String... args) throws IOException {
        String[] argv = new String[args.length + 1];
        argv[0] = "ip";
        System.arraycopy(args, 0, argv, 1, args.length);
        return run(argv);
    }

    static String run(String... argv) throws IOException {
        Execution e = CommandRunner.run(Command.of(argv), Duration.ofSeconds(20));
        if (!e.ok()) {
            throw new IOException(String.join(" ", argv) + ": " + e.describe() + " " + e.tail());
        }
        return String.join("\n", e.tail());
    }

    /** Starts an agent JVM in a namespace; {@code wrapper} goes between 'ip netns exec ns' and java. */
    Agent agent(String role, String nodeId, String... wrapper) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        argv.addAll(List.of(wrapper));
        argv.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                IpAgent.class.getName(), nodeId));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectError(logDir.resolve(prefix + nodeId + "-" + System.nanoTime() + ".log").toFile());
        Agent a = new Agent(nodeId, pb.start());
        synchronized (agents) {
            agents.add(a);
        }
        a.expect("ready", Duration.ofSeconds(30));
        return a;
    }

    @Override
    public void close() {
        cleanup();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down already
        }
    }

    private synchronized void cleanup() {
        synchronized (agents) {
            for (Agent a : agents) {
                a.kill();
            }
            agents.clear();
        }
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            CommandRunner.run(Command.of("ip", "netns", "del", namespaces.get(i)), Duration.ofSeconds(10));
        }
        namespaces.clear();
    }

    /** One agent JVM: send a command, read its answer line. */
    static final class Agent {
        final String nodeId;
        private final Process process;
        private final Writer in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        Agent(String nodeId, Process process) {
            this.nodeId = nodeId;
            this.process = process;
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        if (!l.startsWith("@@ ")) {
                            continue;
                        }
                        l = l.substring(3);
                        if (l.startsWith("fact ") || l.startsWith("note ")) {
                            events.add(l);
                        } else {
                            lines.add(l);
                        }
                    }
                } catch (IOException ignored) {
                    // process gone
                }
                lines.add("eof");
            }, "agent-" + nodeId);
            t.setDaemon(true);
            t.start();
        }

        long pid() {
            return process.pid();
        }

        /** Sends a command without waiting. */
        void send(String command) throws IOException {
            in.write(command + "\n");
            in.flush();
        }

        /** Sends a command and returns its answer. */
        String call(String command) throws IOException {
            send(command);
            return expect("", Duration.ofSeconds(30));
        }

        /** The next answer line, which must start with {@code start}. */
        String expect(String start, Duration timeout) throws IOException {
            try {
                String l = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (l == null) {
                    throw new IOException(nodeId + ": no answer within " + timeout);
                }
                if (!l.startsWith(start)) {
                    throw new IOException(nodeId + ": expected '" + start + "', got '" + l + "'");
                }
                return l;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }

        /** The value of a fact this agent published, such as mac.eth0. */
        String fact(String key) {
            for (String e : events) {
                String[] w = e.split(" ");
                if (w[0].equals("fact") && w[1].equals(key)) {
                    return w[2];
                }
            }
            return null;
        }

        /** Kills the JVM with SIGKILL (kill -9): the kernel keeps whatever addresses it added. */
        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
