package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.HeartbeatPath;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Verdict;

/** The disk heartbeat and lease on a plain shared file (the demo's medium); the same logic runs on a LUN. */
class DiskLeaseTest {
    private static final List<String> NODES = List.of("n1", "n2");
    @TempDir
    Path dir;

    static ClusterConfig cluster(String local, Path file, Duration interval) {
        ClusterConfig.Path disk = new ClusterConfig.Path("disk", "disk", 9, interval, 5, Map.of("file", file.toString()));
        return new ClusterConfig("lease-test", local, new byte[32],
                List.of(new ClusterConfig.Node("n1", Map.of()), new ClusterConfig.Node("n2", Map.of())), List.of(disk));
    }

    /** Waits (bounded) for a condition; a hang guard, not a timing assertion. */
    static void await(BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Asks until the answer is not UNKNOWN (as the engine does: UNKNOWN means ask again), at most 3 times. */
    static Verdict decided(java.util.function.Supplier<Verdict> ask) {
        Verdict v = ask.get();
        for (int i = 0; i < 2 && v.answer() == Verdict.Answer.UNKNOWN; i++) {
            v = ask.get();
        }
        return v;
    }

    @Test
    void heartbeatShowsPeerAliveThenDeadAfterItStopsWriting() throws Exception {
        Path file = dir.resolve("shared.lease");
        Duration interval = Duration.ofMillis(40);
        ClusterConfig c1 = cluster("n1", file, interval);
        ClusterConfig c2 = cluster("n2", file, interval);
        TestContext ctx1 = new TestContext("lease-test", "n1");
        TestContext ctx2 = new TestContext("lease-test", "n2");
        HeartbeatPath p1 = new DiskPathFactory().create(c1.paths().get(0), c1, ctx1);
        HeartbeatPath p2 = new DiskPathFactory().create(c2.paths().get(0), c2, ctx2);
        Map<String, Long> heard = new ConcurrentHashMap<>();
        p1.start((peer, inc, seq, t) -> heard.put("n1<-" + peer, seq));
        p2.start((peer, inc, seq, t) -> heard.put("n2<-" + peer, seq));
        ScheduledExecutorService beats = Executors.newScheduledThreadPool(2);
        AtomicLong s1 = new AtomicLong();
        AtomicLong s2 = new AtomicLong();
        var b1 = beats.scheduleAtFixedRate(() -> p1.beat(7, s1.incrementAndGet()), 0, 40, TimeUnit.MILLISECONDS);
        beats.scheduleAtFixedRate(() -> p2.beat(9, s2.incrementAndGet()), 0, 40, TimeUnit.MILLISECONDS);
        try {
            await(() -> heard.getOrDefault("n2<-n1", 0L) >= 5 && heard.getOrDefault("n1<-n2", 0L) >= 5, "both hear each other's disk heartbeats");
            Arbiter a2 = new DiskLeaseArbiterFactory().create(PluginConfig.of("lease", "disk-lease",
                    Map.of("file", file.toString(), "interval", "40ms", "leaseTimeout", "200ms", "settle", "120ms")), c2, ctx2);
            Verdict alive = decided(() -> a2.ask("n1", 1, Duration.ofSeconds(5)));
            assertThat(alive.answer()).as(alive.toString()).isEqualTo(Verdict.Answer.PEER_ALIVE);

            // n1 stops writing (its process froze or died)
            b1.cancel(false);
            p1.close();
            Verdict dead = decided(() -> a2.ask("n1", 1, Duration.ofSeconds(10)));
            assertThat(dead.answer()).as(dead.toString()).isEqualTo(Verdict.Answer.PEER_DEAD);
            assertThat(dead.reason()).contains("did not renew");
            assertThat(ctx2.fenced).isEmpty();
        } finally {
            beats.shutdownNow();
            p1.close();
            p2.close();
        }
    }

    private DiskLease lease(Path file, String me, Duration interval, Duration lease, Duration settle) {
        return new DiskLease("file:" + file, "lease-test", me, NODES, new DiskLease.Settings(interval, lease, settle),
                () -> new FileBlockStore(file, 1 + DiskLease.MAX_NODES));
    }

    @Test
    void twoLiveNodesRacingToClaimEachOtherNeverBothWin() throws Exception {
        Path file = dir.resolve("race.lease");
        Duration interval = Duration.ofMillis(40);
        DiskLease a = lease(file, "n1", interval, Duration.ofMillis(200), Duration.ofMillis(240));
        DiskLease b = lease(file, "n2", interval, Duration.ofMillis(200), Duration.ofMillis(240));
        a.start();
        b.start();
        // both renewers stall (both nodes see the other's lease expire), then both ask at once
        a.pauseRenewals(true);
        b.pauseRenewals(true);
        int rounds = 15;
        int decided = 0;
        List<String> log = new CopyOnWriteArrayList<>();
        try {
            for (int i = 0; i < rounds; i++) {
                CompletableFuture<Verdict> va = CompletableFuture.supplyAsync(() -> a.decide("n2", Duration.ofSeconds(5)));
                CompletableFuture<Verdict> vb = CompletableFuture.supplyAsync(() -> b.decide("n1", Duration.ofSeconds(5)));
                Verdict ra = va.get(30, TimeUnit.SECONDS);
                Verdict rb = vb.get(30, TimeUnit.SECONDS);
                log.add(ra.answer() + "/" + rb.answer());
                boolean aw = ra.answer() == Verdict.Answer.PEER_DEAD;
                boolean bw = rb.answer() == Verdict.Answer.PEER_DEAD;
                assertThat(aw && bw).as("round %d: both won: %s | %s", i, ra, rb).isFalse();
                if (aw || bw) {
                    Verdict loser = aw ? rb : ra;
                    assertThat(loser.answer()).as("round %d loser: %s", i, loser).isIn(Verdict.Answer.WE_LOST, Verdict.Answer.UNKNOWN);
                    decided += loser.answer() == Verdict.Answer.WE_LOST ? 1 : 0;
                }
                DiskLease winner = aw ? a : b;
                DiskLease other = aw ? b : a;
                winner.rejoin();
                other.rejoin();
            }
        } finally {
            a.close();
            b.close();
        }
        System.out.println("disk lease race: " + log);
        assertThat(decided).as("rounds with one winner and one loser: %s", log).isGreaterThanOrEqualTo(rounds / 3);
    }

    @Test
    void aNodeWakingFromALongPauseKnowsItsLeaseExpiredAndThatThePeerTookOver() throws Exception {
        Path file = dir.resolve("pause.lease");
        Duration interval = Duration.ofMillis(40);
        DiskLease a = lease(file, "n1", interval, Duration.ofMillis(200), Duration.ofMillis(120));
        DiskLease b = lease(file, "n2", interval, Duration.ofMillis(200), Duration.ofMillis(120));
        List<String> poisoned = new CopyOnWriteArrayList<>();
        a.onPoisoned(poisoned::add);
        a.start();
        b.start();
        try {
            assertThat(decided(() -> b.decide("n1", Duration.ofSeconds(5))).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
            assertThat(a.ownLeaseExpired()).isFalse();

            a.pauseRenewals(true); // n1 freezes
            Verdict v = decided(() -> b.decide("n1", Duration.ofSeconds(10)));
            assertThat(v.answer()).as(v.toString()).isEqualTo(Verdict.Answer.PEER_DEAD);
            assertThat(a.ownLeaseExpired()).as("n1's own view on waking").isTrue();
            assertThat(a.ownLeaseReason()).contains("lease");

            a.pauseRenewals(false); // n1 wakes up and renews again: too late, n2's claim stands
            await(() -> poisoned.size() == 1, "n1 sees n2's standing claim and tells its engine");
            assertThat(poisoned.get(0)).contains("n2 declared this node dead");
            // the handshake: n1 writes FENCED (it stood down), n2 withdraws its claim, n1's lease is valid again
            await(() -> !a.poisoned() && !a.ownLeaseExpired(), "n1 acknowledged, n2 withdrew, n1 whole again");
            assertThat(poisoned).hasSize(1);
            assertThat(decided(() -> b.decide("n1", Duration.ofSeconds(5))).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
            assertThat(decided(() -> a.decide("n2", Duration.ofSeconds(5))).answer()).isEqualTo(Verdict.Answer.PEER_ALIVE);
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void foreignOrCorruptStorageIsRefusedWithAClearReason() throws Exception {
        Path junk = dir.resolve("junk");
        Files.write(junk, "this is somebody's data, not a lease".getBytes());
        DiskLease a = lease(junk, "n1", Duration.ofMillis(40), Duration.ofMillis(200), Duration.ofMillis(120));
        try {
            Verdict v = a.decide("n2", Duration.ofSeconds(2));
            assertThat(v.answer()).isEqualTo(Verdict.Answer.UNKNOWN);
            assertThat(v.reason()).contains("not a Tandem lease area");
            assertThat(Files.readString(junk)).startsWith("this is somebody's data");
            assertThat(a.decide("nobody", Duration.ofSeconds(1)).reason()).contains("not a node of this cluster");
        } finally {
            a.close();
        }
        // a filesystem: zeros in the first 512 bytes, a superblock at byte 1024 (ext4); the lease must not touch it
        Path fs = dir.resolve("fs.img");
        byte[] image = new byte[64 * 1024];
        image[1024 + 0x38] = 0x53;
        image[1024 + 0x39] = (byte) 0xef;
        Files.write(fs, image);
        DiskLease onFs = lease(fs, "n1", Duration.ofMillis(40), Duration.ofMillis(200), Duration.ofMillis(120));
        try {
            assertThat(onFs.decide("n2", Duration.ofSeconds(2)).reason()).contains("holds other data in block 2");
            assertThat(Files.readAllBytes(fs)).isEqualTo(image);
        } finally {
            onFs.close();
        }
        Path other = dir.resolve("other.lease");
        DiskLease x = new DiskLease("file:" + other, "cluster-x", "n1", NODES, DiskLease.Settings.of(Duration.ofMillis(40)),
                () -> new FileBlockStore(other, 33));
        x.beat(1, 1);
        x.close();
        DiskLease y = lease(other, "n1", Duration.ofMillis(40), Duration.ofMillis(400), Duration.ofMillis(120));
        try {
            assertThat(y.decide("n2", Duration.ofSeconds(2)).reason()).contains("holds the lease of cluster 'cluster-x'");
        } finally {
            y.close();
        }
    }

    @Test
    void slotsRoundTripAndCorruptionIsDetected() throws Exception {
        DiskLease.Slot s = new DiskLease.Slot("node-1", DiskLease.RUNNING, 42, 7, 99, 1_700_000_000_000L, "node-2", -5);
        byte[] b = s.encode(4096);
        assertThat(b).hasSize(4096);
        assertThat(DiskLease.Slot.decode(b)).isEqualTo(s);
        assertThat(DiskLease.Slot.decode(new byte[512])).isSameAs(DiskLease.Slot.EMPTY);
        b[30] ^= 1;
        assertThatThrownBy(() -> DiskLease.Slot.decode(b)).isInstanceOf(IOException.class).hasMessageContaining("CRC");
        assertThat(s.claims("node-2")).isTrue();
        assertThat(s.claims("node-1")).isFalse();
        // tie-break: higher ballot (unsigned) wins; equal ballots: smaller id
        assertThat(DiskLease.beats("a", 5, "b", 3)).isTrue();
        assertThat(DiskLease.beats("b", 3, "a", 5)).isFalse();
        assertThat(DiskLease.beats("a", -1, "b", 5)).isTrue();
        assertThat(DiskLease.beats("a", 4, "b", 4)).isTrue();
        assertThat(DiskLease.beats("b", 4, "a", 4)).isFalse();
    }

    @Test
    void badConfigurationNamesTheFieldAndTheFix() {
        ClusterConfig c = cluster("n1", dir.resolve("x"), Duration.ofMillis(100));
        TestContext ctx = new TestContext("lease-test", "n1");
        assertThatThrownBy(() -> new DiskLeaseArbiterFactory().create(PluginConfig.of("l", "disk-lease", Map.of("interval", "1s",
                "leaseTimeout", "2s", "bogus", 1)), c, ctx))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("needs 'file' or 'device'")
                .hasMessageContaining("must be at least 3 intervals")
                .hasMessageContaining("unknown parameter 'bogus'");
        ClusterConfig.Path noStorage = new ClusterConfig.Path("disk", "disk", 9, Duration.ofMillis(100), 5, Map.of());
        assertThatThrownBy(() -> new DiskPathFactory().create(noStorage, c, ctx))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("has no storage");
        assertThatThrownBy(() -> new ScsiArbiterFactory().create(PluginConfig.of("s", "scsi", Map.of("device", "nfs://x")), c, ctx))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("neither an iSCSI URL nor a device path");
        assertThatThrownBy(() -> new ScsiFencerFactory().create(PluginConfig.of("s", "scsi-preempt", Map.of()), c, ctx))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("'device' is missing");
    }
    @Test
    void aLeaseFileInAFolderThatDoesNotExistIsOneErrorAtLoad() {
        Path missing = dir.resolve("not-mounted");
        Path file = missing.resolve("tandem.lease");
        ClusterConfig c = cluster("n1", file, Duration.ofMillis(100));
        TestContext ctx = new TestContext("lease-test", "n1");
        assertThatThrownBy(() -> new DiskLeaseArbiterFactory().create(PluginConfig.of("l", "disk-lease", Map.of("file", file.toString())), c, ctx))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("its folder " + missing + " does not exist")
                .hasMessageContaining("create " + missing + " on the shared storage");
        // the disk heartbeat path: the file as an option, or as the node's address on the path
        assertThatThrownBy(() -> new DiskPathFactory().create(c.paths().get(0), c, ctx))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("disk path disk").hasMessageContaining("its folder " + missing + " does not exist");
        ClusterConfig byAddress = new ClusterConfig("lease-test", "n1", new byte[32], List.of(
                new ClusterConfig.Node("n1", Map.of("disk", file.toString())), new ClusterConfig.Node("n2", Map.of("disk", file.toString()))),
                List.of(new ClusterConfig.Path("disk", "disk", 9, Duration.ofMillis(100), 5, Map.of())));
        assertThatThrownBy(() -> new DiskPathFactory().create(byAddress.paths().get(0), byAddress, ctx))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("node n1's address").hasMessageContaining("its folder " + missing + " does not exist");
    }

    @Test
    void aLeaseFileNotThereYetInAFolderThatExistsIsFine() throws Exception {
        Path file = dir.resolve("new.lease");
        ClusterConfig c = cluster("n1", file, Duration.ofMillis(100));
        Arbiter a = new DiskLeaseArbiterFactory().create(PluginConfig.of("l", "disk-lease", Map.of("file", file.toString())), c,
                new TestContext("lease-test", "n1"));
        a.close();
        assertThat(Files.exists(file)).as("nothing touched at load").isFalse();
    }
}
