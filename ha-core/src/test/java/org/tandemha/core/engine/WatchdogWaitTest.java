package org.tandemha.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.config.WatchdogSpec;
import org.tandemha.core.engine.Announcement.GroupAnn;
import org.tandemha.core.sim.Specs;

/**
 * With a watchdog configured on every node, a peer declared dead but not fenced is taken over only once its
 * watchdog has surely reset it: {@code watchdog.timeout} after it went silent (a crashed daemon stops feeding it).
 * A fenced peer, or a peer that held nothing of the group, is not waited for.
 */
class WatchdogWaitTest {
    private static ClusterSpec spec(boolean watchdog) {
        ClusterSpec b = Specs.cluster(List.of("node1", "node2"),
                Specs.group("web", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "app"));
        return new ClusterSpec(b.cluster(), b.key(), b.nodes(), b.paths(), b.arbiters(), b.fencers(), b.quorum(), b.timing(),
                b.groups(), b.fingerprint(), watchdog ? new WatchdogSpec("/dev/watchdog", Duration.ofSeconds(1),
                Duration.ofSeconds(10)) : WatchdogSpec.none());
    }

    private static Announcement holding(ClusterSpec s, LocalState state) {
        return new Announcement(1, s.fingerprint(), false, false, Map.of(),
                List.of(new GroupAnn("web", state, 1, null, 0, null, false, false, 0, null, false, 0, false)));
    }

    /** Runs node2 until node1 (holding web, or idle) died at 10 s; returns when node2 claimed web, or -1. */
    private static long claimedAt(boolean watchdog, LocalState node1State) {
        ClusterSpec s = spec(watchdog);
        Engine e = new Engine(s, "node2", false, Instant::ofEpochMilli);
        List<Action> out = new ArrayList<>(e.handle(new Input.Boot(), 0));
        out.addAll(e.handle(new Input.PeerReachable("node1", 7), 10));
        out.addAll(e.handle(new Input.PeerState("node1", 7, holding(s, node1State)), 20));
        for (Action a : out) {
            if (a instanceof Action.RunResource r) {
                e.handle(new Input.ActionDone(r.id(), ActionResult.done("stopped")), 30); // the clean-up at start
            }
        }
        out = e.handle(new Input.PeerUnreachable("node1", "3 heartbeats missed"), 10_000);
        long safety = out.stream().filter(a -> a instanceof Action.RunSafetyCheck).map(a -> ((Action.RunSafetyCheck) a).id())
                .findFirst().orElseThrow();
        if (claims(e.handle(new Input.SafetyDone(safety, "node1", Verdict.of(Verdict.Answer.PEER_DEAD,
                "the witness has not heard node1")), 10_050))) {
            return 10_050;
        }
        for (long t = 10_100; t <= 30_000; t += 100) {
            if (claims(e.handle(new Input.Tick(), t))) {
                return t;
            }
        }
        return -1;
    }

    private static boolean claims(List<Action> actions) {
        return actions.stream().anyMatch(a -> a instanceof Action.Emit em && em.event().kind() == EventKind.GROUP_CLAIMED
                && em.event().message().contains("claims group web"));
    }

    @Test
    void aDeadUnfencedHolderIsTakenOverOnlyAfterItsWatchdogReset() {
        assertThat(claimedAt(true, LocalState.ONLINE)).isBetween(20_000L, 20_100L);
    }

    @Test
    void withoutAWatchdogTheTakeoverIsAtOnce() {
        assertThat(claimedAt(false, LocalState.ONLINE)).isEqualTo(10_050L);
    }

    @Test
    void aPeerThatHeldNothingOfTheGroupIsNotWaitedFor() {
        assertThat(claimedAt(true, LocalState.OFFLINE)).isEqualTo(10_050L);
    }
}
