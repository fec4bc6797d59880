package org.tandemha.zookeeper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.Coordinator;
import org.tandemha.api.CoordinatorFactory;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * A Tandem cluster of N nodes in this JVM (in-memory heartbeats) on a real ZooKeeper ensemble, for the tests and the
 * benchmark: each node reaches every server through TCP proxies of its own (to cut it from the ensemble), each group
 * runs one {@code fenced-write} resource of a shared {@link FencedStore}. The ensemble is a Curator
 * {@link TestingCluster} in this JVM (faults on servers), or an external one given by its client ports (the scale
 * benchmark runs it in a child JVM so that the CPU it measures is Tandem's alone).
 */
final class ZkHarness implements AutoCloseable {
    final long sessionMs;
    final TestingCluster zk;
    private final List<Integer> serverPorts;
    final InMemoryNetwork net = new InMemoryNetwork();
    final FencedStore store = new FencedStore();
    final List<String> nodeIds;
    /** group -> its priority list. */
    final Map<String, List<String>> groups;
    private final String checkInterval;
    private final Path dir;
    final Map<String, ClusterNode> nodes = new ConcurrentHashMap<>();
    final Map<String, List<TcpProxy>> proxies = new ConcurrentHashMap<>();
    final Map<String, ZooKeeperCoordinator> coordinators = new ConcurrentHashMap<>();
    private final Map<String, Thread> closing = new ConcurrentHashMap<>();
    private final boolean quiet;
    /** The in-memory heartbeat path's interval (its misses: 3). */
    String heartbeatInterval = "100ms";

    /** An ensemble of {@code servers} ZooKeeper servers in this JVM, started. */
    static TestingCluster ensemble(int servers, int tickMs) throws Exception {
        // the servers run in this JVM: bound the back-off of their leader election (after the whole ensemble restarts,
        // servers that came up alone would otherwise wait up to 60 s between election rounds)
        System.setProperty("zookeeper.fastleader.maxNotificationInterval", "1000");
        System.setProperty("zookeeper.cnxTimeout", "1000");
        // ZooKeeper grants sessions of 2 to 20 ticks: the tick bounds the session timeout asked for
        List<InstanceSpec> specs = FreePorts.ensemble(servers, tickMs);
        TestingCluster zk = new TestingCluster(specs);
        zk.start();
        // Serving before the nodes start: a node whose first connection finds no quorum yet gets its session seconds
        // later (the client's back-off), and its groups' places are taken meanwhile (a flake on a fast machine).
        try (org.apache.curator.framework.CuratorFramework probe = org.apache.curator.framework.CuratorFrameworkFactory
                .newClient(zk.getConnectString(), 3000, 3000, new org.apache.curator.retry.RetryNTimes(60, 250))) {
            probe.start();
            if (!probe.blockUntilConnected(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test ensemble did not serve within 30 s: " + zk.getConnectString());
            }
            probe.checkExists().forPath("/"); // a read the quorum answers
        }
        return zk;
    }

    /** {@code count} groups over {@code nodes}, group i's priority list starting at node i mod n, {@code listLength} long. */
    static Map<String, List<String>> rotated(int count, List<String> nodes, int listLength) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            List<String> l = new ArrayList<>();
            for (int k = 0; k < listLength; k++) {
                l.add(nodes.get((i + k) % nodes.size()));
            }
            m.put("g" + (i + 1), l);
        }
        return m;
    }

    static List<String> nodeIds(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            l.add("node" + i);
        }
        return l;
    }

    ZkHarness(TestingCluster zk, List<Integer> serverPorts, List<String> nodeIds, Map<String, List<String>> groups,
            long sessionMs, String checkInterval, Path dir, boolean quiet) throws Exception {
        this.zk = zk;
        this.serverPorts = serverPorts;
        this.nodeIds = nodeIds;
        this.groups = groups;
        this.sessionMs = sessionMs;
        this.checkInterval = checkInterval;
        this.dir = dir;
        this.quiet = quiet;
        for (String id : nodeIds) {
            List<TcpProxy> ps = new ArrayList<>();
            for (int port : serverPorts) {
                ps.add(new TcpProxy(port, quiet));
            }
            proxies.put(id, ps);
        }
    }

    ZkHarness(TestingCluster zk, List<String> nodeIds, Map<String, List<String>> groups, long sessionMs,
            String checkInterval, Path dir, boolean quiet) throws Exception {
        this(zk, zk.getInstances().stream().map(InstanceSpec::getPort).toList(), nodeIds, groups, sessionMs,
                checkInterval, dir, quiet);
    }

    String config(String connect) {
        StringBuilder b = new StringBuilder();
        b.append("cluster: zkharness\n");
        b.append("key: \"hex:000102030405060708090a0b0c0d0e0f\"\n");
        b.append("nodes: [").append(nodeIds.stream().map(n -> "{id: " + n + "}").collect(Collectors.joining(", "))).append("]\n");
        b.append("paths:\n  - {name: memory, transport: memory, interval: " + heartbeatInterval + ", misses: 3}\n");
        b.append("timing: {startupWait: 1s}\n");
        b.append("coordination: {type: zookeeper, connect: \"").append(connect).append("\", sessionTimeout: ")
                .append(sessionMs).append("ms, path: /tandem, digest: \"tandem:secret\"}\n");
        b.append("groups:\n");
        groups.forEach((g, list) -> {
            b.append("  - id: ").append(g).append("\n");
            b.append("    nodes: [").append(String.join(", ", list)).append("]\n");
            b.append("    resources:\n");
            b.append("      - {id: w-").append(g).append(", type: fenced-write, quickCheck: {interval: ")
                    .append(checkInterval).append(", timeout: 1s}}\n");
        });
        return b.toString();
    }

    void startAll() throws Exception {
        for (String id : nodeIds) {
            startNode(id);
        }
    }

    /** Starts node {@code id} (again, after {@link #kill}): a new engine and ZooKeeper client, its proxies healed. */
    void startNode(String id) throws Exception {
        Thread c = closing.remove(id);
        if (c != null) {
            c.join(30_000);
            if (c.isAlive()) {
                // its old engine still runs on the same in-memory membership: a new one beside it would be heard as it
                throw new IllegalStateException("node " + id + " killed earlier has not finished closing after 30 s");
            }
        }
        proxies.get(id).forEach(p -> p.cut(false));
        String connect = proxies.get(id).stream().map(p -> "127.0.0.1:" + p.port()).collect(Collectors.joining(","));
        CoordinatorFactory recording = new CoordinatorFactory() {
            @Override
            public String type() {
                return "zookeeper";
            }

            @Override
            public Coordinator create(Settings settings, ClusterConfig cluster, NodeContext context)
                    throws InvalidConfigException {
                ZooKeeperCoordinator zc = (ZooKeeperCoordinator) new ZooKeeperCoordinatorFactory().create(settings, cluster, context);
                coordinators.put(cluster.localNode(), zc);
                return zc;
            }
        };
        ClusterNode n = Tandem.builder().configText(config(connect), true).localNode(id).membership(net.member(id))
                .resourceType(store).service(CoordinatorFactory.class, recording).stateDirectory(dir.resolve(id)).build();
        nodes.put(id, n);
        n.start();
    }

    /**
     * The closest in one JVM to kill -9 of node {@code id}: its links to the ensemble are cut first (bytes dropped, so
     * neither a release nor the session's close reaches ZooKeeper: its leases live until the session expires on the
     * server, as after kill -9), then its engine and client are closed (in the background: the client's close waits
     * for its unreachable servers). Its heartbeats stop at once.
     */
    void kill(String id) {
        proxies.get(id).forEach(p -> p.cut(true));
        ClusterNode n = nodes.remove(id);
        coordinators.remove(id);
        Thread t = new Thread(n::close, "kill-" + id);
        t.setDaemon(true);
        t.start();
        closing.put(id, t);
    }

    boolean running(String id) {
        return nodes.containsKey(id);
    }

    /** group -> nodes that say ONLINE. */
    Map<String, List<String>> online() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String g : groups.keySet()) {
            m.put(g, new ArrayList<>());
        }
        nodes.forEach((id, n) -> {
            for (GroupStatus g : n.status().groups()) {
                if (g.localState() == GroupState.ONLINE) {
                    m.get(g.group()).add(id);
                }
            }
        });
        return m;
    }

    int onlineCount() {
        int k = 0;
        for (ClusterNode n : nodes.values()) {
            for (GroupStatus g : n.status().groups()) {
                if (g.localState() == GroupState.ONLINE) {
                    k++;
                }
            }
        }
        return k;
    }

    String owner(String group) {
        List<String> on = online().get(group);
        return on.size() == 1 ? on.get(0) : null;
    }

    long generation(String node, String group) {
        return nodes.get(node).status().groups().stream().filter(g -> g.group().equals(group)).findFirst().orElseThrow()
                .generation();
    }

    /** Groups not online on exactly one node (empty: settled). */
    Map<String, List<String>> unsettled() {
        Map<String, List<String>> m = online();
        m.values().removeIf(l -> l.size() == 1);
        return m;
    }

    /** Waits until every group is online on exactly one node; returns how long it took. */
    long awaitSettled(String after, long withinMs) throws InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + withinMs * 1_000_000;
        while (System.nanoTime() < end) {
            if (unsettled().isEmpty()) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(groups.size() > 50 ? 200 : 20); // many groups: each look asks every node for its status
        }
        throw new AssertionError("after " + after + ": groups not back on one node each within " + withinMs
                + " ms: " + unsettled());
    }

    /** The server id of the ZooKeeper leader (asked with the srvr command), -1 if none answers as leader. */
    int leader() {
        for (InstanceSpec s : zk.getInstances()) {
            try (Socket sock = new Socket(InetAddress.getLoopbackAddress(), s.getPort())) {
                sock.setSoTimeout(2000);
                OutputStream o = sock.getOutputStream();
                o.write("srvr".getBytes(StandardCharsets.US_ASCII));
                o.flush();
                BufferedReader r = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.US_ASCII));
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("Mode: leader")) {
                        return s.getServerId();
                    }
                }
            } catch (java.io.IOException e) {
                // that server is down
            }
        }
        return -1;
    }

    InstanceSpec instance(int serverId) {
        return zk.getInstances().stream().filter(s -> s.getServerId() == serverId).findFirst().orElseThrow();
    }

    /** Cuts node {@code id} from every server (bytes dropped both ways) or heals it (its connections closed). */
    void partition(String id, boolean on) {
        proxies.get(id).forEach(p -> p.cut(on));
    }

    /** Freezes node {@code id}'s ZooKeeper client (its coordinator thread blocked, its connection silent). */
    CountDownLatch freeze(String id) {
        CountDownLatch thaw = new CountDownLatch(1);
        coordinators.get(id).freezeForTest(thaw);
        partition(id, true);
        return thaw;
    }

    void thaw(String id, CountDownLatch thaw) {
        partition(id, false);
        thaw.countDown();
    }

    void expire(String id) throws Exception {
        coordinators.get(id).client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
    }

    /** What {@link #restartEnsemble} saw. */
    record EnsembleRestart(long allStoppedMs, int onlineAtRestart, long acceptedWhileDown, long electionMs, long backMs) {
        @Override
        public String toString() {
            return "groups stopped " + allStoppedMs + " ms after the ensemble went down, " + onlineAtRestart
                    + " online and " + acceptedWhileDown + " writes accepted while no session was usable; a leader "
                    + electionMs + " ms after the restart, groups back " + backMs + " ms after that";
        }
    }

    /** Runs {@code action} on every server at once (their own threads), waits for all. */
    private void eachServer(ServerAction action) throws Exception {
        List<Thread> ts = new ArrayList<>();
        List<Exception> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (InstanceSpec s : zk.getInstances()) {
            Thread t = new Thread(() -> {
                try {
                    action.run(s);
                } catch (Exception e) {
                    errors.add(e);
                }
            }, "zk-server-" + s.getServerId());
            t.start();
            ts.add(t);
        }
        for (Thread t : ts) {
            t.join(60_000);
        }
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
    }

    private interface ServerAction {
        void run(InstanceSpec s) throws Exception;
    }

    /** Waits until a server answers as the leader; returns how long it took. */
    long awaitLeader(long withinMs) throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < withinMs * 1_000_000) {
            if (leader() > 0) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no ZooKeeper leader within " + withinMs + " ms of the restart");
    }

    /**
     * Stops every ZooKeeper server, keeps them down {@code downMs}, starts them again. Measures: how long until no
     * group is online (no session is usable), whether any group was online or any write accepted from one session
     * timeout after the stop until the restart, and how long after the restart until every group runs again.
     */
    EnsembleRestart restartEnsemble(long downMs, long backWithinMs) throws Exception {
        eachServer(zk::killServer);
        long t0 = System.nanoTime();
        long stopped = -1;
        long quietFrom = t0 + sessionMs * 1_000_000;
        long end = t0 + Math.max(downMs, sessionMs) * 1_000_000;
        int onlineLate = 0;
        while (System.nanoTime() < end) {
            int on = onlineCount();
            if (on == 0 && stopped < 0) {
                stopped = (System.nanoTime() - t0) / 1_000_000;
            }
            if (System.nanoTime() > quietFrom) {
                onlineLate = Math.max(onlineLate, on);
            }
            Thread.sleep(20);
        }
        long accepted;
        synchronized (store) {
            accepted = store.writes.stream().filter(w -> w.accepted() && w.atNanos() > quietFrom).count();
        }
        long r0 = System.nanoTime();
        eachServer(zk::restartServer);
        awaitLeader(60_000);
        long election = (System.nanoTime() - r0) / 1_000_000;
        long back = awaitSettled("restarting the whole ensemble (a leader " + election + " ms after the restart)", backWithinMs);
        return new EnsembleRestart(stopped, onlineLate, accepted, election, back);
    }

    @Override
    public void close() throws Exception {
        // every node at once, each bounded: a node that cannot leave (see the report of kill) must not hold the rest
        List<Thread> ts = new ArrayList<>(closing.values());
        nodes.forEach((id, n) -> {
            Thread t = new Thread(n::close, "close-" + id);
            t.setDaemon(true);
            t.start();
            ts.add(t);
        });
        for (Thread t : ts) {
            t.join(20_000);
        }
        net.close();
        proxies.values().forEach(l -> l.forEach(TcpProxy::close));
    }
}
