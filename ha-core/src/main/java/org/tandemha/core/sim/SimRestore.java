package org.tandemha.core.sim;

import java.time.Duration;
import java.util.Map;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.EngineSnapshot;

/**
 * Starts a simulated cluster from saved engine snapshots (one per node, as {@code SnapshotJson} writes them) instead
 * of a boot: each node's engine is restored as it was, and the simulated world is set up to match what the engines
 * believe. The clock starts at the latest snapshot's time; each resource a snapshot says is running runs on its node
 * (a group's volume is then held on the shared disk at the group's generation); each peer a snapshot calls reachable
 * is heard without a new "reachable" input; and every action a snapshot has in flight (a start, a check, a safety
 * check, a fencing) is carried out again, as if its answer were still on the way. A node without a snapshot is down.
 */
final class SimRestore {
    private SimRestore() {
    }

    /**
     * Each node's engine counts from its own start: nodes started at different times have clocks far apart. Puts
     * every snapshot on the clock of the node that started first (by the wall time each snapshot records), so that
     * their deadlines and silences line up as they do in the real cluster. Snapshots that do not record wall time
     * are left as they are.
     */
    static Map<String, EngineSnapshot> oneClock(Map<String, EngineSnapshot> snapshots) {
        if (snapshots.values().stream().anyMatch(s -> s.wallBase() == 0)) {
            return snapshots;
        }
        long first = snapshots.values().stream().mapToLong(EngineSnapshot::wallBase).min().orElse(0);
        Map<String, EngineSnapshot> out = new java.util.LinkedHashMap<>();
        snapshots.forEach((id, s) -> out.put(id, s.shifted(s.wallBase() - first)));
        return out;
    }

    static void restore(SimWorld w, Map<String, EngineSnapshot> given) {
        for (String id : given.keySet()) {
            w.node(id); // a clear error for a node the configuration does not have
        }
        Map<String, EngineSnapshot> snapshots = oneClock(given);
        long t = snapshots.values().stream().mapToLong(s -> s.node().now()).max().orElse(0);
        w.startClockAt(t);
        for (SimNode n : w.nodes.values()) {
            EngineSnapshot s = snapshots.get(n.id);
            if (s == null) {
                w.log(n.id + " has no snapshot: it is down");
                continue;
            }
            if (!s.self().equals(n.id)) {
                throw new IllegalArgumentException("the snapshot given for node " + n.id + " is node " + s.self()
                        + "'s (fix: give each node its own snapshot)");
            }
            n.engine = Engine.restore(w.spec, s, w.processes::wallClock);
            n.incarnation = s.node().incarnation();
            n.crashed = false;
            n.machineDown = false;
            n.announced = n.engine.lastAnnouncement();
            for (EngineSnapshot.Group g : s.groups()) {
                boolean first = true;
                for (EngineSnapshot.Resource r : g.resources()) {
                    if (r.running()) {
                        n.running.put(g.id() + "/" + r.id(), true);
                        if (first) {
                            w.array.volumeStarted(n, g.id(), g.gen());
                            w.array.owner = n.id;
                        }
                    }
                    first = false;
                }
            }
            n.persisted = n.engine.knownGenerations();
            for (EngineSnapshot.Peer p : s.peers()) {
                if (p.reachable()) {
                    n.reach.put(p.id(), true);
                }
            }
            w.log("restore " + n.id + " from its snapshot (t=" + s.node().now() + " ms)");
        }
        for (SimNode n : w.nodes.values()) {
            EngineSnapshot s = snapshots.get(n.id);
            if (s == null) {
                continue;
            }
            w.network.linksChanged(n);
            for (SimNode o : w.nodes.values()) {
                if (o != n) {
                    w.network.sendState(n, o);
                }
            }
            for (EngineSnapshot.PendingAction p : s.pending()) {
                Action a = action(s, p);
                if (a != null) {
                    w.edge.carryOut(n, a);
                }
            }
            n.wakeAt = n.engine.nextWakeup();
        }
    }

    /** The action a pending entry stands for (null for a kind this simulator does not carry out again). */
    private static Action action(EngineSnapshot s, EngineSnapshot.PendingAction p) {
        long gen = s.groups().stream().filter(g -> g.id().equals(p.group())).mapToLong(EngineSnapshot.Group::gen)
                .findFirst().orElse(0);
        Duration timeout = Duration.ofMillis(p.timeoutMs());
        return switch (p.kind()) {
            case "RESOURCE" -> new Action.RunResource(p.id(), Action.ResourceOp.valueOf(p.op()), p.group(), p.resource(),
                    gen, timeout, null);
            case "CHECK" -> new Action.RunCheck(p.id(), Action.CheckKind.valueOf(p.check()), p.group(), p.resource(), gen,
                    timeout);
            case "SAFETY" -> new Action.RunSafetyCheck(p.id(), p.peer(), gen, timeout);
            case "FENCE" -> new Action.FencePeer(p.id(), p.peer(), timeout);
            default -> null;
        };
    }
}
