package org.tandemha.zookeeper;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.test.InstanceSpec;

/**
 * Random faults on a {@link ZkHarness}, one after the other; after each, every group must be online on exactly one
 * node within the session timeout plus {@code boundMs} of the fault's end, and the store must never have accepted
 * writes from two nodes with one token. A whole-ensemble restart also checks that the groups stop while no session
 * is usable (nothing online and no write accepted from one session timeout after the stop until the restart).
 */
final class ZkFaults {
    enum Kind { KILL_SERVER, KILL_LEADER, PARTITION_NODE, PAUSE_CLIENT, EXPIRE_SESSION, RESTART_ENSEMBLE }

    private final ZkHarness h;
    private final Random rnd;
    private final long boundMs;
    final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    /** Recovery time of each fault, from its end to every group online on one node. */
    final List<Long> recoveries = new ArrayList<>();
    final List<String> log = new ArrayList<>();

    ZkFaults(ZkHarness h, long seed, long boundMs) {
        this.h = h;
        this.rnd = new Random(seed);
        this.boundMs = boundMs;
    }

    private long between(long lo, long hi) {
        return lo + (long) (rnd.nextDouble() * (hi - lo));
    }

    private String anyNode() {
        List<String> ids = new ArrayList<>(h.nodes.keySet());
        return ids.get(rnd.nextInt(ids.size()));
    }

    /** Runs one fault of {@code kind}; returns its line for the log. */
    String run(Kind kind) throws Exception {
        long session = h.sessionMs;
        long within = session + boundMs;
        String what;
        long back;
        switch (kind) {
            case KILL_SERVER, KILL_LEADER -> {
                int id = kind == Kind.KILL_LEADER ? h.leader() : 1 + rnd.nextInt(h.zk.getInstances().size());
                if (id < 0) {
                    id = 1; // no leader answered (an election is on): any server
                }
                InstanceSpec s = h.instance(id);
                long down = between(200, 2 * session);
                h.zk.killServer(s);
                Thread.sleep(down);
                // the two others keep the quorum: the groups must be back while it is still down
                back = h.awaitSettled("killing ZooKeeper server " + id, within);
                h.zk.restartServer(s);
                what = (kind == Kind.KILL_LEADER ? "kill leader " : "kill server ") + id + " for " + down + " ms";
            }
            case PARTITION_NODE -> {
                String n = anyNode();
                long cut = between(300, 2 * session + 500);
                h.partition(n, true);
                Thread.sleep(cut);
                h.partition(n, false);
                back = h.awaitSettled("cutting " + n + " from the ensemble for " + cut + " ms", within);
                what = "partition " + n + " for " + cut + " ms";
            }
            case PAUSE_CLIENT -> {
                String n = anyNode();
                long pause = session + between(200, 1000);
                CountDownLatch thaw = h.freeze(n);
                Thread.sleep(pause);
                h.thaw(n, thaw);
                back = h.awaitSettled("pausing " + n + "'s ZooKeeper client for " + pause + " ms", within);
                what = "pause " + n + "'s client for " + pause + " ms";
            }
            case EXPIRE_SESSION -> {
                String n = anyNode();
                h.expire(n);
                Thread.sleep(100);
                back = h.awaitSettled("expiring " + n + "'s session", within);
                what = "expire " + n + "'s session";
            }
            case RESTART_ENSEMBLE -> {
                long down = session + between(200, 1500);
                ZkHarness.EnsembleRestart r = h.restartEnsemble(down, within);
                if (r.allStoppedMs() < 0 || r.allStoppedMs() > session || r.onlineAtRestart() > 0 || r.acceptedWhileDown() > 0) {
                    throw new AssertionError("restarting the whole ensemble (down " + down + " ms): " + r);
                }
                back = r.backMs();
                what = "restart ensemble, down " + down + " ms: " + r;
            }
            default -> throw new IllegalStateException(kind.toString());
        }
        synchronized (h.store) {
            if (!h.store.violations.isEmpty()) {
                throw new AssertionError("after " + what + ": " + h.store.violations);
            }
        }
        counts.merge(kind, 1, Integer::sum);
        recoveries.add(back);
        String line = what + ", back in " + back + " ms";
        log.add(line);
        return line;
    }

    /** {@code n} faults of random kinds (every kind once first, when {@code n} allows). */
    void run(int n, java.util.function.Consumer<String> out) throws Exception {
        Kind[] kinds = Kind.values();
        for (int i = 0; i < n; i++) {
            Kind k = i < kinds.length ? kinds[i] : kinds[rnd.nextInt(kinds.length)];
            String line = run(k);
            out.accept("fault " + (i + 1) + "/" + n + ": " + line);
        }
    }

    long maxRecovery() {
        return recoveries.stream().mapToLong(Long::longValue).max().orElse(0);
    }
}
