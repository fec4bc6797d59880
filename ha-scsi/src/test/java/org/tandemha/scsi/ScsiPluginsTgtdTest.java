package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.Arbiter;
import org.tandemha.api.ArbiterFactory;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Fencer;
import org.tandemha.api.FencerFactory;
import org.tandemha.api.PathFactory;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Verdict;

/** The plugins as the engine finds and uses them (ServiceLoader), against tgtd. */
class ScsiPluginsTgtdTest {
    @RegisterExtension
    static final TgtdLun tgt = new TgtdLun(8L << 20);

    private static ClusterConfig cluster(String name, String local) {
        return new ClusterConfig(name, local, new byte[32],
                List.of(new ClusterConfig.Node("n1", Map.of()), new ClusterConfig.Node("n2", Map.of())), List.of());
    }

    private static <T> T find(Class<T> spi, java.util.function.Predicate<T> p) {
        return ServiceLoader.load(spi).stream().map(ServiceLoader.Provider::get).filter(p).findFirst().orElseThrow();
    }

    @Test
    void everyTypeIsRegistered() {
        assertThat(find(ArbiterFactory.class, f -> f.type().equals("scsi"))).isInstanceOf(ScsiArbiterFactory.class);
        assertThat(find(ArbiterFactory.class, f -> f.type().equals("disk-lease"))).isInstanceOf(DiskLeaseArbiterFactory.class);
        assertThat(find(FencerFactory.class, f -> f.type().equals("scsi-preempt"))).isInstanceOf(ScsiFencerFactory.class);
        assertThat(find(PathFactory.class, f -> f.transport().equals("disk"))).isInstanceOf(DiskPathFactory.class);
        assertThat(find(ResourceType.class, f -> f.name().equals("volume"))).isInstanceOf(VolumeType.class);
    }

    @Test
    void twoArbitersRacingExactlyOneWinsAndTheLoserIsFenced() throws Exception {
        ArbiterFactory f = find(ArbiterFactory.class, x -> x.type().equals("scsi"));
        for (int round = 0; round < 10; round++) {
            String name = "arb" + round + "-" + ProcessHandle.current().pid();
            TestContext c1 = new TestContext(name, "n1");
            TestContext c2 = new TestContext(name, "n2");
            PluginConfig cfg = PluginConfig.of("san", "scsi", Map.of("device", tgt.url(), "timeout", "5s", "checkInterval", "100ms"));
            Arbiter a1 = f.create(cfg, cluster(name, "n1"), c1);
            Arbiter a2 = f.create(cfg, cluster(name, "n2"), c2);
            // both nodes are registered before the partition (the volume or an earlier check registered them)
            SharedLock.shared(tgt.url(), name, "n1", Duration.ofSeconds(5)).register();
            SharedLock.shared(tgt.url(), name, "n2", Duration.ofSeconds(5)).register();
            CompletableFuture<Verdict> v1 = CompletableFuture.supplyAsync(() -> a1.ask("n2", 1, Duration.ofSeconds(10)));
            CompletableFuture<Verdict> v2 = CompletableFuture.supplyAsync(() -> a2.ask("n1", 1, Duration.ofSeconds(10)));
            Verdict r1 = v1.get(30, TimeUnit.SECONDS);
            Verdict r2 = v2.get(30, TimeUnit.SECONDS);
            assertThat(List.of(r1.answer(), r2.answer())).as("round %d: %s | %s", round, r1, r2)
                    .containsExactlyInAnyOrder(Verdict.Answer.PEER_DEAD, Verdict.Answer.WE_LOST);
            Verdict won = r1.answer() == Verdict.Answer.PEER_DEAD ? r1 : r2;
            assertThat(won.reason()).startsWith("SCSI preempt won");
            TestContext loser = r1.answer() == Verdict.Answer.PEER_DEAD ? c2 : c1;
            DiskLeaseTest.await(() -> !loser.fenced.isEmpty(), "loser's engine told it is fenced");
            // the loser stays fenced (asking again changes nothing) until the peer is heard again
            Arbiter loserArbiter = loser == c1 ? a1 : a2;
            assertThat(loserArbiter.ask(loser == c1 ? "n2" : "n1", 1, Duration.ofSeconds(5)).answer()).isEqualTo(Verdict.Answer.WE_LOST);
            ((org.tandemha.api.PeerAware) loserArbiter).peerRejoined(loser == c1 ? "n2" : "n1");
            assertThat(SharedLock.shared(tgt.url(), name, loser.node, Duration.ofSeconds(5)).fenced()).isFalse();
            SharedLock.shared(tgt.url(), name, "n1", Duration.ofSeconds(5)).close();
            SharedLock.shared(tgt.url(), name, "n2", Duration.ofSeconds(5)).close();
        }
    }

    @Test
    void fencerRemovesThePeersKey() throws Exception {
        String name = "fencer-" + ProcessHandle.current().pid();
        FencerFactory f = find(FencerFactory.class, x -> x.type().equals("scsi-preempt"));
        TestContext c1 = new TestContext(name, "n1");
        Fencer fencer = f.create(PluginConfig.of("f", "scsi-preempt", Map.of("device", tgt.url())), cluster(name, "n1"), c1);
        SharedLock peer = SharedLock.shared(tgt.url(), name, "n2", Duration.ofSeconds(5));
        peer.acquire();
        ActionResult r = fencer.fence("n2", ActionContext.of("n1", "g", "fence", Duration.ofSeconds(10)));
        assertThat(r.isDone()).as(r.toString()).isTrue();
        assertThat(peer.check()).isFalse();
        assertThat(peer.fenced()).isTrue();
        assertThat(fencer.fence("n2", ActionContext.of("n1", "g", "fence", Duration.ofSeconds(10))).reason()).contains("already gone");
        peer.close();
        SharedLock.shared(tgt.url(), name, "n1", Duration.ofSeconds(5)).close();
    }
}
