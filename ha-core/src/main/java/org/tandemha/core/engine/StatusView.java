package org.tandemha.core.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.Durations;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.ResourceStatus;
import org.tandemha.core.engine.Announcement.GroupAnn;

/**
 * What this node shows: to its peers, the announcement that goes out with every heartbeat (sent again only when it
 * changed); to operators, the status view of nodes, groups and resources.
 */
final class StatusView {
    private final EngineState s;

    StatusView(EngineState s) {
        this.s = s;
    }

    /** Whether this node tells its peers not to place groups on it (it stood down, or has no usable lease session). */
    private boolean standingDown() {
        return s.selfFenced || !s.ownership.mayHold();
    }

    void announceIfChanged() {
        Announcement last = s.lastAnnounced;
        boolean leaving = s.leftCleanly;
        String unheard = s.oneWayCut.unheard();
        if (last != null && last.leaving() == leaving && last.standingDown() == standingDown()
                && sameFacts(last.facts(), unheard) && sameGroups(last.groups())) {
            return; // (compared field by field: no announcement built per input, with a thousand groups)
        }
        List<GroupAnn> gs = new ArrayList<>();
        for (GroupRecord g : s.groups.values()) {
            gs.add(groupAnn(g));
        }
        Map<String, String> facts = s.facts;
        if (unheard != null) {
            facts = new java.util.TreeMap<>(s.facts);
            facts.put(OneWayCut.UNHEARD, unheard); // the peers this node does not hear (see OneWayCut)
        }
        Announcement a = new Announcement(s.announceVersion + 1, s.spec.fingerprint(), leaving, standingDown(), Map.copyOf(facts), gs);
        s.announceVersion++;
        s.lastAnnounced = a;
        s.out.add(new Action.Announce(a));
    }

    /** Idle, a node announces the highest generation it holds or remembers, so that claims go above it. */
    private static long announcedGen(GroupRecord g) {
        return g.state == LocalState.CLAIMING ? g.claimGen : g.state.active() ? g.gen : Math.max(g.gen, g.floor);
    }

    private static GroupAnn groupAnn(GroupRecord g) {
        return new GroupAnn(g.id(), g.state, announcedGen(g), g.ackNode, g.ackGen, g.handoff, g.blocked, g.fatal,
                g.maintVer, g.maintNode, g.maintOn, g.clearVer, g.byAdmin);
    }

    /** Whether the announced facts are this node's facts and the peers it does not hear ({@link OneWayCut#UNHEARD}). */
    private boolean sameFacts(Map<String, String> last, String unheard) {
        if (!Objects.equals(last.get(OneWayCut.UNHEARD), unheard)
                || last.size() != s.facts.size() + (unheard == null ? 0 : 1)) {
            return false;
        }
        for (Map.Entry<String, String> e : s.facts.entrySet()) {
            if (!e.getValue().equals(last.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private boolean sameGroups(List<GroupAnn> last) {
        if (last.size() != s.groups.size()) {
            return false;
        }
        int i = 0;
        for (GroupRecord g : s.groups.values()) {
            GroupAnn a = last.get(i++);
            if (!a.group().equals(g.id()) || a.state() != g.state || a.gen() != announcedGen(g) || !Objects.equals(a.ackNode(), g.ackNode)
                    || a.ackGen() != g.ackGen || !Objects.equals(a.handoff(), g.handoff) || a.blocked() != g.blocked
                    || a.fatal() != g.fatal || a.maintVer() != g.maintVer || !Objects.equals(a.maintNode(), g.maintNode)
                    || a.maintOn() != g.maintOn || a.clearVer() != g.clearVer || a.byAdmin() != g.byAdmin) {
                return false;
            }
        }
        return true;
    }

    ClusterStatus status(Instant time) {
        List<NodeStatus> nodes = new ArrayList<>();
        for (String n : s.spec.nodeIds()) {
            if (n.equals(s.self)) {
                nodes.add(new NodeStatus(n, NodeState.LOCAL, 0, s.selfFenced ? "stood down: " + s.selfFencedReason
                        : s.shuttingDown ? "shutting down" : !s.ownership.mayHold() ? "no session with the coordination"
                        + " service: " + s.sessionReason : s.quorum.quorate() ? "running" : "no quorum",
                        s.placement.reach(n), pingHosts(n)));
                continue;
            }
            PeerRecord p = s.peers.get(n);
            NodeState st = p.reachable ? NodeState.REACHABLE : p.deadOrFenced ? NodeState.DEAD : p.everHeard
                    ? NodeState.UNREACHABLE : NodeState.UNKNOWN;
            String detail = switch (st) {
                case REACHABLE -> "heard";
                case DEAD -> "dead or fenced: " + p.deadReason;
                case UNREACHABLE -> "silent for " + Durations.format(Duration.ofMillis(s.now - p.unreachableSince))
                        + (p.degradedReported ? "; alive per the safety check" : "");
                default -> "not heard yet";
            };
            nodes.add(new NodeStatus(n, st, p.incarnation, detail, s.placement.reach(n), pingHosts(n)));
        }
        List<GroupStatus> gs = new ArrayList<>();
        for (GroupRecord g : s.groups.values()) {
            gs.add(group(g));
        }
        return new ClusterStatus(s.spec.cluster(), s.self, time, nodes, List.of(), gs);
    }

    /** How many hosts {@code node} pings (the {@code ping} section); 0 without one. */
    private int pingHosts(String node) {
        return s.spec.ping() == null ? 0 : s.spec.ping().hostsOf(node).size();
    }

    private GroupStatus group(GroupRecord g) {
        List<ResourceStatus> rs = new ArrayList<>();
        for (GroupRecord.Res r : g.res.values()) {
            rs.add(new ResourceStatus(r.spec.id(), r.spec.type(), r.running && g.state.active(), r.last,
                    r.lastAt < 0 ? null : s.wallClock.apply(r.lastAt), r.failures.size()));
        }
        List<String> blockedOn = new ArrayList<>();
        if (g.blocked) {
            blockedOn.add(s.self);
        }
        for (PeerRecord p : s.peers.values()) {
            GroupAnn a = s.ann(p, g);
            if (a != null && a.blocked()) {
                blockedOn.add(p.id);
            }
        }
        String holder = s.placement.holder(g);
        long gen = Math.max(g.gen, holder != null && !holder.equals(s.self) ? s.ann(s.peers.get(holder), g).gen() : 0);
        boolean standby = g.state == LocalState.OFFLINE && g.standby == StandbyState.RUNNING;
        String detail = g.standby == StandbyState.NONE ? g.detail : g.detail + "; " + g.standbyDetail;
        return new GroupStatus(g.id(), standby ? org.tandemha.api.GroupState.STANDBY : g.state.toApi(), holder, gen,
                g.spec.nodes(), g.spec.switchback().name(), !g.maintOn, Collections.unmodifiableList(blockedOn), rs, detail);
    }
}
