package org.tandemha.scsi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.tandemha.core.exec.Posix;

/**
 * Benchmark (run by {@code examples/bench/run.sh scsi}): two nodes race to preempt each other on a private tgtd,
 * 100 rounds. Prints the winner's takeover latency (READ KEYS, PREEMPT [AND ABORT], READ RESERVATION, RESERVE:
 * what the {@code scsi} arbiter does) and the latency of the bare PREEMPT command. Not a test.
 */
public final class ScsiBench {
    private ScsiBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        if (!Posix.isRoot()) {
            System.err.println("scsi bench: needs root (it starts a private tgtd)");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("tandem-scsi-bench");
        Duration t = Duration.ofSeconds(5);
        List<Double> race = new ArrayList<>();
        List<Double> bare = new ArrayList<>();
        int wins1 = 0;
        boolean abortUsed = false;
        try (TgtdTarget tgt = TgtdTarget.start(dir, 16L << 20);
             SharedLock n1 = SharedLock.create(tgt.url(), "bench", "node1", t, tgt.initiator("bench-1"));
             SharedLock n2 = SharedLock.create(tgt.url(), "bench", "node2", t, tgt.initiator("bench-2"))) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int i = 0; i < rounds + 5; i++) {
                    n1.rejoin();
                    n2.rejoin();
                    n1.register();
                    n2.register();
                    CountDownLatch go = new CountDownLatch(1);
                    Future<long[]> f1 = pool.submit(() -> timed(go, n1, "node2"));
                    Future<long[]> f2 = pool.submit(() -> timed(go, n2, "node1"));
                    go.countDown();
                    long[] r1 = f1.get(30, TimeUnit.SECONDS);
                    long[] r2 = f2.get(30, TimeUnit.SECONDS);
                    boolean w1 = r1[0] == 1;
                    boolean w2 = r2[0] == 1;
                    if (w1 == w2) {
                        throw new IllegalStateException("round " + i + ": " + (w1 ? "both" : "neither") + " won");
                    }
                    if (i >= 5) { // warm-up rounds excluded
                        race.add((w1 ? r1[1] : r2[1]) / 1e6);
                        wins1 += w1 ? 1 : 0;
                    }
                }
                // the bare command: a registered node preempts a registered peer's key
                ScsiDevice d1 = n1.scsi();
                ScsiDevice d2 = n2.scsi();
                for (int i = 0; i < rounds; i++) {
                    d2.registerAndIgnoreExistingKey(n2.key());
                    d1.registerAndIgnoreExistingKey(n1.key());
                    long s = System.nanoTime();
                    abortUsed = d1.preemptAndAbortOrPreempt(n1.key(), n2.key(), ReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
                    bare.add((System.nanoTime() - s) / 1e6);
                }
            } finally {
                pool.shutdownNow();
            }
        }
        System.out.println(String.format(Locale.ROOT, "scsi preempt ms: p50=%.2f p99=%.2f (%d rounds of two nodes racing over libiscsi to tgtd; "
                + "winner's arbiter call: READ KEYS + %s + READ RESERVATION + RESERVE; node1 won %d, node2 %d)",
                pct(race, 50), pct(race, 99), race.size(), abortUsed ? "PREEMPT AND ABORT" : "PREEMPT (tgtd lacks PREEMPT AND ABORT)",
                wins1, race.size() - wins1));
        System.out.println(String.format(Locale.ROOT, "scsi preempt command ms: p50=%.2f p99=%.2f max=%.2f (%d bare PR OUT commands)",
                pct(bare, 50), pct(bare, 99), Collections.max(bare), bare.size()));
        System.exit(0);
    }

    private static long[] timed(CountDownLatch go, SharedLock lock, String peer) throws Exception {
        go.await();
        long s = System.nanoTime();
        SharedLock.Preempt p = lock.preemptPeer(peer);
        long took = System.nanoTime() - s;
        return new long[] {p == SharedLock.Preempt.LOST ? 0 : 1, took};
    }

    private static double pct(List<Double> v, int p) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
