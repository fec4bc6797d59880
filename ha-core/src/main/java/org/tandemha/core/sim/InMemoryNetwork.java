package org.tandemha.core.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.tandemha.api.Membership;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;

/**
 * Memberships for real nodes in one JVM, connected by an in-memory "network" that can be partitioned: give each
 * node's builder {@code membership(network.member(id))} to run a cluster in a unit test without sockets. Unlike
 * {@link SimCluster} this runs in real time with the real runtimes. Delivery is in order, on one daemon thread. A
 * node closing, or a partition, makes its peers see it unreachable at once (no detection delay). Close it after the
 * nodes.
 */
public final class InMemoryNetwork implements AutoCloseable {
    private final ExecutorService wire = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "in-memory-network");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Member> members = new ConcurrentHashMap<>();
    private final Set<String> cut = ConcurrentHashMap.newKeySet();

    /** The membership of one node. */
    public Membership member(String node) {
        return members.computeIfAbsent(node, Member::new);
    }

    /** Every message between a and b is lost, both ways, from now on. */
    public void partition(String a, String b) {
        wire.execute(() -> {
            cut.add(a + ">" + b);
            cut.add(b + ">" + a);
            reevaluate();
        });
    }

    /** a and b hear each other again. */
    public void heal(String a, String b) {
        wire.execute(() -> {
            cut.remove(a + ">" + b);
            cut.remove(b + ">" + a);
            reevaluate();
        });
    }

    private boolean up(Member a, Member b) {
        return a.running && b.running && !cut.contains(a.node + ">" + b.node);
    }

    private void reevaluate() {
        for (Member to : members.values()) {
            if (!to.running) {
                continue;
            }
            for (Member from : members.values()) {
                if (from == to) {
                    continue;
                }
                boolean up = up(from, to);
                boolean was = to.hears.contains(from.node);
                if (up && !was) {
                    to.hears.add(from.node);
                    to.listener.peerReachable(from.node, from.incarnation);
                    if (from.state != null) {
                        to.listener.peerState(from.node, from.incarnation, from.state);
                    }
                } else if (!up && was) {
                    to.hears.remove(from.node);
                    to.listener.peerUnreachable(from.node, "in-memory network: no heartbeats");
                }
            }
        }
    }

    /** Stops the delivery thread. */
    @Override
    public void close() {
        wire.shutdownNow();
    }

    private final class Member implements Membership {
        final String node;
        volatile boolean running;
        volatile Listener listener;
        volatile byte[] state;
        long incarnation;
        final Set<String> hears = new HashSet<>();

        Member(String node) {
            this.node = node;
        }

        @Override
        public void start(Listener l) {
            wire.execute(() -> {
                listener = l;
                incarnation = System.nanoTime();
                running = true;
                hears.clear();
                reevaluate();
            });
        }

        @Override
        public void announce(byte[] s) {
            wire.execute(() -> {
                state = s;
                for (Member to : members.values()) {
                    if (to != this && up(this, to) && to.hears.contains(node)) {
                        to.listener.peerState(node, incarnation, s);
                    }
                }
            });
        }

        @Override
        public void refreshStates() {
            wire.execute(() -> {
                for (Member from : members.values()) {
                    if (from != this && from.state != null && up(from, this) && hears.contains(from.node)) {
                        listener.peerState(from.node, from.incarnation, from.state);
                    }
                }
            });
        }

        @Override
        public boolean send(String peer, byte[] message) {
            Member to = members.get(peer);
            if (to == null) {
                return false;
            }
            wire.execute(() -> {
                if (up(this, to)) {
                    to.listener.message(node, message);
                }
            });
            return true;
        }

        @Override
        public List<PathStatus> paths() {
            List<PathStatus> out = new ArrayList<>();
            for (Member m : members.values()) {
                if (m != this) {
                    out.add(new PathStatus("memory", m.node, "memory", 1, up(m, this) ? PathState.UP : PathState.DOWN, null, 0, null));
                }
            }
            return out;
        }

        @Override
        public void close() {
            try {
                wire.execute(() -> {
                    running = false;
                    reevaluate();
                });
            } catch (java.util.concurrent.RejectedExecutionException ignored) {
                // network closed
            }
        }
    }
}
