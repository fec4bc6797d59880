package org.tandemha.core.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.engine.LocalState;

/**
 * What must hold after every simulated step, recorded as violations when it does not: no group has two owners
 * (see {@link #runningOn}), and a fenced node whose process runs (not frozen) stops its groups within
 * {@link SimCluster#FENCED_STOP_BOUND_MS}. (The shared disk flags writes from an older generation itself.)
 */
final class Invariants {
    private final SimWorld w;

    Invariants(SimWorld w) {
        this.w = w;
    }

    void check() {
        long now = w.now();
        for (SimNode n : w.nodes.values()) {
            if (!n.fenced || n.crashed || n.paused || n.engine == null || n.fencedSince < 0) {
                n.activeSince = -1;
                continue;
            }
            String still = null;
            for (GroupSpec g : w.spec.groups()) {
                LocalState st = n.engine.state(g.id());
                if (st.active() && st != LocalState.FAILED && st != LocalState.UNKNOWN && !n.engine.maintenance(g.id())) {
                    still = g.id() + " " + st; // (a group in maintenance is the operator's: left running on purpose)
                    break;
                }
            }
            if (still == null) {
                n.activeSince = -1; // stopped, or FAILED after a stop that failed (a watchdog's case)
            } else if (n.activeSince < 0) {
                n.activeSince = now;
            } else if (now - Math.max(n.activeSince, n.resumedAt) > SimCluster.FENCED_STOP_BOUND_MS) {
                w.violations.add("t=" + now + " " + n.id + " was fenced at " + n.fencedSince + " and still has " + still);
                n.fencedSince = -1; // report once
            }
        }
        if (w.coordination != null) {
            checkStaleTokens(now);
        }
        for (GroupSpec g : w.spec.groups()) {
            List<String> on = runningOn(g.id());
            if (on.size() > 1) {
                w.violations.add("t=" + now + " group " + g.id() + " runs on " + on);
            }
            if (g.promotable()) {
                List<String> primaries = primariesOf(g);
                if (primaries.size() > 1) {
                    w.violations.add("t=" + now + " group " + g.id() + " has two primaries among live unfenced nodes: " + primaries);
                }
            }
        }
    }

    /** The group's owners; the rules are on {@link SimCluster#runningOn}. */
    List<String> runningOn(String group) {
        List<String> r = new ArrayList<>();
        for (SimNode n : w.nodes.values()) {
            if (!n.machineDown && !n.fenced && runs(n, group) && live(n, group) && !staleToken(n, group)) {
                r.add(n.id);
            }
        }
        for (SimNode t : w.twins.values()) {
            if (t.elsewhere && !t.fenced && runs(t, group) && !t.crashed && t.engine != null && !t.cleaning.contains(group)) {
                r.add(t.key); // another machine with the same node id
            }
        }
        return r;
    }

    /**
     * Promotable groups: the live unfenced nodes (their machine up, not fenced, their process running and past its
     * clean-up, not behind a newer lease token) where the replicated resource runs as the primary.
     */
    List<String> primariesOf(GroupSpec g) {
        String res = g.resources().get(0).id();
        List<String> r = new ArrayList<>();
        for (SimNode n : w.nodes.values()) {
            if (!n.machineDown && !n.fenced && Boolean.TRUE.equals(n.running.get(g.id() + "/" + res)) && live(n, g.id())
                    && !staleToken(n, g.id())) {
                r.add(n.id);
            }
        }
        return r;
    }

    /** Per node and group, since when it runs the group at an older lease token than one started (lease mode). */
    private final java.util.Map<String, Long> staleSince = new java.util.HashMap<>();

    /**
     * With leases, a node whose engine holds the group at an older token than one started elsewhere is fenced for
     * that group by the token (the volume refuses its writes); it is no owner, but unless frozen it must stop the
     * group within {@link SimCluster#FENCED_STOP_BOUND_MS}.
     */
    private boolean staleToken(SimNode n, String group) {
        if (w.coordination == null || n.engine == null) {
            return false;
        }
        return n.engine.generation(group) < w.array.startedGeneration(group);
    }

    private void checkStaleTokens(long now) {
        for (SimNode n : w.nodes.values()) {
            for (GroupSpec g : w.spec.groups()) {
                String k = n.id + "/" + g.id();
                LocalState st = n.engine == null ? null : n.engine.state(g.id());
                boolean stale = st != null && !n.paused && !n.crashed && staleToken(n, g.id()) && st.active()
                        && st != LocalState.FAILED && st != LocalState.UNKNOWN && !n.engine.maintenance(g.id());
                if (!stale) {
                    staleSince.remove(k);
                    continue;
                }
                long since = Math.max(staleSince.computeIfAbsent(k, x -> now), n.resumedAt);
                if (now - since > SimCluster.FENCED_STOP_BOUND_MS) {
                    w.violations.add("t=" + now + " " + n.id + " still runs " + g.id() + " (" + st + ") at generation "
                            + n.engine.generation(g.id()) + ", older than generation "
                            + w.array.startedGeneration(g.id()) + " started elsewhere");
                    staleSince.put(k, Long.MAX_VALUE / 2); // report once
                }
            }
        }
    }

    /** Nodes where something of the group runs although they are no owner. */
    List<String> leftoversOn(String group) {
        List<String> r = new ArrayList<>();
        for (SimNode n : w.nodes.values()) {
            if (!n.machineDown && runs(n, group) && (n.fenced || !live(n, group))) {
                r.add(n.id);
            }
        }
        return r;
    }

    private boolean runs(SimNode n, String group) {
        for (ResourceSpec rs : w.spec.group(group).orElseThrow().resources()) {
            if (Boolean.TRUE.equals(n.running.get(group + "/" + rs.id()))) {
                return true;
            }
        }
        return false;
    }

    private boolean live(SimNode n, String group) {
        boolean anyProcess = false;
        for (SimNode i : w.instances(n.id)) {
            if (i.engine != null && !i.crashed && !i.elsewhere) {
                anyProcess = true;
                if (!i.cleaning.contains(group)) {
                    return true;
                }
            }
        }
        return !anyProcess && n.left;
    }

    /** The nodes whose process runs. */
    Set<String> nodesUp() {
        Set<String> s = new HashSet<>();
        for (SimNode n : w.nodes.values()) {
            if (!n.crashed) {
                s.add(n.id);
            }
        }
        return s;
    }

    /** Nodes whose engine says the group is ONLINE. */
    List<String> onlineOn(String group) {
        List<String> r = new ArrayList<>();
        for (SimNode n : w.nodes.values()) {
            if (n.engine != null && n.engine.state(group) == LocalState.ONLINE) {
                r.add(n.id);
            }
        }
        return r;
    }

    /** One line: per group, each node's state and generation. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (GroupSpec g : w.spec.groups()) {
            sb.append(g.id()).append(':');
            for (SimNode n : w.nodes.values()) {
                sb.append(' ').append(n.id).append('=').append(n.engine == null ? "down"
                        : n.engine.state(g.id()) + "/" + n.engine.generation(g.id()));
            }
            sb.append("; ");
        }
        return sb.toString();
    }
}
