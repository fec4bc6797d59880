package org.tandemha.examples.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The demo: a two-node cluster on this machine, no root needed. Two {@link DemoNode} JVMs on loopback, two UDP
 * heartbeat paths, and the disk lease of {@code ha-scsi} on a plain file as the arbiter, protecting a small HTTP
 * service ({@link DemoHttpType}, a user-defined resource). It prints the live status table, then runs a script of
 * events, each announced before it happens: a failed deep check (local restart), a cut heartbeat path (a red path,
 * no failover), a switchover and a switchback, a kill -9 of the active node (failover), and its restart (it rejoins
 * as standby; switchback stays with the administrator). It ends with
 * {@code demo: failover in N ms, switchover in M ms, no split brain}, or says what went wrong and exits non-zero.
 *
 * <pre>
 * java -cp ... org.tandemha.examples.demo.Demo [--quiet]
 * </pre>
 *
 * Everything it makes (two JVMs, a temporary directory) is removed at the end, also on Ctrl-C. The child JVMs run
 * with this JVM's class path (or {@code -Dtandem.demo.classpath=...}).
 */
public final class Demo {
    static final String GROUP = "web";
    static final String[] NODES = {"node1", "node2"};
    static final String HOST = "127.0.0.1";
    private static final long READY_MS = 60_000;
    private static final long STEP_MS = 30_000;
    private static final String YELLOW = "\u001b[33m";
    private static final String RED = "\u001b[31m";
    private static final String BOLD = "\u001b[1m";
    private static final String RESET = "\u001b[0m";

    private final boolean quiet;
    private final boolean color;
    private final PrintStream out;
    private final AtomicBoolean cleaned = new AtomicBoolean();
    private final NodeProcess[] procs = new NodeProcess[2];
    private final boolean[] expectDead = new boolean[2];
    private final List<DemoLines.Event> events = new ArrayList<>();
    /** Per node, the wall-clock intervals (ms) in which it reported the group ONLINE or RECOVERING. */
    private final List<List<long[]>> online = List.of(new ArrayList<>(), new ArrayList<>());
    private final long[] onlineSince = {-1, -1};
    private volatile boolean printEvents = true;
    private volatile long stepWall = System.currentTimeMillis();
    private Path dir;
    private Path config;
    private String classPath;
    private final int[] httpPorts = new int[2];
    private HttpPoller poller;

    private Demo(boolean quiet, PrintStream out) {
        this.quiet = quiet;
        this.out = out;
        this.color = !quiet && System.console() != null && System.getenv("NO_COLOR") == null;
    }

    /** A step of the script did not go as announced. */
    static final class DemoFailure extends Exception {
        DemoFailure(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: Demo [--quiet]\nA two-node cluster on this machine and a failover; no root needed (scripts/demo.sh runs it).\n  --quiet, -q   only the summary line (or what went wrong)\nExit: 0 every step as announced and no split brain, 1 otherwise, 2 bad arguments.");
            return;                                             // --help: usage, exit 0
        }
        System.exit(run(args, System.out));
    }

    /**
     * Runs the demo, printing to {@code out}; with {@code --quiet}, only the summary line (or what went wrong).
     *
     * @return 0 if every step went as announced and there was no split brain, 1 otherwise, 2 for bad arguments
     */
    public static int run(String[] args, PrintStream out) {
        boolean quiet = false;
        for (String a : args) {
            if (a.equals("--quiet") || a.equals("-q")) {
                quiet = true;
            } else {
                out.println("usage: Demo [--quiet]   (a two-node cluster on this machine and a failover; no root needed)");
                return 2;
            }
        }
        Demo d = new Demo(quiet, out);
        Thread hook = new Thread(d::interrupted, "tandem-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return d.script();
        } catch (DemoFailure f) {
            d.fail(f.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            d.fail("interrupted");
            return 1;
        } catch (Exception e) {
            d.fail(e.toString());
            return 1;
        } finally {
            d.cleanup();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down (Ctrl-C): the hook runs anyway
            }
        }
    }

    // ------------------------------------------------------------------ the script

    private int script() throws Exception {
        long demoStart = System.nanoTime();
        setUp();
        say(bold("Tandem demo") + ": a two-node cluster on this machine (no root needed)");
        say("  nodes node1 and node2: two JVMs; heartbeat paths hb1 and hb2 over UDP on 127.0.0.1 (100 ms x 3 misses)");
        say("  safety check: the disk lease of ha-scsi on a plain file, " + dir.resolve("lease")
                + " (the same logic as on a shared LUN)");
        say("  group web: resource http of the user-defined type demo-http; nodes [node1, node2]; switchback: administrator");
        say("  the service: http://" + HOST + ":" + httpPorts[0] + "/ on node1, http://" + HOST + ":" + httpPorts[1] + "/ on node2");

        // ---- start
        announce("starting node1 and node2: expect the group web online on node1, its preferred node");
        int mark = mark();
        long t0 = System.nanoTime();
        procs[0] = startNode(0);
        procs[1] = startNode(1);
        for (int i = 0; i < 2; i++) {
            if (!procs[i].awaitReady(READY_MS)) {
                throw new DemoFailure(NODES[i] + " did not start within " + READY_MS / 1000 + " s"
                        + (procs[i].fatal() == null ? "" : ": " + procs[i].fatal()));
            }
        }
        poller = new HttpPoller(HOST, httpPorts);
        poller.start();
        DemoLines.Event up = awaitEvent(mark, e -> isGroupState(e, "ONLINE"), STEP_MS, "the group web online on a node");
        int active = index(up.node());
        HttpPoller.Poll p = poller.awaitAnswer(active, "served by " + NODES[active], t0, STEP_MS);
        if (p == null) {
            throw new DemoFailure("group web is online on " + NODES[active] + " but its service does not answer on port "
                    + httpPorts[active]);
        }
        result("group web is online on " + NODES[active] + ", " + ms(p.atNanos() - t0) + " ms after the JVMs were started;"
                + " the service answers '" + p.body() + "'");
        if (active != 0) {
            throw new DemoFailure("group web came up on " + NODES[active] + ", expected node1 (its preferred node)");
        }
        table(0);

        // ---- a failed deep check: local recovery
        announce("failing the deep check of web/http once on node1 (its /health answers 503 once):"
                + " expect a local restart, no failover");
        mark = mark();
        expectOk(procs[0], "fail-deep-check");
        DemoLines.Event rec = awaitEvent(mark, e -> e.node().equals("node1")
                && Set.of("RECOVERY_SUCCEEDED", "RECOVERY_FAILED", "FAILOVER_STARTED").contains(e.kind()), STEP_MS,
                "local recovery of http on node1");
        if (!rec.kind().equals("RECOVERY_SUCCEEDED")) {
            throw new DemoFailure("expected a local recovery on node1, got " + rec);
        }
        p = poller.awaitAnswer(0, "served by node1", rec.receivedNanos(), STEP_MS);
        if (p == null) {
            throw new DemoFailure("after its local recovery, the service does not answer on node1");
        }
        noneSince(mark, "FAILOVER_STARTED", "SWITCHOVER_STARTED");
        result("recovered in place: node1 answers again ('" + p.body() + "'); nothing moved");

        // ---- a cut heartbeat path: red, no failover
        announce("cutting heartbeat path 'hb2' on node1: expect a red path and no failover");
        mark = mark();
        expectOk(procs[0], "path hb2 off");
        for (String n : NODES) {
            awaitEvent(mark, e -> e.node().equals(n) && e.kind().equals("PATH_DOWN") && "hb2".equals(e.detail("path")),
                    STEP_MS, "path hb2 down on " + n);
        }
        table(0);
        noneSince(mark, "PEER_UNREACHABLE", "SAFETY_CHECK", "FAILOVER_STARTED", "STAND_DOWN");
        result("hb2 is down on both nodes, hb1 still carries the heartbeats: the peer stays reachable, nothing moves");

        announce("putting path 'hb2' back in service on node1: expect it up again on both nodes");
        mark = mark();
        expectOk(procs[0], "path hb2 on");
        for (String n : NODES) {
            awaitEvent(mark, e -> e.node().equals(n) && e.kind().equals("PATH_UP") && "hb2".equals(e.detail("path")),
                    STEP_MS, "path hb2 up on " + n);
        }
        result("both paths up again");

        // ---- switchover and switchback
        announce("switching group web over to node2 (graceful: stopped on node1, then started on node2)");
        long switchoverMs = move(procs[0], "switchover web node2", 1);
        result("switchover in " + switchoverMs + " ms (command to the service answering on node2)");

        announce("switching group web back to node1 (the administrator's switchback)");
        long switchbackMs = move(procs[0], "switchback web", 0);
        result("switchback in " + switchbackMs + " ms (command to the service answering on node1)");

        // ---- kill -9 of the active node: failover
        long pid = procs[0].pid;
        announce("kill -9 of node1 (pid " + pid + "), the active node: expect node2 to take over once both paths are silent"
                + " and the disk lease shows node1 dead");
        mark = mark();
        expectDead[0] = true;
        long killWall = System.currentTimeMillis();
        t0 = System.nanoTime();
        if (!procs[0].kill9(10_000)) {
            throw new DemoFailure("node1 (pid " + pid + ") did not die within 10 s of SIGKILL");
        }
        closeOnline(0, System.currentTimeMillis());
        p = poller.awaitAnswer(1, "served by node2", t0, STEP_MS);
        if (p == null) {
            throw new DemoFailure("node2 did not take over within " + STEP_MS / 1000 + " s of the kill");
        }
        long failoverMs = ms(p.atNanos() - t0);
        DemoLines.Event lost = awaitEvent(mark, e -> e.node().equals("node2") && e.kind().equals("PEER_UNREACHABLE"),
                STEP_MS, "node2 finding node1 unreachable");
        DemoLines.Event took = awaitEvent(mark, e -> e.node().equals("node2") && isGroupState(e, "ONLINE"), STEP_MS,
                "group web online on node2");
        // the verdict that let it take over: the last safety check before it went online (earlier ones may have said
        // "unknown, ask again")
        DemoLines.Event safe = last(mark, e -> e.node().equals("node2") && e.kind().equals("SAFETY_CHECK")
                && e.epochMillis() <= took.epochMillis());
        if (safe == null) {
            throw new DemoFailure("node2 took over without a safety check: " + took);
        }
        result("failover in " + failoverMs + " ms (kill -9 to the service answering on node2: '" + p.body() + "'):"
                + " every path silent after " + Math.max(0, lost.epochMillis() - killWall) + " ms, safety check "
                + Math.max(0, safe.epochMillis() - lost.epochMillis()) + " ms, start "
                + Math.max(0, took.epochMillis() - safe.epochMillis()) + " ms");
        table(1);

        // ---- restart: the group stays where it is
        announce("restarting node1: expect it to rejoin as standby; web stays on node2 (switchback: administrator)");
        mark = mark();
        t0 = System.nanoTime();
        expectDead[0] = false;
        procs[0] = startNode(0);
        if (!procs[0].awaitReady(READY_MS)) {
            throw new DemoFailure("node1 did not restart within " + READY_MS / 1000 + " s"
                    + (procs[0].fatal() == null ? "" : ": " + procs[0].fatal()));
        }
        awaitEvent(mark, e -> e.node().equals("node2") && Set.of("PEER_REACHABLE", "PEER_RESTARTED").contains(e.kind()),
                STEP_MS, "node2 hearing node1 again");
        awaitStatus(procs[0], "state=OFFLINE,active=node2", STEP_MS);
        long rejoinMs = ms(System.nanoTime() - t0);
        long watchFrom = System.nanoTime();
        Thread.sleep(2_000); // watch: nothing may move back by itself
        HttpPoller.Poll last1 = poller.last(0);
        HttpPoller.Poll last2 = poller.last(1);
        if (last1 == null || last1.atNanos() < watchFrom || last1.body() != null) {
            throw new DemoFailure("after its restart, node1 serves the group: " + (last1 == null ? "no poll" : last1.body()));
        }
        if (last2 == null || last2.body() == null || !last2.body().contains("served by node2")) {
            throw new DemoFailure("after node1's restart, node2 no longer serves the group");
        }
        noneSince(mark, "SWITCHOVER_STARTED", "FAILOVER_STARTED");
        result("node1 is back as standby " + rejoinMs + " ms after its start; web stays on node2 ('" + last2.body()
                + "') until the administrator runs switchback");
        table(1);

        // ---- verdict
        List<String> split = new ArrayList<>(poller.overlaps());
        split.addAll(eventOverlaps());
        announce("stopping both nodes and removing " + dir);
        printEvents = false;
        stopNodes();
        long totalMs = ms(System.nanoTime() - demoStart);
        say("  the demo took " + totalMs + " ms; " + poller.count() + " HTTP requests polled every "
                + HttpPoller.PERIOD_MS + " ms");
        if (!split.isEmpty()) {
            out.println("demo: failover in " + failoverMs + " ms, switchover in " + switchoverMs + " ms, SPLIT BRAIN: "
                    + String.join("; ", split));
            return 1;
        }
        out.println("demo: failover in " + failoverMs + " ms, switchover in " + switchoverMs + " ms, no split brain");
        return 0;
    }

    /** Sends a move command and measures it: command to the service answering on {@code target}. */
    private long move(NodeProcess via, String command, int target) throws Exception {
        int mark = mark();
        long t0 = System.nanoTime();
        var f = via.command(command);
        HttpPoller.Poll p = poller.awaitAnswer(target, "served by " + NODES[target], t0, STEP_MS);
        NodeProcess.Result r = f.get(STEP_MS, TimeUnit.MILLISECONDS);
        if (!r.ok()) {
            throw new DemoFailure("'" + command + "' was refused: " + r.message());
        }
        if (p == null) {
            throw new DemoFailure("'" + command + "' was carried out, but the service does not answer on " + NODES[target]);
        }
        awaitEvent(mark, e -> e.node().equals(NODES[target]) && isGroupState(e, "ONLINE"), STEP_MS,
                "group web online on " + NODES[target]);
        say("  " + via.node + " answered: " + r.message());
        return ms(p.atNanos() - t0);
    }

    // ------------------------------------------------------------------ set-up

    private void setUp() throws IOException, DemoFailure {
        removeLeftovers();
        dir = Files.createTempDirectory("tandem-demo-");
        Files.writeString(dir.resolve("demo.pid"), Long.toString(ProcessHandle.current().pid()));
        classPath = System.getProperty("tandem.demo.classpath");
        if (classPath == null) {
            classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        }
        if (classPath == null || classPath.isBlank()) {
            throw new DemoFailure("no class path to start the node JVMs with; pass -Dtandem.demo.classpath=...");
        }
        int[] ports = freePorts(6);
        httpPorts[0] = ports[4];
        httpPorts[1] = ports[5];
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String yaml = """
                # Written by the Tandem demo; removed when it ends.
                cluster: tandem-demo
                key: "hex:%s"
                nodes:
                  - {id: node1, addresses: {hb1: "127.0.0.1:%d", hb2: "127.0.0.1:%d"}}
                  - {id: node2, addresses: {hb1: "127.0.0.1:%d", hb2: "127.0.0.1:%d"}}
                paths:
                  - {name: hb1, transport: udp, priority: 1, interval: 100ms, misses: 3}
                  - {name: hb2, transport: udp, priority: 2, interval: 100ms, misses: 3}
                arbiters:
                  - {type: disk-lease, params: {file: "%s", interval: 100ms, leaseTimeout: 1s, settle: 300ms}}
                timing: {startupWait: 5s}
                groups:
                  - id: web
                    nodes: [node1, node2]
                    switchback: administrator
                    recovery: {maxAttempts: 3, window: 10m}
                    resources:
                      - id: http
                        type: demo-http
                        params: {ports: {node1: %d, node2: %d}}
                        start: {timeout: 10s}
                        stop: {timeout: 10s}
                        quickCheck: {interval: 500ms, timeout: 2s}
                        deepCheck: {interval: 1s, timeout: 2s}
                """.formatted(HexFormat.of().formatHex(key), ports[0], ports[1], ports[2], ports[3],
                dir.resolve("lease").toString().replace("\\", "/").replace("\"", "\\\""), ports[4], ports[5]);
        config = dir.resolve("cluster.yaml");
        Files.writeString(config, yaml, StandardCharsets.UTF_8);
    }

    /**
     * Removes the directories of earlier demos whose orchestrator is gone (killed with SIGKILL, so it could not clean
     * up; its node JVMs exit by themselves when their stdin closes).
     */
    private static void removeLeftovers() {
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith("tandem-demo-")).toList()) {
                try {
                    long pid = Long.parseLong(Files.readString(d.resolve("demo.pid")).trim());
                    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        continue;
                    }
                    delete(d);
                } catch (IOException | RuntimeException e) {
                    // not ours, or being created right now: leave it
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort
        }
    }

    private static void delete(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // best effort; the caller checks
                }
            });
        }
    }

    private NodeProcess startNode(int i) throws IOException {
        return NodeProcess.start(NODES[i], classPath, config, dir.resolve(NODES[i]), dir.resolve(NODES[i] + ".log"),
                this::onEvent);
    }

    /**
     * {@code n} distinct ports free on 127.0.0.1 for both UDP and TCP, below the ephemeral range, so that no client
     * connection of this machine can hold one of them when a node binds it.
     */
    static int[] freePorts(int n) {
        int low = 20_000;
        int high = 32_000;
        try {
            String[] r = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            int ephemeralLow = Integer.parseInt(r[0]);
            if (ephemeralLow > 12_000) {
                low = 10_000;
                high = Math.min(ephemeralLow, 32_000);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the default range
        }
        Set<Integer> taken = new HashSet<>();
        int[] out = new int[n];
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (int k = 0; k < n; k++) {
            int found = -1;
            for (int tries = 0; tries < 500 && found < 0; tries++) {
                int port = ThreadLocalRandom.current().nextInt(low, high);
                if (taken.contains(port)) {
                    continue;
                }
                try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(lo, port));
                     ServerSocket s = new ServerSocket()) {
                    s.bind(new InetSocketAddress(lo, port));
                    found = port;
                } catch (IOException e) {
                    // taken: try another
                }
            }
            if (found < 0) {
                throw new IllegalStateException("no free port on 127.0.0.1 between " + low + " and " + high + " after 500 tries");
            }
            taken.add(found);
            out[k] = found;
        }
        return out;
    }

    // ------------------------------------------------------------------ events

    private void onEvent(DemoLines.Event e) {
        synchronized (events) {
            events.add(e);
            trackOnline(e);
            events.notifyAll();
        }
        if (printEvents && !quiet) {
            String text = String.format(Locale.ROOT, "  %+7d ms  %s", e.epochMillis() - stepWall, e);
            if (color && e.level().equals("WARNING")) {
                text = YELLOW + text + RESET;
            } else if (color && e.level().equals("ERROR")) {
                text = RED + text + RESET;
            }
            out.println(text);
        }
    }

    private static boolean isGroupState(DemoLines.Event e, String to) {
        return e.kind().equals("GROUP_STATE") && GROUP.equals(e.group()) && to.equals(e.detail("to"));
    }

    /** Called with {@code events} locked. */
    private void trackOnline(DemoLines.Event e) {
        if (!e.kind().equals("GROUP_STATE") || !GROUP.equals(e.group()) || e.detail("to") == null) {
            return;
        }
        int i = index(e.node());
        if (i < 0) {
            return;
        }
        boolean serving = e.detail("to").equals("ONLINE") || e.detail("to").equals("RECOVERING");
        if (serving && onlineSince[i] < 0) {
            onlineSince[i] = e.epochMillis();
        } else if (!serving) {
            closeOnlineLocked(i, e.epochMillis());
        }
    }

    private void closeOnline(int i, long wallMs) {
        synchronized (events) {
            closeOnlineLocked(i, wallMs);
        }
    }

    private void closeOnlineLocked(int i, long wallMs) {
        if (onlineSince[i] >= 0) {
            online.get(i).add(new long[] {onlineSince[i], wallMs});
            onlineSince[i] = -1;
        }
    }

    /** Times both nodes reported the group online at once, from their own event streams (one clock: this machine's). */
    private List<String> eventOverlaps() {
        List<String> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        synchronized (events) {
            List<List<long[]>> all = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                List<long[]> l = new ArrayList<>(online.get(i));
                if (onlineSince[i] >= 0) {
                    l.add(new long[] {onlineSince[i], now});
                }
                all.add(l);
            }
            for (long[] a : all.get(0)) {
                for (long[] b : all.get(1)) {
                    if (a[0] < b[1] && b[0] < a[1]) {
                        out.add("node1 (online " + a[0] + ".." + a[1] + ") and node2 (online " + b[0] + ".." + b[1]
                                + ") both reported group web online");
                    }
                }
            }
        }
        return out;
    }

    private int mark() {
        synchronized (events) {
            return events.size();
        }
    }

    private static int index(String node) {
        for (int i = 0; i < NODES.length; i++) {
            if (NODES[i].equals(node)) {
                return i;
            }
        }
        return -1;
    }

    /** Waits (bounded) for an event at index {@code from} or later; fails at once if a node died unexpectedly. */
    private DemoLines.Event awaitEvent(int from, Predicate<DemoLines.Event> p, long timeoutMs, String what)
            throws InterruptedException, DemoFailure {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        int next = from;
        synchronized (events) {
            while (true) {
                for (; next < events.size(); next++) {
                    if (p.test(events.get(next))) {
                        return events.get(next);
                    }
                }
                for (int i = 0; i < 2; i++) {
                    if (procs[i] != null && !expectDead[i] && !procs[i].alive()) {
                        throw new DemoFailure(NODES[i] + " exited unexpectedly (exit code " + exitCode(procs[i]) + ")"
                                + " while waiting for " + what);
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new DemoFailure("timed out after " + timeoutMs / 1000 + " s waiting for " + what);
                }
                events.wait(Math.min(200, Math.max(1, left / 1_000_000)));
            }
        }
    }

    /** The last event at index {@code from} or later that matches, or {@code null}. */
    private DemoLines.Event last(int from, Predicate<DemoLines.Event> p) {
        synchronized (events) {
            for (int i = events.size() - 1; i >= from; i--) {
                if (p.test(events.get(i))) {
                    return events.get(i);
                }
            }
        }
        return null;
    }

    private static String exitCode(NodeProcess p) {
        try {
            return p.process.waitFor(1, TimeUnit.SECONDS) ? Integer.toString(p.process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private void noneSince(int from, String... kinds) throws DemoFailure {
        Set<String> bad = Set.of(kinds);
        synchronized (events) {
            for (int i = from; i < events.size(); i++) {
                if (bad.contains(events.get(i).kind())) {
                    throw new DemoFailure("unexpected event: " + events.get(i));
                }
            }
        }
    }

    // ------------------------------------------------------------------ commands and output

    private void expectOk(NodeProcess p, String command) throws Exception {
        NodeProcess.Result r = p.command(command).get(STEP_MS, TimeUnit.MILLISECONDS);
        if (!r.ok()) {
            throw new DemoFailure(p.node + " refused '" + command + "': " + r.message());
        }
    }

    /** Polls a node's status (bounded) until its summary contains {@code expect}. */
    private void awaitStatus(NodeProcess p, String expect, long timeoutMs) throws Exception {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        String last = "";
        while (System.nanoTime() < end) {
            NodeProcess.Result r = p.command("status").get(STEP_MS, TimeUnit.MILLISECONDS);
            last = r.message();
            if (r.ok() && last.contains(expect)) {
                return;
            }
            Thread.sleep(100); // polling a status, bounded above
        }
        throw new DemoFailure(p.node + " did not report '" + expect + "' within " + timeoutMs / 1000 + " s; last: " + last);
    }

    private void table(int i) throws Exception {
        NodeProcess.Result r = procs[i].command(color ? "status color" : "status").get(STEP_MS, TimeUnit.MILLISECONDS);
        if (!r.ok()) {
            throw new DemoFailure("no status from " + NODES[i] + ": " + r.message());
        }
        if (!quiet) {
            out.println();
            for (String l : r.table()) {
                out.println(l.isEmpty() ? "" : "    " + l);
            }
        }
    }

    private void announce(String what) {
        stepWall = System.currentTimeMillis();
        say("");
        say(bold("==> " + what));
    }

    private void result(String what) {
        say(bold("  = " + what));
    }

    private String bold(String s) {
        return color ? BOLD + s + RESET : s;
    }

    private void say(String line) {
        if (!quiet) {
            out.println(line);
        }
    }

    private static long ms(long nanos) {
        return Math.round(nanos / 1e6);
    }

    private void fail(String why) {
        printEvents = false;
        out.println("demo: FAILED: " + why);
        for (int i = 0; i < 2; i++) {
            NodeProcess p = procs[i];
            if (p != null) {
                out.println("  last lines of " + p.log + ":");
                p.logTail(15).forEach(l -> out.println("    " + l));
            }
        }
    }

    // ------------------------------------------------------------------ clean-up

    /** Graceful: each node stops its group and exits; SIGKILL after 10 s. In parallel. */
    private void stopNodes() throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        for (NodeProcess p : procs) {
            if (p != null && p.process.isAlive()) {
                Thread t = new Thread(() -> p.stop(10_000), "demo-stop-" + p.node);
                t.start();
                ts.add(t);
            }
        }
        for (Thread t : ts) {
            t.join(20_000);
        }
    }

    /** Ctrl-C (or a kill): the shutdown hook. */
    private void interrupted() {
        if (cleaned.get()) {
            return;
        }
        printEvents = false;
        StringBuilder pids = new StringBuilder();
        for (NodeProcess p : procs) {
            if (p != null && p.process.isAlive()) {
                pids.append(pids.length() == 0 ? "" : ", ").append(p.node).append(" pid ").append(p.pid);
            }
        }
        cleanup();
        out.println("demo: interrupted; killed " + (pids.length() == 0 ? "no node JVM" : pids) + " and removed "
                + (dir == null ? "nothing" : dir));
    }

    /** Kills (by pid) every node JVM still running and deletes the temporary directory. Idempotent. */
    private void cleanup() {
        if (!cleaned.compareAndSet(false, true)) {
            return;
        }
        printEvents = false;
        if (poller != null) {
            poller.close();
        }
        for (NodeProcess p : procs) {
            if (p != null && p.process.isAlive()) {
                try {
                    p.kill9(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (dir != null) {
            try {
                delete(dir);
            } catch (IOException ignored) {
                // reported below
            }
            if (Files.exists(dir)) {
                out.println("demo: could not remove " + dir + " completely; remove it by hand");
            }
        }
    }
}
