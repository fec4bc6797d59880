package org.tandemha.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.Coordinator;
import org.tandemha.api.CoordinatorFactory;

/**
 * Group leases in ZooKeeper, through Apache Curator. The lease of a group is the ephemeral node
 * {@code <path>/<cluster>/groups/<group>}, created by the holder's session (its data: the node id); its creation zxid
 * ({@code czxid}) is the token, the group's generation. Everything runs on one thread of its own, so the node's
 * engine thread never waits for ZooKeeper.
 *
 * <ul>
 * <li>Acquire: create the lease node; if another session's is there, watch it and try again when it is deleted.</li>
 * <li>Release: delete the lease node if this session owns it (checked by its ephemeral owner, with its version).</li>
 * <li>SUSPENDED (the connection was lost): report {@link Listener#suspended} at once; the node stops its groups
 * before the session can expire on the server. LOST (the session expired): every lease is lost.</li>
 * <li>CONNECTED or RECONNECTED: each lease node this coordinator believes it holds is read again and kept only if its
 * ephemeral owner is the current session ({@link Listener#verified}); leases released while disconnected are
 * deleted now; then the open requests are tried again.</li>
 * <li>A held lease node deleted by someone else (an operator): {@link Listener#lost}.</li>
 * </ul>
 * With {@code digest: user:password}, the cluster's nodes are created with a digest ACL for that user only, and the
 * session authenticates with it: clusters sharing an ensemble cannot touch each other's leases.
 */
public final class ZooKeeperCoordinator implements Coordinator {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperCoordinator.class);

    private final CoordinatorFactory.Settings settings;
    private final String self;
    private final String groupsPath;
    private final ExecutorService exec;
    private final Set<String> wanted = new LinkedHashSet<>();
    private final Map<String, Long> held = new LinkedHashMap<>();
    /** Released while the connection was down: deleted at the next connect if still this session's. */
    private final Set<String> toDelete = new LinkedHashSet<>();
    private volatile CuratorFramework client;
    private volatile Listener listener;
    private boolean usable;
    private volatile boolean closed;
    private final Object epochLock = new Object();
    /** Counts the connection losses (guarded by {@link #epochLock}). */
    private long epoch;

    ZooKeeperCoordinator(CoordinatorFactory.Settings settings, String cluster, String self) {
        this.settings = settings;
        this.self = self;
        this.groupsPath = settings.path() + "/" + cluster + "/groups";
        this.exec = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tandem-zookeeper-" + self);
            t.setDaemon(true);
            return t;
        });
    }

    /** The Curator client (tests: to inject faults). */
    CuratorFramework client() {
        return client;
    }

    /** Tests: blocks this coordinator's thread until {@code thaw} (a frozen client: nothing it learns gets through). */
    void freezeForTest(java.util.concurrent.CountDownLatch thaw) {
        exec.execute(() -> {
            try {
                thaw.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    String leasePath(String group) {
        return groupsPath + "/" + group;
    }

    @Override
    public void start(Listener l) {
        this.listener = l;
        int session = (int) settings.sessionTimeout().toMillis();
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(settings.connect())
                .sessionTimeoutMs(session).connectionTimeoutMs(Math.max(1000, session / 2))
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000))
                // keep the servers the configuration names: Curator's ensemble tracker would replace them with the
                // addresses in the ensemble's own config znode (bypassing a node's own route to the ensemble)
                .ensembleTracker(false);
        if (settings.digest() != null) {
            // a mutable list: ZooKeeper asks it contains(null), which List.of refuses
            List<ACL> acl = new java.util.ArrayList<>(List.of(new ACL(ZooDefs.Perms.ALL, new Id("digest", digestId(settings.digest())))));
            b.authorization("digest", settings.digest().getBytes(StandardCharsets.UTF_8)).aclProvider(new ACLProvider() {
                @Override
                public List<ACL> getDefaultAcl() {
                    return acl;
                }

                @Override
                public List<ACL> getAclForPath(String path) {
                    return acl;
                }
            });
        }
        client = b.build();
        client.getConnectionStateListenable().addListener((c, state) -> {
            if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST || state == ConnectionState.READ_ONLY) {
                // at once, on Curator's thread: the coordinator's own thread may be blocked in a call to a server that
                // just went away (Curator retries it), and the node must stop its groups before the session expires
                suspendNow(state == ConnectionState.LOST ? "ZooKeeper session lost"
                        : state == ConnectionState.READ_ONLY ? "ZooKeeper server is read-only (cut from its quorum)"
                        : "connection to ZooKeeper " + settings.connect() + " lost");
            }
            run(() -> stateChanged(state));
        });
        client.start();
    }

    private static String digestId(String userPassword) {
        try {
            return DigestAuthenticationProvider.generateDigest(userPassword);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every Java platform", e);
        }
    }

    @Override
    public void acquire(String group) {
        run(() -> {
            wanted.add(group);
            toDelete.remove(group);
            tryAcquire(group);
        });
    }

    @Override
    public void release(String group) {
        run(() -> {
            wanted.remove(group);
            held.remove(group);
            toDelete.add(group);
            if (usable) {
                deleteIfOurs(group);
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        CuratorFramework c = client;
        if (c != null) {
            c.close(); // the session ends: its ephemeral lease nodes go at once
        }
    }

    /**
     * Reports the suspension and starts a new connection epoch: a {@link Listener#verified} or {@link Listener#granted}
     * worked out in the epoch before is not reported (it would reach the node after the suspension).
     */
    private void suspendNow(String reason) {
        synchronized (epochLock) {
            epoch++;
            listener.suspended(reason);
        }
    }

    /** Reports {@code report} unless the connection was lost since {@code seenEpoch}; false if it was. */
    private boolean reportIn(long seenEpoch, Runnable report) {
        synchronized (epochLock) {
            if (epoch != seenEpoch) {
                return false;
            }
            report.run();
            return true;
        }
    }

    private void run(Runnable r) {
        if (closed) {
            return;
        }
        try {
            exec.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("node {}: ZooKeeper coordination task failed: {}", self, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    // ------------------------------------------------------------------ on the coordinator's thread

    private void stateChanged(ConnectionState state) {
        if (closed) {
            return;
        }
        switch (state) {
            case CONNECTED, RECONNECTED -> verify();
            case SUSPENDED -> usable = false; // reported at once by the connection state listener
            case LOST -> {
                usable = false;
                for (String g : held.keySet()) {
                    listener.lost(g, "the ZooKeeper session expired");
                }
                held.clear();
                toDelete.clear(); // its ephemeral nodes went with it
            }
            case READ_ONLY -> usable = false;
        }
    }

    private long sessionId() throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
    }

    /** After a (re)connect: keep only the leases whose node's ephemeral owner is this session. */
    private void verify() {
        long seenEpoch;
        synchronized (epochLock) {
            seenEpoch = epoch;
        }
        try {
            long session = sessionId();
            Map<String, Long> ok = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : held.entrySet()) {
                Stat st = client.checkExists().forPath(leasePath(e.getKey()));
                if (st != null && st.getEphemeralOwner() == session && st.getCzxid() == e.getValue()) {
                    ok.put(e.getKey(), st.getCzxid());
                    watchHeld(e.getKey());
                } else {
                    LOG.warn("node {}: lease of group {} is no longer this session's after the reconnect", self, e.getKey());
                }
            }
            for (String g : List.copyOf(toDelete)) {
                deleteIfOurs(g);
            }
            held.clear();
            held.putAll(ok);
            if (!reportIn(seenEpoch, () -> listener.verified(Map.copyOf(ok)))) {
                LOG.info("node {}: connection to ZooKeeper lost again while verifying its leases", self);
                return; // the next (re)connect verifies again
            }
            usable = true;
            for (String g : List.copyOf(wanted)) {
                tryAcquire(g);
            }
        } catch (Exception e) {
            LOG.warn("node {}: verifying its ZooKeeper leases failed ({}); trying again at the next connect", self, e.toString());
            usable = false;
        }
    }

    private void tryAcquire(String group) {
        if (!usable || !wanted.contains(group) || held.containsKey(group)) {
            return;
        }
        String path = leasePath(group);
        try {
            long session = sessionId();
            try {
                client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                        .forPath(path, self.getBytes(StandardCharsets.UTF_8));
            } catch (KeeperException.NodeExistsException e) {
                // someone holds it (or our own create went through before a connection loss): looked at below
            }
            Stat st = client.checkExists().usingWatcher(deletedThenRetry(group)).forPath(path);
            if (st == null) {
                run(() -> tryAcquire(group)); // deleted in between
                return;
            }
            if (st.getEphemeralOwner() == session) {
                held.put(group, st.getCzxid());
                wanted.remove(group);
                listener.granted(group, st.getCzxid());
            }
        } catch (Exception e) {
            LOG.info("node {}: asking ZooKeeper for the lease of group {} failed ({}); trying again at the next connect",
                    self, group, e.toString(), e);
        }
    }

    private CuratorWatcher deletedThenRetry(String group) {
        return (WatchedEvent ev) -> {
            if (ev.getType() == Watcher.Event.EventType.NodeDeleted) {
                run(() -> {
                    if (held.containsKey(group) && !stillOurs(group)) {
                        // (an event of an earlier lease node of this group, deleted by this node itself, is late)
                        held.remove(group);
                        listener.lost(group, "its lease node was deleted");
                    }
                    tryAcquire(group);
                });
            } else if (ev.getType() != Watcher.Event.EventType.None) {
                run(() -> {
                    if (held.containsKey(group)) {
                        watchHeld(group);
                    } else {
                        tryAcquire(group);
                    }
                });
            }
        };
    }

    /** Whether the group's lease node is still the one this session holds (read again from the server). */
    private boolean stillOurs(String group) {
        try {
            Stat st = client.checkExists().forPath(leasePath(group));
            return st != null && st.getEphemeralOwner() == sessionId() && st.getCzxid() == held.get(group);
        } catch (Exception e) {
            return true; // cannot tell now: the connection state (SUSPENDED, LOST) decides
        }
    }

    private void watchHeld(String group) {
        try {
            client.checkExists().usingWatcher(deletedThenRetry(group)).forPath(leasePath(group));
        } catch (Exception e) {
            LOG.info("node {}: cannot watch the lease of group {}: {}", self, group, e.toString());
        }
    }

    private void deleteIfOurs(String group) {
        try {
            Stat st = client.checkExists().forPath(leasePath(group));
            if (st != null && st.getEphemeralOwner() == sessionId()) {
                client.delete().withVersion(st.getVersion()).forPath(leasePath(group));
            }
            toDelete.remove(group);
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            toDelete.remove(group);
        } catch (Exception e) {
            LOG.info("node {}: releasing the lease of group {} failed ({}); deleting it at the next connect", self,
                    group, e.toString());
        }
    }
}
