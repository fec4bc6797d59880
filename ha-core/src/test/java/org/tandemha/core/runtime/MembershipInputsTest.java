package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.Wire;

/** Peer announcements are coalesced per peer before the engine sees them, and only while that is safe. */
class MembershipInputsTest {
    /** The engine's queue: what was submitted, in order; a deferred entry is decided when the engine takes it. */
    private final List<Supplier<Input>> queue = new ArrayList<>();
    private final MembershipInputs in = new MembershipInputs("node1", i -> queue.add(() -> i), queue::add,
            new EventDispatcher("node1", List.of()));

    private static byte[] ann(long version) {
        return Wire.encode(new Announcement(version, "fp", false, false, Map.of(), List.of(new Announcement.GroupAnn(
                "db", LocalState.ONLINE, version, null, 0, null, false, false, 0, null, false, 0, false))));
    }

    /** What the engine steps through, taking the queue in order. */
    private List<String> drain() {
        List<String> seen = new ArrayList<>();
        for (Supplier<Input> s : queue) {
            Input i = s.get();
            if (i == null) {
                continue;
            }
            seen.add(i instanceof Input.PeerState p ? p.peer() + " v" + p.announcement().version() + " i" + p.incarnation()
                    : i.getClass().getSimpleName() + " " + peerOf(i));
        }
        queue.clear();
        return seen;
    }

    private static String peerOf(Input i) {
        if (i instanceof Input.PeerReachable r) {
            return r.peer();
        }
        if (i instanceof Input.PeerUnreachable u) {
            return u.peer();
        }
        if (i instanceof Input.PeerMessage m) {
            return m.peer();
        }
        return i instanceof Input.DuplicateNode d ? d.node() : "?";
    }

    @Test
    void onlyTheNewestWaitingAnnouncementOfAPeerReachesTheEngine() {
        in.peerState("node2", 7, ann(1));
        in.peerState("node3", 9, ann(1));
        in.peerState("node2", 7, ann(2));
        in.peerState("node2", 7, ann(3));
        in.peerState("node3", 9, ann(2));
        assertThat(drain()).containsExactly("node2 v3 i7", "node3 v2 i9");
        assertThat(in.coalesced()).isEqualTo(3);
    }

    @Test
    void anAnnouncementTakenByTheEngineIsNotReplacedAfterwards() {
        in.peerState("node2", 7, ann(1));
        assertThat(drain()).containsExactly("node2 v1 i7");
        in.peerState("node2", 7, ann(2));
        assertThat(drain()).containsExactly("node2 v2 i7");
    }

    @Test
    void anOlderAnnouncementHandedOverLateDoesNotReplaceANewerOne() {
        in.peerState("node2", 7, ann(5));
        in.peerState("node2", 7, ann(4)); // over a slower path
        assertThat(drain()).containsExactly("node2 v5 i7");
    }

    @Test
    void anythingElseOfThePeerInBetweenEndsTheRun() {
        in.peerState("node2", 7, ann(1));
        in.peerUnreachable("node2", "paths down");
        in.peerReachable("node2", 7);
        in.peerState("node2", 7, ann(2));
        in.message("node2", Wire.encode(new Wire.SwitchoverRequest(1, "db", "node1")));
        in.peerState("node2", 7, ann(3));
        in.duplicate("node2", 7, 8);
        in.peerState("node2", 7, ann(4));
        assertThat(drain()).containsExactly("node2 v1 i7", "PeerUnreachable node2", "PeerReachable node2", "node2 v2 i7",
                "PeerMessage node2", "node2 v3 i7", "DuplicateNode node2", "node2 v4 i7");
        assertThat(in.coalesced()).isZero();
    }

    @Test
    void aRestartedPeerIsNotCoalescedWithItsEarlierIncarnation() {
        in.peerState("node2", 7, ann(9));
        in.peerState("node2", 8, ann(1));
        in.peerState("node2", 8, ann(2));
        assertThat(drain()).containsExactly("node2 v9 i7", "node2 v2 i8");
    }

    @Test
    void aMalformedAnnouncementIsDropped() {
        in.peerState("node2", 7, new byte[] {1, 2});
        byte[] cut = java.util.Arrays.copyOf(ann(3), 20); // a valid header, the rest cut off
        in.peerState("node3", 9, cut);
        assertThat(drain()).isEmpty();
        in.peerState("node3", 9, ann(4));
        assertThat(drain()).containsExactly("node3 v4 i9");
    }

    @Test
    void anotherPeerDoesNotEndTheRun() {
        in.peerState("node2", 7, ann(1));
        in.peerUnreachable("node3", "paths down");
        in.peerState("node2", 7, ann(2));
        assertThat(drain()).containsExactly("node2 v2 i7", "PeerUnreachable node3");
    }
}
