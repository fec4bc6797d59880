package org.tandemha.examples.sharedarray;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * The shared-array example cluster on one machine (needs root): three network namespaces for node1, node2 and the
 * client, plus a fourth, the "switch", that holds the public bridge (with the gateway 192.0.2.254), the storage
 * bridge and the array: a tgtd iSCSI LUN (203.0.113.254:3260) for the SCSI-3 reservation and the disk heartbeat.
 * The nodes also have a dedicated heartbeat link (a veth pair, 198.51.100.0/24). The shared volume is an ext4 file
 * system on a loop device, mounted by whichever node runs the database group.
 *
 * <p>Each node is a JVM ({@link ArrayNode}) in its network namespace and in private mount, IPC and PID namespaces,
 * so that it is a server of its own: its mount of the volume, its PostgreSQL, and every process it started die with
 * it. "Kill -9 of the node's whole process tree" is SIGKILL to every process in its network namespace.
 *
 * <p>The {@link Layout#VIP_WITNESS} layout has no array: a group holding only floating addresses (IPv4 and IPv6),
 * the tie-breaker and a witness (a {@code WitnessMain} JVM in the client namespace), and a responder per node that
 * outlives the node's JVM ({@link NamespaceResponder}). Its nodes run in their network namespace only, so that
 * {@link #killJvm} kills the Tandem process alone and the node's kernel keeps the addresses, as after a daemon crash.
 *
 * <p>Everything is named with a per-run prefix and removed by {@link #close()} (also from a shutdown hook).
 */
public final class SharedArrayCluster implements AutoCloseable {
    public static final String VIP1 = "192.0.2.11";
    /** The file in a node's private folder (LAB_DB) where its gate writes {@code <node> <generation>} at start. */
    public static final String STAMP = "stamp";
    static final String VIP2 = "192.0.2.12";
    /** The replicated layout's floating address: it follows the primary. */
    public static final String VIP_DB = "192.0.2.10";
    /** The DR site's floating address (layout REPLICATED_DR): the primary's address once the DR node is promoted. */
    public static final String VIP_DR = "203.0.113.10";
    static final String GATEWAY = "192.0.2.254";
    static final String PORTAL = "203.0.113.254:3260";
    /** The VIP_WITNESS layout's floating addresses, witness and responder port. */
    public static final String VIP4 = "192.0.2.50";
    static final String VIP6 = "2001:db8::50";
    static final String WITNESS = "192.0.2.100:7600";
    static final int RESPONDER_PORT = 8090;
    private static final Duration CMD = Duration.ofSeconds(20);
    /** Whether the tie-breaker arbiter (ha-heartbeat) is on the class path: then it runs first in the safety check. */
    static final boolean TIEBREAKER = Boolean.parseBoolean(System.getProperty("sharedarray.tiebreaker", "true"))
            && SharedArrayCluster.class.getClassLoader().getResource("org/tandemha/heartbeat/tiebreaker/TieBreakerArbiterFactory.class") != null;

    /** What the cluster runs. */
    public enum Layout {
        /** The shared-array cluster: db (volume, PostgreSQL, VIP1) on node1, app (VIP2, HTTP service) on node2. */
        SHARED_ARRAY,
        /** The benchmark's group: VIP1 plus the HTTP service, nothing else. */
        BENCH_WEB,
        /** The benchmark's database group: volume, PostgreSQL, VIP1. */
        BENCH_DB,
        /**
         * Group "vip" holding only two ip resources (VIP4, VIP6, no 'peers' parameter); arbiters tiebreaker + witness;
         * no array, no volume; nodes without private PID namespaces (a kill -9 of the JVM leaves its addresses).
         */
        VIP_WITNESS,
        /**
         * The fault lab's web cluster: group "web" holding VIP4 (no 'peers' parameter) and the HTTP service bound to
         * it (answering its node and generation), arbiters tiebreaker + witness, no array; nodes without private PID
         * namespaces, as {@link #VIP_WITNESS}.
         */
        LAB_WEB,
        /**
         * The fault lab's database cluster: {@link #BENCH_DB} (volume, PostgreSQL, VIP1 on the array, arbiters
         * tiebreaker + scsi), whose gate stamps {@code <node> <generation>} into the node's private folder
         * ({@link #STAMP}), so that the client learns from PostgreSQL itself which node acknowledged a write.
         */
        LAB_DB,
        /**
         * The keepalived comparison's lab ({@link KeepalivedBench}): public and storage bridges, the heartbeat link,
         * the array's LUN (no volume), the witness, and a responder per node (TCP and UDP) that outlives what runs
         * on the node. Group "vip" holds VIP4 alone; two configurations, chosen with {@link #useConfig}: "witness"
         * (tiebreaker + witness) and "scsi" (tiebreaker + scsi). Nodes without private PID namespaces.
         */
        VERSUS,
        /**
         * The replicated cluster (issue 19, {@code examples/replicated/}): no array; each node its own PostgreSQL
         * data directory ({@code <run>/pg/<node>/data}, one configuration file with {@code ${node}} in the paths);
         * promotable group "db" (pg replicated in sync mode, then {@link #VIP_DB}); arbiters tiebreaker + witness;
         * nodes without private PID namespaces (a kill of the JVM alone leaves its PostgreSQL running, a kill of the
         * node kills everything in its network namespace).
         */
        REPLICATED,
        /**
         * {@link #REPLICATED} with a remote DR site (issue 19, {@code examples/replicated/}, scenario "dr"): node3 in a
         * namespace of its own on the DR site's range 203.0.113.0/24 (the switch routes between the sites), in the
         * group's {@code dr.nodes} with an asynchronous standby; the address {@link #VIP_DB} runs at the primary site
         * only ({@code site: primary}), {@link #VIP_DR} at the DR site only.
         */
        REPLICATED_DR,
        /**
         * {@link #REPLICATED} on three nodes in {@code quorum} mode (issue 19, scenario "quorum"): node3 an ordinary
         * member of group db on the public bridge (192.0.2.3; no dedicated heartbeat link: heard on the public path
         * only), {@code replication: {mode: quorum, quorumCommit: 1}}: a commit is acknowledged once one of the two
         * standbys has it, and a failover compares both standbys and promotes the most advanced.
         */
        REPLICATED_QUORUM;

        /** Whether the nodes run in their network namespace only (a kill of the JVM leaves its addresses). */
        boolean sharedPids() {
            return this == VIP_WITNESS || this == LAB_WEB || this == VERSUS || replicated();
        }

        boolean witness() {
            return this == VIP_WITNESS || this == LAB_WEB || replicated();
        }

        /** Whether a replicated PostgreSQL runs on the nodes. */
        boolean replicated() {
            return this == REPLICATED || this == REPLICATED_DR || this == REPLICATED_QUORUM;
        }

        /** Whether the layout has a third node, node3. */
        boolean threeNodes() {
            return this == REPLICATED_DR || this == REPLICATED_QUORUM;
        }
    }

    public final String prefix;
    public final Path dir;
    public final Layout layout;
    private final String classpath;
    private final PrintStream log;
    private final long t0 = System.nanoTime();
    private final List<String> namespaces = new ArrayList<>();
    private final Map<String, NodeProc> nodes = new LinkedHashMap<>();
    private NodeProc client;
    private Process tgtd;
    private int tgtdControl = -1;
    private String loopDevice;
    private final Map<String, String> loops = new LinkedHashMap<>();
    private String lunUrl;
    private Path config;
    private final String keyHex;
    private Process witness;
    private final List<NamespaceResponder> responders = new ArrayList<>();
    private final Thread hook = new Thread(this::close, "shared-array-cleanup");
    private final List<Runnable> onClose = new ArrayList<>();
    private boolean closed;

    public SharedArrayCluster(Layout layout, String classpath, PrintStream log) throws IOException {
        this.layout = layout;
        this.classpath = classpath;
        this.log = log;
        this.prefix = "sa" + Long.toString(ProcessHandle.current().pid() % 100000, 36)
                + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36), 36);
        // the run directories stay for their logs: the last 3 of them, the older ones go now
        RunDirs.prune(Path.of("/tmp"), 3);
        this.dir = RunDirs.create(Path.of("/tmp"), "tandem-" + prefix);
        byte[] key = new byte[24];
        ThreadLocalRandom.current().nextBytes(key);
        StringBuilder hex = new StringBuilder();
        for (byte b : key) {
            hex.append(String.format("%02x", b));
        }
        this.keyHex = hex.toString();
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public String ns(String what) {
        return prefix + "-" + what;
    }

    public void say(String text) {
        log.printf("[%7.2fs] %s%n", (System.nanoTime() - t0) / 1e9, text);
    }

    // ---------------------------------------------------------------- setup

    /** Creates the namespaces, links, array and volume; writes the configuration. */
    public void setUp() throws IOException {
        if (layout == Layout.VERSUS) {
            setUpVersus();
            return;
        }
        if (layout.witness()) {
            setUpVipWitness();
            return;
        }
        say("setting up namespaces " + prefix + "-{node1,node2,client,switch}, bridges, heartbeat link");
        addNamespaces();
        String sw = ns("switch");
        for (String[] br : new String[][] {{"brpub", GATEWAY + "/24"}, {"brsan", "203.0.113.254/24"}}) {
            ok("ip", "-n", sw, "link", "add", br[0], "type", "bridge", "forward_delay", "0");
            ok("ip", "-n", sw, "addr", "add", br[1], "dev", br[0]);
            ok("ip", "-n", sw, "link", "set", br[0], "up");
        }
        Map<String, String> host = Map.of("node1", "1", "node2", "2", "client", "100");
        for (String n : List.of("node1", "node2", "client")) {
            String h = host.get(n);
            String tag = n.equals("client") ? "c" : n.substring(4);
            link(sw, "p" + tag, ns(n), "pub0", "brpub", "192.0.2." + h + "/24");
            link(sw, "s" + tag, ns(n), "san0", "brsan", "203.0.113." + h + "/24");
        }
        addHeartbeatLink();
        Files.createDirectories(dir.resolve("vol"));
        Files.createDirectories(dir.resolve("private"));
        startArray();
        if (layout != Layout.BENCH_WEB) {
            makeVolume();
        }
        writeConfig();
    }

    private void setUpVipWitness() throws IOException {
        say("setting up namespaces " + prefix + "-{node1,node2,client,switch}, public bridge, heartbeat link, witness");
        addNamespaces();
        String sw = ns("switch");
        ok("ip", "-n", sw, "link", "add", "brpub", "type", "bridge", "forward_delay", "0");
        ok("ip", "-n", sw, "addr", "add", GATEWAY + "/24", "dev", "brpub");
        ok("ip", "-n", sw, "link", "set", "brpub", "up");
        Map<String, String> host = Map.of("node1", "1", "node2", "2", "client", "100");
        for (String n : List.of("node1", "node2", "client")) {
            String h = host.get(n);
            link(sw, "p" + (n.equals("client") ? "c" : n.substring(4)), ns(n), "pub0", "brpub", "192.0.2." + h + "/24");
            // nodad: usable at once (the floating IPv6 address is added without DAD by the ip resource too)
            ok("ip", "-n", ns(n), "-6", "addr", "add", "2001:db8::" + h + "/64", "dev", "pub0", "nodad");
        }
        addHeartbeatLink();
        startWitness();
        if (layout == Layout.VIP_WITNESS) {
            for (String n : List.of("node1", "node2")) {
                responders.add(new NamespaceResponder(ns(n), RESPONDER_PORT, n));
            }
        }
        say("witness up on " + WITNESS + " (pid " + witness.pid() + ")"
                + (responders.isEmpty() ? "" : ", responders on port " + RESPONDER_PORT));
        if (layout == Layout.REPLICATED_DR) {
            addDrSite();
        }
        if (layout == Layout.REPLICATED_QUORUM) {
            addThirdNode();
        }
        if (layout.replicated()) {
            initPostgres();
        }
        writeConfig();
    }

    private void setUpVersus() throws IOException {
        say("setting up namespaces " + prefix + "-{node1,node2,client,switch}, public and storage bridges, heartbeat link,"
                + " array, witness, responders");
        addNamespaces();
        String sw = ns("switch");
        for (String[] br : new String[][] {{"brpub", GATEWAY + "/24"}, {"brsan", "203.0.113.254/24"}}) {
            ok("ip", "-n", sw, "link", "add", br[0], "type", "bridge", "forward_delay", "0");
            ok("ip", "-n", sw, "addr", "add", br[1], "dev", br[0]);
            ok("ip", "-n", sw, "link", "set", br[0], "up");
        }
        Map<String, String> host = Map.of("node1", "1", "node2", "2", "client", "100");
        for (String n : List.of("node1", "node2", "client")) {
            String tag = n.equals("client") ? "c" : n.substring(4);
            link(sw, "p" + tag, ns(n), "pub0", "brpub", "192.0.2." + host.get(n) + "/24");
            link(sw, "s" + tag, ns(n), "san0", "brsan", "203.0.113." + host.get(n) + "/24");
        }
        addHeartbeatLink();
        startArray();
        startWitness();
        for (String n : List.of("node1", "node2")) {
            responders.add(new NamespaceResponder(ns(n), RESPONDER_PORT, n));
        }
        say("witness up on " + WITNESS + " (pid " + witness.pid() + "), responders on port " + RESPONDER_PORT + " (TCP, UDP)");
        for (String arbiter : List.of("witness", "scsi")) {
            config = dir.resolve("cluster-" + arbiter + ".yaml");
            writeConfig();
            Files.move(dir.resolve("cluster.yaml"), config, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        useConfig("witness");
    }

    /** VERSUS: the configuration the nodes started next read: "witness" or "scsi" (the arbiter after the tiebreaker). */
    public void useConfig(String arbiter) {
        if (layout != Layout.VERSUS) {
            throw new IllegalStateException("useConfig is for the VERSUS layout, not " + layout);
        }
        config = dir.resolve("cluster-" + arbiter + ".yaml");
    }

    private void addNamespaces() throws IOException {
        for (String n : layout.threeNodes() ? List.of("switch", "node1", "node2", "client", "node3")
                : List.of("switch", "node1", "node2", "client")) {
            ok("ip", "netns", "add", ns(n));
            namespaces.add(ns(n));
            ok("ip", "-n", ns(n), "link", "set", "lo", "up");
        }
    }

    /** The DR node's address on the DR site's range, and its second one for the heartbeat path (unreachable). */
    public static final String DR_NODE = "203.0.113.3";
    private static final String DR_NODE_HB = "203.0.113.33";

    /**
     * The DR site (layout REPLICATED_DR): a second bridge in the switch (203.0.113.254/24) with node3 on it, the switch
     * routing between the two sites, default routes through it. node3's heartbeat-path address is unreachable from the
     * primary site (there is no dedicated link to a remote site): node3 is heard on the public path only.
     */
    private void addDrSite() throws IOException {
        String sw = ns("switch");
        ok("ip", "-n", sw, "link", "add", "brdr", "type", "bridge", "forward_delay", "0");
        ok("ip", "-n", sw, "addr", "add", "203.0.113.254/24", "dev", "brdr");
        ok("ip", "-n", sw, "link", "set", "brdr", "up");
        ok("ip", "netns", "exec", sw, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        link(sw, "p3", ns("node3"), "pub0", "brdr", DR_NODE + "/24");
        ok("ip", "-n", ns("node3"), "addr", "add", DR_NODE_HB + "/24", "dev", "pub0");
        ok("ip", "-n", ns("node3"), "route", "add", "default", "via", "203.0.113.254");
        for (String n : List.of("node1", "node2", "client")) {
            ok("ip", "-n", ns(n), "route", "add", "default", "via", GATEWAY);
        }
        for (String n : List.of("node1", "node2")) {
            ok("ip", "-n", ns(n), "route", "add", "blackhole", DR_NODE_HB + "/32");
        }
        say("DR site: node3 on " + DR_NODE + "/24 (bridge brdr), routed to the primary site by the switch");
    }

    /** The quorum layout's third node: on the public bridge; its heartbeat-path address is unreachable (no link). */
    public static final String NODE3 = "192.0.2.3";
    private static final String NODE3_HB = "198.51.100.3";

    /**
     * The third node of layout REPLICATED_QUORUM: node3 on the public bridge at {@link #NODE3}; the dedicated heartbeat
     * link joins node1 and node2 only, so node3's heartbeat-path address is blackholed both ways (heard on the public
     * path only).
     */
    private void addThirdNode() throws IOException {
        link(ns("switch"), "p3", ns("node3"), "pub0", "brpub", NODE3 + "/24");
        ok("ip", "-n", ns("node3"), "-6", "addr", "add", "2001:db8::3/64", "dev", "pub0", "nodad");
        ok("ip", "-n", ns("node3"), "addr", "add", NODE3_HB + "/32", "dev", "pub0");
        ok("ip", "-n", ns("node3"), "route", "add", "blackhole", "198.51.100.0/24");
        for (String n : List.of("node1", "node2")) {
            ok("ip", "-n", ns(n), "route", "add", "blackhole", NODE3_HB + "/32");
        }
        say("node3 on " + NODE3 + "/24 (public bridge; no heartbeat link)");
    }

    /** The dedicated heartbeat link: a veth pair between node1 and node2 (198.51.100.0/24). */
    private void addHeartbeatLink() throws IOException {
        ok("ip", "-n", ns("node1"), "link", "add", "hb0", "type", "veth", "peer", "name", "hb0", "netns", ns("node2"));
        ok("ip", "-n", ns("node1"), "addr", "add", "198.51.100.1/24", "dev", "hb0");
        ok("ip", "-n", ns("node2"), "addr", "add", "198.51.100.2/24", "dev", "hb0");
        ok("ip", "-n", ns("node1"), "link", "set", "hb0", "up");
        ok("ip", "-n", ns("node2"), "link", "set", "hb0", "up");
    }

    /** Starts the witness in the client namespace and waits until it listens. */
    public void startWitness() throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        long from = 0;
        Path wlog = dir.resolve("witness.log");
        if (Files.exists(wlog)) {
            from = Files.size(wlog);
        }
        witness = CommandRunner.start(Command.of("ip", "netns", "exec", ns("client"), java, "-Xmx48m", "-XX:+UseSerialGC",
                "-XX:+UnlockDiagnosticVMOptions", "-XX:GuaranteedSafepointInterval=0",
                "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath,
                "org.tandemha.heartbeat.witness.WitnessMain", "--cluster", prefix, "--key", "hex:" + keyHex,
                "--bind", WITNESS, "--lease", "300ms",
                // as keepalived's vrrp_rt_priority: a busy host still dates the nodes' reports and answers on time
                "--realtime", "{priority: 10, policy: fifo, lockMemory: true}").withLogFile(dir.resolve("witness.log")));
        boolean open = false;
        for (int i = 0; i < 100 && !open && witness.isAlive(); i++) {
            open = Files.exists(wlog) && Files.readString(wlog).substring((int) Math.min(from, Files.size(wlog)))
                    .contains("listening on " + WITNESS);
            if (!open) {
                pause(100);
            }
        }
        if (!open) {
            throw new IOException("the witness did not start on " + WITNESS + "; see " + dir.resolve("witness.log"));
        }
    }

    /** Kill -9 of the witness. */
    public void killWitness() throws InterruptedException {
        if (witness != null) {
            Posix.kill(witness.pid(), Posix.SIGKILL);
            witness.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void link(String sw, String swName, String nodeNs, String nodeName, String bridge, String address) throws IOException {
        ok("ip", "-n", sw, "link", "add", swName, "type", "veth", "peer", "name", nodeName, "netns", nodeNs);
        ok("ip", "-n", sw, "link", "set", swName, "master", bridge, "up");
        ok("ip", "-n", nodeNs, "addr", "add", address, "dev", nodeName);
        ok("ip", "-n", nodeNs, "link", "set", nodeName, "up");
    }

    /**
     * Kill -9 of tgtd (the array loses every session and, without APTPL, every registration and the reservation), then,
     * after {@code downMs}, tgtd again with the same target, LUN and backing file: a rebooted array.
     */
    public void restartArray(long downMs) throws IOException, InterruptedException {
        killArray();
        Thread.sleep(downMs);
        startArray();
    }

    /** Kill -9 of tgtd and removal of its control socket. */
    public void killArray() throws InterruptedException {
        if (tgtd != null) {
            Posix.kill(tgtd.pid(), Posix.SIGKILL);
            tgtd.waitFor(10, TimeUnit.SECONDS);
            tgtd = null;
        }
        try {
            Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + tgtdControl));
            Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + tgtdControl + ".lock"));
        } catch (IOException ignored) {
            // tgtd recreates them
        }
    }

    /**
     * The array's threads (tgtd's) at SCHED_FIFO {@code priority}, as a storage array on its own controller is not
     * slowed down by the load of the hosts that use it; false when chrt failed (or no array runs). Applies to the
     * tgtd running now (again after {@link #startArray}).
     */
    public boolean arrayRealtime(int priority) {
        return tgtd != null && tgtd.isAlive()
                && run("chrt", "-a", "-f", "-p", String.valueOf(priority), String.valueOf(tgtd.pid()));
    }

    /** Starts tgtd with the target, LUN and backing file (again after {@link #killArray}). */
    public void startArray() throws IOException {
        Path backing = dir.resolve("lun1.img");
        if (!Files.exists(backing)) {
            ok("truncate", "-s", "64M", backing.toString());
        }
        if (tgtdControl < 0) {
            tgtdControl = 1000 + ThreadLocalRandom.current().nextInt(31000);
            for (int i = 0; i < 50 && Files.exists(Path.of("/var/run/tgtd/socket." + tgtdControl + ".lock")); i++) {
                tgtdControl = 1000 + ThreadLocalRandom.current().nextInt(31000);
            }
        }
        String iqn = "iqn.2026-11.org.tandemha:" + prefix + ".array";
        tgtd = CommandRunner.start(Command.of("ip", "netns", "exec", ns("switch"), "/usr/sbin/tgtd", "-f", "-C",
                String.valueOf(tgtdControl), "--iscsi", "portal=" + PORTAL).withLogFile(dir.resolve("tgtd.log")));
        boolean up = false;
        for (int i = 0; i < 100 && !up; i++) {
            if (!tgtd.isAlive()) {
                throw new IOException("tgtd exited at start; see " + dir.resolve("tgtd.log"));
            }
            up = tgtadm("--mode", "target", "--op", "show").ok();
            if (!up) {
                pause(100);
            }
        }
        if (!up) {
            throw new IOException("tgtd did not answer on control port " + tgtdControl + " within 10 s");
        }
        check(tgtadm("--lld", "iscsi", "--mode", "target", "--op", "new", "--tid", "1", "--targetname", iqn));
        check(tgtadm("--lld", "iscsi", "--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "1", "--backing-store",
                backing.toString()));
        check(tgtadm("--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "ALL"));
        boolean open = false;
        for (int i = 0; i < 50 && !open; i++) {
            open = CommandRunner.run(Command.of("ip", "netns", "exec", ns("client"), "bash", "-c",
                    "exec 3<>/dev/tcp/203.0.113.254/3260"), Duration.ofSeconds(2)).ok();
            if (!open) {
                pause(100);
            }
        }
        if (!open) {
            throw new IOException("the array's portal " + PORTAL + " is not reachable from the client namespace");
        }
        lunUrl = "iscsi://" + PORTAL + "/" + iqn + "/1";
        say("array up: tgtd pid " + tgtd.pid() + ", LUN " + lunUrl);
    }

    private Execution tgtadm(String... args) {
        List<String> argv = new ArrayList<>(List.of("/usr/sbin/tgtadm", "-C", String.valueOf(tgtdControl)));
        argv.addAll(Arrays.asList(args));
        return CommandRunner.run(Command.of(argv), Duration.ofSeconds(10));
    }

    private void makeVolume() throws IOException {
        Path img = dir.resolve("volume.img");
        ok("truncate", "-s", "256M", img.toString());
        // One loop device per node over the one image: each node's own path to the shared volume (see ArrayGateType).
        for (String id : List.of("node1", "node2")) {
            Execution ex = CommandRunner.run(Command.of("losetup", "--find", "--show", img.toString()), CMD);
            check(ex);
            String dev = String.join("", ex.tail()).trim();
            if (!dev.startsWith("/dev/loop")) {
                throw new IOException("losetup gave '" + dev + "', not a loop device");
            }
            loops.put(id, dev);
        }
        loopDevice = loops.get("node1");
        ok("mkfs.ext4", "-q", "-F", "-L", prefix, loopDevice);
        Path setup = Files.createDirectories(dir.resolve("setup-mnt"));
        ok("chmod", "755", dir.toString());
        ok("mount", loopDevice, setup.toString());
        try {
            Path pgdata = setup.resolve("pgdata");
            ok("mkdir", "-m", "700", pgdata.toString());
            ok("chown", "postgres:postgres", pgdata.toString());
            say("initdb on the shared volume (paths: node1 " + loops.get("node1") + ", node2 " + loops.get("node2") + ")");
            check(CommandRunner.run(Command.of(pgBin("initdb"), "-D", pgdata.toString(), "-U", "postgres", "--auth=trust", "-N")
                    .withUser("postgres").withDirectory(Path.of("/")), Duration.ofSeconds(120)));
            Files.writeString(pgdata.resolve("pg_hba.conf"), "local all all trust\nhost all all 0.0.0.0/0 trust\n");
        } finally {
            CommandRunner.run(Command.of("umount", setup.toString()), CMD);
        }
        for (String dev : loops.values()) {
            ArrayGateType.setSizeLimit(dev, 512); // closed until a node's gate opens its own path
        }
    }

    /** The replicated layout's folder for a node's PostgreSQL: data directory, socket, log. */
    public Path pgDir(String node) {
        return dir.resolve("pg").resolve(node);
    }

    /**
     * The replicated layout: a folder per node owned by postgres, and a first copy of the data (initdb) on node1
     * only; node2's copy is cloned from node1's primary by the postgresql resource (pg_basebackup).
     */
    private void initPostgres() throws IOException {
        ok("chmod", "755", dir.toString());
        for (String n : layout.threeNodes() ? List.of("node1", "node2", "node3") : List.of("node1", "node2")) {
            Path d = Files.createDirectories(pgDir(n));
            ok("chown", "postgres:postgres", d.toString(), d.getParent().toString());
        }
        Path logs = Files.createDirectories(dir.resolve("pglog")); // the servers' logs, kept after the run
        ok("chown", "postgres:postgres", logs.toString());
        Path data = pgDir("node1").resolve("data");
        say("initdb of node1's copy in " + data + " (node2's is cloned from it when node2 starts as a standby)");
        check(CommandRunner.run(Command.of(pgBin("initdb"), "-D", data.toString(), "-U", "postgres", "--auth=trust", "-N",
                "-E", "UTF8", "--locale=C").withUser("postgres").withDirectory(Path.of("/")), Duration.ofSeconds(120)));
        // the lab's network is the run's own namespaces: trust, for clients and for replication (pg_basebackup copies it)
        Files.writeString(data.resolve("pg_hba.conf"), "local all all trust\nlocal replication all trust\n"
                + "host all all 0.0.0.0/0 trust\nhost replication all 0.0.0.0/0 trust\n");
    }

    public static String pgBin(String name) {
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/postgresql"))) {
            return s.map(p -> p.resolve("bin").resolve(name)).filter(Files::isExecutable)
                    .max(Comparator.comparing(Path::toString)).map(Path::toString).orElse(name);
        } catch (IOException e) {
            return name;
        }
    }

    private void writeConfig() throws IOException {
        String hex = keyHex;
        String vol = dir.resolve("vol").toString();
        String priv = dir.resolve("private").toString();
        StringBuilder y = new StringBuilder();
        y.append("cluster: ").append(prefix).append('\n');
        y.append("key: \"hex:").append(hex).append("\"\n");
        y.append("nodes:\n");
        for (int i = 1; i <= 2; i++) {
            y.append("  - id: node").append(i).append('\n');
            y.append("    addresses: {heartbeat: \"198.51.100.").append(i).append(":7401\", public: \"192.0.2.").append(i)
                    .append(":7401\"}\n");
        }
        if (layout == Layout.REPLICATED_QUORUM) {
            y.append("  - id: node3\n");
            y.append("    addresses: {heartbeat: \"").append(NODE3_HB).append(":7401\", public: \"").append(NODE3)
                    .append(":7401\"}\n");
        }
        if (layout == Layout.REPLICATED_DR) {
            y.append("  - id: node3\n");
            y.append("    addresses: {heartbeat: \"").append(DR_NODE_HB).append(":7401\", public: \"").append(DR_NODE)
                    .append(":7401\"}\n");
        }
        y.append("paths:\n");
        y.append("  - {name: heartbeat, transport: udp, priority: 1, interval: 100ms, misses: 3}\n");
        y.append("  - {name: public, transport: udp, priority: 2, interval: 100ms, misses: 3}\n");
        if (layout == Layout.SHARED_ARRAY) {
            y.append("  - {name: disk, transport: disk, priority: 3, interval: 200ms, misses: 5, options: {device: \"")
                    .append(lunUrl).append("\"}}\n");
        }
        // the heartbeat threads at SCHED_FIFO 10: a busy node still sends and watches heartbeats on time; the engine's
        // thread (and the checks, the deadline watcher) at 5: the safety check, the claim and the address start on time
        y.append("realtime: {priority: 10, checkPriority: 5, policy: fifo}\n");
        y.append("arbiters:\n");
        if (layout == Layout.LAB_WEB) {
            y.append("  - {type: tiebreaker, params: {address: \"").append(GATEWAY).append("\", timeout: 300ms}}\n");
            y.append("  - {type: witness, params: {address: \"").append(WITNESS)
                    .append("\", timeout: 1s}}\n"); // reports every 100 ms, lease 300 ms: the heartbeats'
            y.append("timing: {startupWait: 2s, safetyTimeout: 5s}\n");
            y.append("groups:\n");
            y.append("  - id: web\n");
            y.append("    nodes: [node1, node2]\n");
            y.append("    recovery: {maxAttempts: 1, window: 1m}\n");
            y.append("    resources:\n");
            // no 'peers' parameter: the ip resource must know the cluster's nodes by itself
            y.append("      - id: vip\n        type: ip\n");
            y.append("        params: {interface: pub0, address: ").append(VIP4).append("/24}\n");
            y.append("        start: {timeout: 5s}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            y.append("      - id: http\n        type: array-app\n        dependsOn: [vip]\n");
            y.append("        params: {bind: ").append(VIP4).append(", port: 8080, hangFile: ").append(dir.resolve("hang-stop"))
                    .append("}\n");
            y.append("        start: {timeout: 2s}\n        stop: {timeout: 3s}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            config = dir.resolve("cluster.yaml");
            Files.writeString(config, y.toString());
            return;
        }
        if (layout == Layout.VERSUS) {
            // Both configurations: the safety check is the tie-breaker and one safe arbiter (see setUpVersus)
            y.append("  - {type: tiebreaker, params: {address: \"").append(GATEWAY).append("\", timeout: 300ms}}\n");
            if (config.getFileName().toString().contains("witness")) {
                y.append("  - {type: witness, params: {address: \"").append(WITNESS).append("\", timeout: 1s}}\n");
            } else {
                y.append("  - {type: scsi, params: {device: \"").append(lunUrl).append("\", checkInterval: 500ms}}\n");
            }
            y.append("timing: {startupWait: 2s, safetyTimeout: 5s}\n");
            y.append("groups:\n");
            y.append("  - id: vip\n");
            y.append("    nodes: [node1, node2]\n");
            y.append("    resources:\n");
            y.append("      - id: vip4\n        type: ip\n");
            y.append("        params: {interface: pub0, address: ").append(VIP4).append("/24}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            Files.writeString(dir.resolve("cluster.yaml"), y.toString());
            return;
        }
        if (layout.replicated()) {
            boolean dr = layout == Layout.REPLICATED_DR;
            y.append("  - {type: tiebreaker, params: {address: \"").append(GATEWAY).append("\", timeout: 300ms}}\n");
            y.append("  - {type: witness, params: {address: \"").append(WITNESS).append("\", timeout: 1s}}\n");
            y.append("timing: {startupWait: 2s, safetyTimeout: 5s}\n");
            String pg = dir.resolve("pg").toString() + "/${node}";
            y.append("groups:\n");
            y.append("  - id: db\n");
            boolean quorum = layout == Layout.REPLICATED_QUORUM;
            y.append(quorum ? "    nodes: [node1, node2, node3]\n" : "    nodes: [node1, node2]\n");
            y.append("    promotable: true\n");
            y.append(dr ? "    dr: {nodes: [node3]}\n" : "");
            y.append("    recovery: {maxAttempts: 1, window: 1m}\n");
            y.append("    resources:\n");
            y.append("      - id: pg\n        type: postgresql\n");
            y.append("        params:\n");
            y.append("          dataDirectory: \"").append(pg).append("/data\"\n");
            y.append("          socketDirectory: \"").append(pg).append("\"\n");
            y.append("          logFile: \"").append(dir.resolve("pglog")).append("/${node}.log\"\n");
            y.append("          port: 5432\n          listenAddresses: \"*\"\n          stopGrace: 5s\n          immediateGrace: 3s\n");
            y.append("          settings: [\"cluster_name=${node}\", \"shared_buffers=16MB\", \"max_connections=200\", \"wal_sender_timeout=2s\", \"wal_receiver_timeout=2s\"]\n");
            y.append("          replication: {mode: ").append(quorum ? "quorum, quorumCommit: 1"
                            : System.getProperty("replicated.mode", "sync"))
                    .append(System.getProperty("replicated.settings", "")) // e.g. ", maxLagOnFailover: 1MB" (issue 19)
                    .append(", addresses: {node1: \"192.0.2.1:5432\", node2: \"192.0.2.2:5432\"")
                    .append(dr ? ", node3: \"" + DR_NODE + ":5432\"" : quorum ? ", node3: \"" + NODE3 + ":5432\"" : "")
                    .append("}, user: postgres}\n");
            y.append("        start: {timeout: 60s}\n        stop: {timeout: 15s}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            y.append("        deepCheck: {interval: 10s, timeout: 5s}\n");
            y.append("      - id: vip\n        type: ip\n        dependsOn: [pg]\n");
            y.append(dr ? "        site: primary\n" : "");
            y.append("        params: {interface: pub0, address: ").append(VIP_DB).append("/24}\n");
            y.append("        start: {timeout: 5s}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            if (dr) {
                y.append("      - id: vip-dr\n        type: ip\n        dependsOn: [pg]\n        site: dr\n");
                y.append("        params: {interface: pub0, address: ").append(VIP_DR).append("/24}\n");
                y.append("        start: {timeout: 5s}\n");
                y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            }
            config = dir.resolve("cluster.yaml");
            Files.writeString(config, y.toString());
            return;
        }
        if (layout == Layout.VIP_WITNESS) {
            // The lab: no shared disk. The tie-breaker first, then the witness on the client's address.
            y.append("  - {type: tiebreaker, params: {address: \"").append(GATEWAY).append("\", timeout: 300ms}}\n");
            y.append("  - {type: witness, params: {address: \"").append(WITNESS)
                    .append("\", timeout: 1s}}\n"); // reports every 100 ms, lease 300 ms: the heartbeats'
            y.append("timing: {startupWait: 2s, safetyTimeout: 5s}\n");
            y.append("groups:\n");
            y.append("  - id: vip\n");
            y.append("    nodes: [node1, node2]\n");
            y.append("    resources:\n");
            // no 'peers' parameter: the ip resource must know the cluster's nodes by itself
            y.append("      - id: vip4\n        type: ip\n");
            y.append("        params: {interface: pub0, address: ").append(VIP4).append("/24}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            y.append("      - id: vip6\n        type: ip\n");
            y.append("        params: {interface: pub0, address: \"").append(VIP6).append("/64\"}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            config = dir.resolve("cluster.yaml");
            Files.writeString(config, y.toString());
            return;
        }
        if (TIEBREAKER) {
            // First: a node that cannot reach the gateway is the one cut off, and stands down.
            y.append("  - {type: tiebreaker, params: {address: \"").append(GATEWAY).append("\", timeout: 300ms}}\n");
        }
        y.append("  - {type: scsi, params: {device: \"").append(lunUrl).append("\", checkInterval: 500ms}}\n");
        y.append("timing: {startupWait: 2s, safetyTimeout: 5s}\n");
        y.append("groups:\n");
        if (layout != Layout.BENCH_WEB) {
            y.append("  - id: db\n");
            y.append("    nodes: [node1, node2]\n");
            y.append("    recovery: {maxAttempts: 1, window: 1m}\n");
            y.append("    resources:\n");
            y.append("      - id: gate\n        type: array-gate\n");
            y.append("        params: {devices: {node1: ").append(loops.get("node1")).append(", node2: ").append(loops.get("node2"))
                    .append("}").append(layout == Layout.LAB_DB ? ", stamp: " + priv + "/" + STAMP : "").append("}\n");
            y.append(layout == Layout.LAB_DB ? "        start: {timeout: 5s}\n" : "");
            y.append("        quickCheck: {interval: 1s, timeout: 2s}\n");
            y.append("      - id: data\n        type: volume\n        dependsOn: [gate]\n");
            y.append("        params: {device: ").append(priv).append("/volume, mountpoint: ").append(vol)
                    .append(", options: \"errors=remount-ro\"")
                    .append(", reservation: \"").append(lunUrl).append("\", checkInterval: 500ms, stopGrace: 3s}\n");
            y.append(layout == Layout.LAB_DB ? "        start: {timeout: 15s}\n" : "");
            y.append("        quickCheck: {interval: 1s, timeout: 3s}\n");
            y.append("      - id: pg\n        type: postgresql\n        dependsOn: [data]\n");
            y.append("        params: {dataDirectory: ").append(vol).append("/pgdata, mountPoint: ").append(vol)
                    .append(", port: 5432, listenAddresses: \"*\", socketDirectory: ").append(priv)
                    .append(", logFile: ").append(priv).append("/pg.log, stopGrace: 5s, immediateGrace: 3s}\n");
            y.append("        start: {timeout: ").append(layout == Layout.LAB_DB ? "20s" : "60s").append("}\n");
            y.append("        quickCheck: {interval: 1s, timeout: 3s}\n");
            y.append("        deepCheck: {interval: 10s, timeout: 5s}\n");
            y.append("      - id: vip1\n        type: ip\n        dependsOn: [pg]\n");
            y.append("        params: {interface: pub0, address: ").append(VIP1).append("/24, peers: [node1, node2]}\n");
            y.append(layout == Layout.LAB_DB ? "        start: {timeout: 5s}\n" : "");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
        }
        if (layout == Layout.SHARED_ARRAY) {
            y.append("  - id: app\n");
            y.append("    nodes: [node2, node1]\n");
            y.append("    recovery: {maxAttempts: 1, window: 1m}\n");
            y.append("    resources:\n");
            y.append("      - id: vip2\n        type: ip\n");
            y.append("        params: {interface: pub0, address: ").append(VIP2).append("/24, peers: [node1, node2]}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            y.append("      - id: http\n        type: array-app\n        dependsOn: [vip2]\n");
            y.append("        params: {bind: ").append(VIP2).append(", port: 8080, database: \"jdbc:postgresql://").append(VIP1)
                    .append(":5432/postgres\"}\n");
        }
        if (layout == Layout.BENCH_WEB) {
            y.append("  - id: web\n");
            y.append("    nodes: [node1, node2]\n");
            y.append("    resources:\n");
            y.append("      - id: vip1\n        type: ip\n");
            y.append("        params: {interface: pub0, address: ").append(VIP1).append("/24, peers: [node1, node2]}\n");
            y.append("        quickCheck: {interval: 500ms, timeout: 2s}\n");
            y.append("      - id: http\n        type: array-app\n        dependsOn: [vip1]\n");
            y.append("        params: {bind: ").append(VIP1).append(", port: 8080}\n");
        }
        config = dir.resolve("cluster.yaml");
        Files.writeString(config, y.toString());
    }

    /** The configuration file the nodes read. */
    public Path config() {
        return config;
    }

    String lunUrl() {
        return lunUrl;
    }

    String loopDevice() {
        return loopDevice;
    }

    Map<String, String> loops() {
        return loops;
    }

    // ---------------------------------------------------------------- processes

    /** A child process whose output lines are kept (with the monotonic time they arrived) and logged to a file. */
    public final class NodeProc {
        public final String name;
        public final Process process;
        private final Writer stdin;
        private final List<Line> lines = new ArrayList<>();
        private final LinkedBlockingQueue<List<String>> statuses = new LinkedBlockingQueue<>();
        private final LinkedBlockingQueue<String> results = new LinkedBlockingQueue<>();

        NodeProc(String name, Process process) throws IOException {
            this.name = name;
            this.process = process;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Path logFile = dir.resolve(name + ".log");
            Thread t = new Thread(() -> pump(logFile), name + "-output");
            t.setDaemon(true);
            t.start();
        }

        private void pump(Path logFile) {
            List<String> status = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 Writer w = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                         java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)) {
                String s;
                while ((s = r.readLine()) != null) {
                    long now = System.nanoTime();
                    w.write(String.format("%.3f %s%n", (now - t0) / 1e9, s));
                    w.flush();
                    if (s.startsWith("GROUP ") || s.startsWith("PEER ")) {
                        status.add(s);
                    } else if (s.equals("STATUS-END")) {
                        statuses.add(List.copyOf(status));
                        status.clear();
                    } else if (s.startsWith("RESULT ")) {
                        results.add(s.substring(7));
                    } else {
                        synchronized (lines) {
                            lines.add(new Line(now, s));
                            lines.notifyAll();
                        }
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }

        public synchronized void send(String command) {
            try {
                stdin.write(command + "\n");
                stdin.flush();
            } catch (IOException e) {
                // the process is gone; callers find out by waiting
            }
        }

        /** Sends an operator command and waits for its result line. */
        public String command(String command, Duration timeout) throws InterruptedException {
            results.clear();
            send(command);
            String r = results.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return r == null ? "refused no answer within " + timeout.toSeconds() + " s" : r;
        }

        /** The node's status: GROUP and PEER lines. */
        public List<String> status(Duration timeout) throws InterruptedException {
            statuses.clear();
            send("status");
            List<String> s = statuses.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return s == null ? List.of() : s;
        }

        /** The first line at or after {@code from} (ns) that matches, waiting up to {@code timeout}; null if none. */
        public Line await(long from, Predicate<String> match, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (lines) {
                while (true) {
                    for (Line l : lines) {
                        if (l.nanos >= from && match.test(l.text)) {
                            return l;
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || !process.isAlive()) {
                        return null;
                    }
                    lines.wait(Math.max(1, Math.min(200, left / 1_000_000)));
                }
            }
        }

        public List<Line> linesSince(long from) {
            synchronized (lines) {
                return lines.stream().filter(l -> l.nanos >= from).toList();
            }
        }
    }

    public record Line(long nanos, String text) {
    }

    /** Starts node {@code id} (node1 or node2) in its namespace and waits for READY. */
    public NodeProc startNode(String id) throws IOException, InterruptedException {
        return startNodes(id).get(0);
    }

    /**
     * Starts the nodes' JVMs at once, then waits for each to be READY: a node started only after another is ready
     * comes up one JVM start later, which on a loaded machine can exceed {@code startupWait}, so that the first
     * takes every group, including those that prefer the second.
     */
    public List<NodeProc> startNodes(String... ids) throws IOException, InterruptedException {
        long from = System.nanoTime();
        List<NodeProc> started = new ArrayList<>();
        for (String id : ids) {
            Path state = Files.createDirectories(dir.resolve("state-" + id));
            NodeProc p = new NodeProc(id, nodeProcess(id, state).start());
            nodes.put(id, p);
            started.add(p);
        }
        for (NodeProc p : started) {
            Line ready = p.await(from, s -> s.startsWith("READY") || s.startsWith("CONFIG-ERROR"), Duration.ofSeconds(60));
            if (ready == null || !ready.text.startsWith("READY")) {
                throw new IOException("node " + p.name + " did not start: " + (ready == null ? "no READY within 60 s; see "
                        + dir.resolve(p.name + ".log") : ready.text));
            }
            say(p.name + " started (JVM in namespace " + ns(p.name) + ")");
        }
        return started;
    }

    /**
     * Starts a second copy of node {@code id} in its namespace, as an operator's mistake would (a unit file and a
     * hand start), with its own state directory {@code stateName} under the run's folder or, with null, the
     * node's own. Does not wait: the caller reads its lines and its exit.
     */
    NodeProc startCopy(String id, String stateName) throws IOException {
        Path state = Files.createDirectories(dir.resolve(stateName == null ? "state-" + id : stateName));
        NodeProc p = new NodeProc(id + "-copy-" + (stateName == null ? "same-state" : stateName), nodeProcess(id, state).start());
        say("a second copy of " + id + " started (state directory " + state + ")");
        return p;
    }

    private ProcessBuilder nodeProcess(String id, Path state) {
        String priv = dir.resolve("private").toString();
        String java = ProcessHandle.current().info().command().orElse("java");
        String link = loops.containsKey(id) ? " && ln -s " + loops.get(id) + " " + priv + "/volume" : "";
        // VIP_WITNESS: the JVM is the namespace's only process, not the init of a PID namespace, so that killing it
        // kills nothing else (its kernel keeps the addresses)
        String mount = layout.sharedPids() ? "" : "mount -t tmpfs -o mode=1777,size=64m tmpfs " + priv + link + " && ";
        String script = mount + "exec " + java
                + " -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto"
                // no safepoint every second for clean-up only: under load one of them waited up to 40 ms for a starved
                // normal-priority thread to reach it, and the real-time threads with it (jvm-*.log, "Reaching safepoint")
                + " -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0"
                // the JVM's stalls (safepoints: time to reach, time at; GC), stamped with System.nanoTime as the events
                // are: a late step of a failover is put down to the JVM or to the thread that ran it
                + " '-Xlog:safepoint=info,gc=info:file=" + dir.resolve("jvm-" + id + "-%p.log") + ":timenanos'"
                // its listener writes every event to stdout, the node's record: the event logger would repeat them
                + " -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.org.tandemha.events=off"
                + " -cp \"$CP\" org.tandemha.examples.sharedarray.ArrayNode"
                + " --config " + config + " --node " + id + " --state " + state;
        ProcessBuilder pb = layout.sharedPids()
                ? new ProcessBuilder("ip", "netns", "exec", ns(id), "/bin/sh", "-c", script)
                : new ProcessBuilder("ip", "netns", "exec", ns(id), "unshare", "--ipc", "--pid", "--fork",
                "--mount-proc", "/bin/sh", "-c", script);
        pb.environment().put("CP", classpath);
        pb.redirectErrorStream(true);
        return pb;
    }

    public NodeProc node(String id) {
        return nodes.get(id);
    }

    /** Starts the client in its namespace. */
    NodeProc startClient() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", ns("client"), java, "-Xmx96m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath,
                "org.tandemha.examples.sharedarray.ArrayClient");
        pb.redirectErrorStream(true);
        long from = System.nanoTime();
        client = new NodeProc("client", pb.start());
        if (client.await(from, s -> s.startsWith("CLIENT-READY"), Duration.ofSeconds(30)) == null) {
            throw new IOException("the client did not start; see " + dir.resolve("client.log"));
        }
        return client;
    }

    /**
     * Starts {@code mainClass} (on the cluster's class path) as a JVM in the namespace of {@code where} (node1, node2,
     * client), its output kept as a {@link NodeProc} named {@code name} (and logged to NAME.log); waits for a first
     * line starting with {@code readyPrefix}.
     */
    public NodeProc startJava(String name, String where, String mainClass, String readyPrefix, String... args)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns(where), java, "-Xmx96m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classpath, mainClass));
        argv.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectErrorStream(true);
        long from = System.nanoTime();
        NodeProc p = new NodeProc(name, pb.start());
        if (p.await(from, s -> s.startsWith(readyPrefix), Duration.ofSeconds(30)) == null) {
            throw new IOException(name + " did not start; see " + dir.resolve(name + ".log"));
        }
        return p;
    }

    /**
     * Runs an nftables script inside the namespace of {@code who} (node1, node2): tables are only ever made there,
     * never on the host. Throws with nft's message when it fails.
     */
    public void nft(String who, String script) throws IOException {
        Path f = dir.resolve("nft-" + who + ".nft");
        Files.writeString(f, script);
        check(CommandRunner.run(Command.of("ip", "netns", "exec", ns(who), "nft", "-f", f.toString()), CMD));
    }

    /** Runs {@code nft ARGS} inside the namespace of {@code who}; returns whether it succeeded. */
    public boolean nftQuiet(String who, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns(who), "nft"));
        argv.addAll(Arrays.asList(args));
        return CommandRunner.run(Command.of(argv), CMD).ok();
    }

    /** The host PID of a node's JVM while it runs (VIP_WITNESS, LAB_WEB: the process started; else its child). */
    public long jvmPid(String id) {
        NodeProc n = nodes.get(id);
        if (n == null || !n.process.isAlive()) {
            return -1;
        }
        if (layout.sharedPids()) {
            return n.process.pid();
        }
        return n.process.children().filter(ph -> ph.info().command().map(c -> c.endsWith("java")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    /** Whether the node's mount namespace has the volume mounted through its open path (read through /proc of PID). */
    public boolean mountedVia(long pid, String id) {
        String loop = loops.get(id);
        if (loop == null || pid <= 0) {
            return false;
        }
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mounts"))) {
                if (l.startsWith(loop + " ") && ArrayGateType.sizeLimit(loop) == 0) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process went away
        }
        return false;
    }

    /** Runs a command; returns whether it succeeded. */
    public static boolean run(String... argv) {
        return CommandRunner.run(Command.of(argv), CMD).ok();
    }

    NodeProc client() {
        return client;
    }

    /** Host PIDs of every process in a node's network namespace. */
    public Set<Long> pids(String id) {
        Execution ex = CommandRunner.run(Command.of("ip", "netns", "pids", ns(id)), Duration.ofSeconds(5));
        Set<Long> out = new HashSet<>();
        for (String s : ex.tail()) {
            for (String w : s.trim().split("\\s+")) {
                if (!w.isEmpty()) {
                    try {
                        out.add(Long.parseLong(w));
                    } catch (NumberFormatException ignored) {
                        // not a pid
                    }
                }
            }
        }
        return out;
    }

    /** Kill -9 of the node's whole process tree: every process in its namespace. Returns how many were killed. */
    public int kill(String id) throws InterruptedException {
        int killed = 0;
        for (int round = 0; round < 20; round++) {
            Set<Long> p = pids(id);
            if (p.isEmpty()) {
                break;
            }
            for (long pid : p) {
                if (Posix.kill(pid, Posix.SIGKILL)) {
                    killed++;
                }
            }
            Thread.sleep(50);
        }
        NodeProc n = nodes.get(id);
        if (n != null) {
            n.process.waitFor(10, TimeUnit.SECONDS);
        }
        return killed;
    }

    /**
     * Kill -9 of the node's Tandem JVM alone (a daemon crash): the node's kernel keeps its addresses and what else
     * the JVM started. Returns the PID killed.
     */
    public long killJvm(String id) throws IOException, InterruptedException {
        NodeProc n = nodes.get(id);
        long pid = n.process.pid(); // 'ip netns exec' and 'sh -c' both exec: this is the JVM
        String comm = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
        if (!comm.equals("java")) {
            throw new IOException("process " + pid + " of " + id + " is '" + comm + "', not its JVM");
        }
        Posix.kill(pid, Posix.SIGKILL);
        n.process.waitFor(10, TimeUnit.SECONDS);
        return pid;
    }

    /** The output of {@code ip ARGS} inside the namespace of {@code who} (node1, node2, client). */
    public String ipIn(String who, String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", ns(who)));
        argv.addAll(Arrays.asList(args));
        Execution e = CommandRunner.run(Command.of(argv), CMD);
        check(e);
        return String.join("\n", e.tail());
    }

    /** SIGSTOP (or SIGCONT) to every process of the node. */
    public int signal(String id, int sig) {
        int n = 0;
        for (long pid : pids(id)) {
            if (Posix.kill(pid, sig)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether the node's JVM has the volume mounted through an open path (its loop device not cut by a gate): read
     * from the host through /proc and /sys.
     */
    public boolean mounted(String id) {
        String loop = loops.get(id);
        if (loop == null) {
            return false;
        }
        for (long pid : pids(id)) {
            try {
                String comm = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
                if (!comm.equals("java")) {
                    continue;
                }
                for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mounts"))) {
                    if (l.startsWith(loop + " ") && ArrayGateType.sizeLimit(loop) == 0) {
                        return true; // mounted, and its path to the array is open
                    }
                }
            } catch (IOException e) {
                // the process went away
            }
        }
        return false;
    }

    /** Whether the node's JVM has the volume mounted at all (through an open or a cut path). */
    boolean mountedAtAll(String id) {
        String loop = loops.get(id);
        if (loop == null) {
            return false;
        }
        for (long pid : pids(id)) {
            try {
                if (!Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim().equals("java")) {
                    continue;
                }
                for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mounts"))) {
                    if (l.startsWith(loop + " ")) {
                        return true;
                    }
                }
            } catch (IOException e) {
                // the process went away
            }
        }
        return false;
    }

    /** Whether every process of the node is stopped (SIGSTOP). */
    boolean frozen(String id) {
        Set<Long> p = pids(id);
        if (p.isEmpty()) {
            return false;
        }
        for (long pid : p) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            } catch (IOException e) {
                // gone
            }
        }
        return true;
    }

    /** Sets a link of the cluster up or down: "hb" (the heartbeat link) or "pub-node1"/"pub-node2" (switch side). */
    public void link(String which, boolean up) throws IOException {
        String state = up ? "up" : "down";
        switch (which) {
            case "hb" -> ok("ip", "-n", ns("node1"), "link", "set", "hb0", state);
            case "pub-node1" -> ok("ip", "-n", ns("switch"), "link", "set", "p1", state);
            case "pub-node2" -> ok("ip", "-n", ns("switch"), "link", "set", "p2", state);
            case "san-node1" -> ok("ip", "-n", ns("switch"), "link", "set", "s1", state);
            default -> throw new IllegalArgumentException(which);
        }
        if (up && which.equals("hb")) {
            ok("ip", "-n", ns("node2"), "link", "set", "hb0", "up");
        }
    }

    /** Waits until {@code id} reports group {@code group} ONLINE locally; returns false on timeout. */
    public boolean awaitOnline(String id, String group, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        NodeProc n = nodes.get(id);
        while (System.nanoTime() < deadline && n != null && n.process.isAlive()) {
            for (String s : n.status(Duration.ofSeconds(5))) {
                String[] w = s.split(" ");
                if (w[0].equals("GROUP") && w[1].equals(group) && w[2].equals(id) && w[3].equals("ONLINE")) {
                    return true;
                }
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** Waits until {@code id} sees {@code peer} reachable. */
    public boolean awaitPeer(String id, String peer, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        NodeProc n = nodes.get(id);
        while (System.nanoTime() < deadline && n != null && n.process.isAlive()) {
            for (String s : n.status(Duration.ofSeconds(5))) {
                String[] w = s.split(" ");
                if (w[0].equals("PEER") && w[1].equals(peer) && w[2].equals("REACHABLE")) {
                    return true;
                }
            }
            Thread.sleep(200);
        }
        return false;
    }

    public double seconds(long nanos) {
        return (nanos - t0) / 1e9;
    }

    // ---------------------------------------------------------------- teardown

    /** Runs {@code cleanup} first when the cluster closes (also from the shutdown hook): a helper process of a caller. */
    public synchronized void register(Runnable cleanup) {
        onClose.add(cleanup);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Runnable r : onClose) {
            try {
                r.run();
            } catch (RuntimeException e) {
                say("cleanup step failed: " + e);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down: this is the hook
        }
        for (NamespaceResponder r : responders) {
            r.close();
        }
        for (String id : List.of("node1", "node2", "client")) {
            if (namespaces.contains(ns(id))) {
                for (long pid : pids(id)) {
                    Posix.kill(pid, Posix.SIGCONT);
                }
                try {
                    kill(id);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (tgtd != null) {
            CommandRunner.killTree(tgtd.pid());
            try {
                tgtd.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (namespaces.contains(ns("switch"))) {
                for (long pid : pidsOf(ns("switch"))) {
                    Posix.kill(pid, Posix.SIGKILL);
                }
            }
        }
        if (tgtdControl > 0) {
            try {
                Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + tgtdControl));
                Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + tgtdControl + ".lock"));
            } catch (IOException ignored) {
                // best effort
            }
        }
        CommandRunner.run(Command.of("umount", dir.resolve("setup-mnt").toString()), Duration.ofSeconds(10));
        for (String dev : loops.values()) {
            for (int i = 0; i < 20; i++) {
                if (CommandRunner.run(Command.of("losetup", "-d", dev), Duration.ofSeconds(10)).ok()) {
                    break;
                }
                pause(250);
            }
        }
        for (String n : namespaces) {
            CommandRunner.run(Command.of("ip", "netns", "del", n), Duration.ofSeconds(10));
        }
        CommandRunner.run(Command.of("rm", "-rf", dir.resolve("lun1.img").toString(), dir.resolve("volume.img").toString(),
                dir.resolve("pg").toString()), Duration.ofSeconds(30));
        say("cleaned up: namespaces, tgtd, loop device, images removed (logs kept in " + dir + ")");
    }

    private Set<Long> pidsOf(String namespace) {
        Execution ex = CommandRunner.run(Command.of("ip", "netns", "pids", namespace), Duration.ofSeconds(5));
        Set<Long> out = new HashSet<>();
        for (String s : ex.tail()) {
            for (String w : s.trim().split("\\s+")) {
                if (w.matches("\\d+")) {
                    out.add(Long.parseLong(w));
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    private static void ok(String... argv) throws IOException {
        check(CommandRunner.run(Command.of(argv), CMD));
    }

    private static void check(Execution e) throws IOException {
        if (!e.ok()) {
            throw new IOException(e.command() + ": " + e.describe());
        }
    }

    public static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The PostgreSQL JDBC driver jar from the local Maven repository (the examples module does not depend on it). */
    public static java.util.Optional<Path> postgresqlDriver() throws IOException {
        Path repo = Path.of(System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository"));
        Path dir = repo.resolve("org/postgresql/postgresql");
        if (!Files.isDirectory(dir)) {
            return java.util.Optional.empty();
        }
        try (java.util.stream.Stream<Path> s = Files.walk(dir, 2)) {
            return s.filter(p -> p.getFileName().toString().matches("postgresql-[0-9.]+\\.jar"))
                    .max(java.util.Comparator.comparing(p -> p.getFileName().toString()));
        }
    }
}
