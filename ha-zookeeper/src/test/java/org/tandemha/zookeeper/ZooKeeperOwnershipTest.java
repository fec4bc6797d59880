package org.tandemha.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Coordinator;
import org.tandemha.api.CoordinatorFactory;
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.Tandem;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * Lease ownership against a real ZooKeeper ensemble (Curator's TestingCluster: three servers), a three-node Tandem
 * cluster in this JVM (in-memory heartbeats), each node reaching every server through a TCP proxy of its own (to cut
 * it from the ensemble), and a fake shared resource that records every write with its token and rejects an older one.
 * Faults: kill a ZooKeeper server, kill the leader, expire an owner's session; and in
 * {@link #ownershipSurvivesPartitionAndFreeze}, cut an owner from the ensemble past its session timeout, freeze an
 * owner's ZooKeeper client (its coordinator thread and its connection) past the session timeout. After each: never two nodes whose writes were accepted with
 * one token, and every group online on exactly one node within the session timeout plus {@link #BOUND_MS}.
 */
class ZooKeeperOwnershipTest {
    static final long SESSION_MS = 3000;
    static final long BOUND_MS = 12_000;
    static final List<String> NODES = List.of("node1", "node2", "node3");

    @TempDir
    Path dir;
    private TestingCluster zk;
    private final InMemoryNetwork net = new InMemoryNetwork();
    private final FencedStore store = new FencedStore();
    private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
    private final Map<String, List<TcpProxy>> proxies = new LinkedHashMap<>();
    private final Map<String, ZooKeeperCoordinator> coordinators = new java.util.concurrent.ConcurrentHashMap<>();

    static String config(String connect) {
        return """
                cluster: zktest
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes: [{id: node1}, {id: node2}, {id: node3}]
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                timing: {startupWait: 1s}
                coordination: {type: zookeeper, connect: "%s", sessionTimeout: %dms, path: /tandem, digest: "tandem:secret"}
                groups:
                  - id: g1
                    nodes: [node1, node2, node3]
                    resources:
                      - {id: w1, type: fenced-write, quickCheck: {interval: 100ms, timeout: 1s}}
                  - id: g2
                    nodes: [node3, node2, node1]
                    resources:
                      - {id: w2, type: fenced-write, quickCheck: {interval: 100ms, timeout: 1s}}
                """.formatted(connect, SESSION_MS);
    }

    @BeforeEach
    void start() throws Exception {
        // tickTime 500 ms: ZooKeeper grants sessions of 2 to 20 ticks, so the 3 s asked for are not raised to 6 s
        List<InstanceSpec> specs = FreePorts.ensemble(3, 500);
        zk = new TestingCluster(specs);
        zk.start();
        for (String id : NODES) {
            List<TcpProxy> ps = new ArrayList<>();
            for (InstanceSpec s : zk.getInstances()) {
                ps.add(new TcpProxy(s.getPort()));
            }
            proxies.put(id, ps);
            String connect = ps.stream().map(p -> "127.0.0.1:" + p.port()).collect(Collectors.joining(","));
            System.out.println("node " + id + " reaches ZooKeeper " + zk.getConnectString() + " through " + connect);
            CoordinatorFactory recording = new CoordinatorFactory() {
                @Override
                public String type() {
                    return "zookeeper";
                }

                @Override
                public Coordinator create(Settings settings, ClusterConfig cluster, NodeContext context)
                        throws InvalidConfigException {
                    ZooKeeperCoordinator c = (ZooKeeperCoordinator) new ZooKeeperCoordinatorFactory().create(settings, cluster, context);
                    coordinators.put(cluster.localNode(), c);
                    return c;
                }
            };
            ClusterNode n = Tandem.builder().configText(config(connect), true).localNode(id).membership(net.member(id))
                    .resourceType(store).service(CoordinatorFactory.class, recording)
                    .stateDirectory(dir.resolve(id)).build();
            nodes.put(id, n);
            n.start();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (ClusterNode n : nodes.values()) {
            n.close();
        }
        net.close();
        proxies.values().forEach(l -> l.forEach(TcpProxy::close));
        zk.close();
    }

    /** group -> nodes that say ONLINE. */
    private Map<String, List<String>> online() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("g1", new ArrayList<>());
        m.put("g2", new ArrayList<>());
        nodes.forEach((id, n) -> {
            for (GroupStatus g : n.status().groups()) {
                if (g.localState() == GroupState.ONLINE) {
                    m.get(g.group()).add(id);
                }
            }
        });
        return m;
    }

    private String owner(String group) {
        List<String> on = online().get(group);
        return on.size() == 1 ? on.get(0) : null;
    }

    /** Waits until every group is online on exactly one node; returns how long it took. */
    private long awaitSettled(String after) throws InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + (SESSION_MS + BOUND_MS) * 1_000_000;
        while (System.nanoTime() < end) {
            if (online().values().stream().allMatch(l -> l.size() == 1)) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("after " + after + ": groups not back on one node each within " + (SESSION_MS + BOUND_MS)
                + " ms: " + online());
    }

    /** Waits until the group is online on one node other than {@code from}; returns how long it took. */
    private long awaitMoved(String group, String from) throws InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + (SESSION_MS + BOUND_MS) * 1_000_000;
        while (System.nanoTime() < end) {
            String o = owner(group);
            if (o != null && !o.equals(from)) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("group " + group + " did not move from " + from + " within " + (SESSION_MS + BOUND_MS)
                + " ms: " + online());
    }

    private int leader() throws Exception {
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

    private InstanceSpec instance(int serverId) {
        return zk.getInstances().stream().filter(s -> s.getServerId() == serverId).findFirst().orElseThrow();
    }

    @Test
    void ownershipSurvivesEnsembleAndSessionFaults() throws Exception {
        awaitSettled("start");
        // not necessarily node1 and node3: a node whose session is not yet verified cannot hold a group, and on a
        // loaded machine the next node of the list may connect to the ensemble first (and keeps the group)
        assertThat(owner("g1")).isIn("node1", "node2", "node3");
        assertThat(owner("g2")).isIn("node1", "node2", "node3");
        List<String> timings = new ArrayList<>();

        // 1. kill a follower, then bring it back
        int lead = leader();
        InstanceSpec follower = zk.getInstances().stream().filter(s -> s.getServerId() != lead).findFirst().orElseThrow();
        zk.killServer(follower);
        Thread.sleep(500);
        timings.add("kill follower: " + awaitSettled("killing a follower") + " ms");
        zk.restartServer(follower);

        // 2. kill the leader
        int lead2 = leader();
        assertThat(lead2).isPositive();
        zk.killServer(instance(lead2));
        Thread.sleep(SESSION_MS);
        timings.add("kill leader: " + awaitSettled("killing the leader") + " ms");
        zk.restartServer(instance(lead2));

        // 3. expire the session of g1's owner: it stops, the next node takes over at a higher token
        String o1 = owner("g1");
        long gen1 = nodes.get(o1).status().groups().stream().filter(g -> g.group().equals("g1")).findFirst().orElseThrow().generation();
        coordinators.get(o1).client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
        Thread.sleep(200);
        timings.add("expire " + o1 + ": " + awaitSettled("expiring " + o1 + "'s session") + " ms");
        long gen1b = nodes.get(owner("g1")).status().groups().stream().filter(g -> g.group().equals("g1")).findFirst()
                .orElseThrow().generation();
        assertThat(gen1b).isGreaterThan(gen1);

        Thread.sleep(1000);
        awaitSettled("the end");
        synchronized (store) {
            assertThat(store.violations).as(timings.toString()).isEmpty();
            assertThat(store.accepted()).isPositive();
        }
        System.out.println("zookeeper ownership: " + timings + "; writes accepted=" + store.accepted() + " rejected="
                + store.rejected());
    }

    /**
     * Partition and freeze, through the per-node TCP proxies (Curator's ensemble tracker is off, so the client keeps
     * the proxies' addresses): the owner is cut from every server past its session timeout, or its ZooKeeper client
     * is frozen (its coordinator thread blocked and its connection silent) past it and then let go.
     */
    @Test
    void ownershipSurvivesPartitionAndFreeze() throws Exception {
        awaitSettled("start");
        List<String> timings = new ArrayList<>();
        // 1. cut g2's owner from the ensemble past its session timeout, then heal
        String o2 = owner("g2");
        proxies.get(o2).forEach(p -> p.cut(true));
        timings.add("cut " + o2 + ": " + awaitMoved("g2", o2) + " ms");
        proxies.get(o2).forEach(p -> p.cut(false));

        // 2. freeze g1's owner's ZooKeeper client (its coordinator thread and connection) past the session timeout
        String o3 = owner("g1");
        CountDownLatch thaw = new CountDownLatch(1);
        ZooKeeperCoordinator frozen = coordinators.get(o3);
        frozen.freezeForTest(thaw);
        long genBefore = nodes.get(o3).status().groups().stream().filter(g -> g.group().equals("g1")).findFirst()
                .orElseThrow().generation();
        proxies.get(o3).forEach(p -> p.cut(true));
        // Its engine and heartbeats still run: its peers hear it hold g1 and do not ask for the lease (safety over
        // liveness); the session expires on the server meanwhile. On thaw it learns the session was lost, stops g1,
        // and g1 comes back under a new lease at a higher token.
        Thread.sleep(SESSION_MS * 2);
        proxies.get(o3).forEach(p -> p.cut(false));
        thaw.countDown();
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < (SESSION_MS + BOUND_MS) * 1_000_000L) {
            GroupStatus g1 = nodes.get(o3).status().groups().stream().filter(g -> g.group().equals("g1")).findFirst().orElseThrow();
            String on = owner("g1");
            if (on != null && nodes.get(on).status().groups().stream().anyMatch(g -> g.group().equals("g1")
                    && g.generation() > genBefore)) {
                break;
            }
            Thread.sleep(50);
        }
        timings.add("freeze " + o3 + " then thaw: " + awaitSettled("freezing " + o3 + "'s client") + " ms");
        String after = owner("g1");
        assertThat(nodes.get(after).status().groups().stream().filter(g -> g.group().equals("g1")).findFirst()
                .orElseThrow().generation()).as("g1 runs under a new lease after the thaw").isGreaterThan(genBefore);

        Thread.sleep(1000);
        awaitSettled("the end");
        synchronized (store) {
            assertThat(store.violations).as(timings.toString()).isEmpty();
        }
        System.out.println("zookeeper partition and freeze: " + timings);
    }
}
