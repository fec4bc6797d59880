package org.tandemha.core.sim.whatif;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.StandbyState;
import org.tandemha.core.sim.SimCluster;

/**
 * Drives one what-if run: applies the events to a {@link SimCluster} and writes down, as it goes, every decision
 * the engines report (one line per event, in the scenario files' transcript format: {@code TIME NODE KIND
 * GROUP/RESOURCE: message}, a line repeated with nothing in between folded), the answers to commands, and per group
 * when it had no owner. Times are seconds since the start of the run.
 */
public final class SimDriver {
    /** One decision as data (for {@code --json}): time since the start, node, kind, group, resource, message. */
    public record Decision(long atMs, String node, String kind, String group, String resource, String message) {
    }

    /** The engines' wall clock is simulated time from this epoch (see SimProcesses). */
    private static final long EPOCH_MS = 1_700_000_000_000L;

    private final SimCluster sim;
    private final ClusterSpec spec;
    private final long t0;
    private final List<String> out = new ArrayList<>();
    private final List<Decision> decisions = new ArrayList<>();
    private final Map<Long, String> commands = new LinkedHashMap<>();
    private final List<String> answers = new ArrayList<>();
    /** Per node/group: the clean-up at boot is not a decision; left out until the node first calls it OFFLINE. */
    private final Set<String> cleaningUp = new HashSet<>();
    private final Map<String, Long> maxGen = new LinkedHashMap<>();
    private final Map<String, Uptime> uptime = new LinkedHashMap<>();
    private boolean scripted;
    private int seen;
    private String lastLine;
    private String lastTime;
    private int lastIndex = -1;
    private int repeats;

    /** Per group: whether it ran yet, since when it has no owner, and the intervals without one. */
    static final class Uptime {
        boolean everUp;
        long downSince = -1;
        final List<long[]> intervals = new ArrayList<>();
        int maxOwners;
        /** The first time it ran on more than one node: where and when. */
        String twoOwners;
        /** Promotable groups: the most primaries at once (the simulator's invariant: never more than one). */
        int maxPrimaries;
        /** The first time it had two primaries: where and when. */
        String twoPrimaries;
    }

    SimDriver(SimCluster sim, long t0) {
        this.sim = sim;
        this.spec = sim.spec();
        this.t0 = t0;
        for (GroupSpec g : spec.groups()) {
            uptime.put(g.id(), new Uptime());
        }
        sim.observe((node, nowMs, input, actions) -> sample());
    }

    /** The simulated cluster (for events that act on it directly). */
    public SimCluster sim() {
        return sim;
    }

    /** Milliseconds since the start of the run. */
    long now() {
        return sim.now() - t0;
    }

    // ------------------------------------------------------------------ events that need more than one call

    void startAll() {
        for (String n : spec.nodeIds()) {
            cleaning(n);
        }
        sim.startAll();
        sample();
    }

    void boot(String node) {
        if (spec.groups().stream().noneMatch(g -> sim.leftoversOn(g.id()).contains(node))) {
            cleaning(node); // a clean-up with leftovers to stop is shown: it is the point
        }
        sim.boot(node);
    }

    /** How the safety check answers from now on (scripted answers are dropped). */
    void arbiter(WhatIf.Arbiter a) {
        sim.scriptedArbiter(false);
        scripted = false;
        switch (a) {
            case TRUTH -> sim.arbiter(SimCluster.ArbiterMode.TRUTH);
            case DISK_RACE -> sim.arbiter(SimCluster.ArbiterMode.DISK_RACE);
            case SILENT -> sim.arbiter(SimCluster.ArbiterMode.SILENT);
            case DEAD -> {
                sim.arbiter(SimCluster.ArbiterMode.TRUTH);
                for (String n : spec.nodeIds()) {
                    arbiterAnswers(n, null, new SimCluster.ScriptedAnswer(org.tandemha.api.Verdict.Answer.PEER_DEAD,
                            "no arbiter configured (two-node without arbiter): a silent peer counts as dead", 0, false));
                }
            }
            case SCRIPT -> scripted();
        }
    }

    void scripted() {
        sim.scriptedArbiter(true);
        scripted = true;
    }

    void arbiterAnswers(String asker, String peer, SimCluster.ScriptedAnswer a) {
        if (!scripted) {
            sim.scriptOverMode(); // answers not scripted still come from the arbiter mode
            scripted = true;
        }
        sim.arbiterAnswers(asker, peer, a);
    }

    /** An operator command on {@code node} (null: where the group runs, else the group's first node that is up). */
    void command(String node, Input.Command.Kind kind, String group, String target, String label) {
        String on = node;
        if (on == null) {
            GroupSpec g = spec.group(group).orElseThrow();
            on = g.nodes().stream().filter(n -> sim.state(n, group) == LocalState.ONLINE).findFirst()
                    .orElse(g.nodes().stream().filter(n -> sim.engine(n) != null).findFirst().orElse(g.nodes().get(0)));
            label = label + " (on " + on + ")";
        }
        commands.put(sim.command(on, kind, group, target), label);
    }

    void show() {
        for (String l : after()) {
            out.add("  | " + l);
        }
    }

    void cleaning(String node) {
        for (GroupSpec g : spec.groups()) {
            cleaningUp.add(node + "/" + g.id());
        }
    }

    // ------------------------------------------------------------------ running a script

    /** Runs the steps, then {@code runMs} more. */
    void run(List<WhatIfEvents.Step> steps, long runMs) {
        sample(); // restored from snapshots: what runs at the start (a crash at 0s is downtime from 0s)
        for (WhatIfEvents.Step st : steps) {
            sim.runUntil(t0 + st.atMs());
            flush();
            out.add("at " + WhatIfEvents.seconds(st.atMs()) + " " + st.text());
            lastLine = null;
            st.action().accept(this);
            sample();
            flush();
        }
        sim.runFor(runMs);
        flush();
        for (String c : commands.values()) {
            out.add("  => " + c + ": no answer yet");
            answers.add(c + ": no answer yet");
        }
        sample();
    }

    /** Runs {@code ms} more, recording what happens (used by the sweep between its faults). */
    void runFor(long ms) {
        sim.runFor(ms);
        flush();
    }

    void sample() {
        long now = now();
        for (Map.Entry<String, Uptime> e : uptime.entrySet()) {
            Uptime u = e.getValue();
            List<String> on = sim.runningOn(e.getKey());
            int owners = on.size();
            u.maxOwners = Math.max(u.maxOwners, owners);
            if (owners > 1 && u.twoOwners == null) {
                u.twoOwners = String.join(" and ", on) + " at " + WhatIfReport.sec(now);
            }
            if (spec.group(e.getKey()).orElseThrow().promotable()) {
                List<String> primaries = sim.primaries(e.getKey());
                u.maxPrimaries = Math.max(u.maxPrimaries, primaries.size());
                if (primaries.size() > 1 && u.twoPrimaries == null) {
                    u.twoPrimaries = String.join(" and ", primaries) + " at " + WhatIfReport.sec(now);
                }
            }
            if (owners > 0) {
                u.everUp = true;
                if (u.downSince >= 0) {
                    u.intervals.add(new long[] {u.downSince, now});
                    u.downSince = -1;
                }
            } else if (u.everUp && u.downSince < 0) {
                u.downSince = now;
            }
        }
    }

    private void flush() {
        List<ClusterEvent> evs = sim.events();
        for (; seen < evs.size(); seen++) {
            ClusterEvent e = evs.get(seen);
            String line = render(e);
            if (line == null) {
                continue;
            }
            long at = e.time().toEpochMilli() - EPOCH_MS - t0;
            decisions.add(new Decision(at, e.node(), e.kind().name(), e.group(), e.resource(), e.message()));
            String time = String.format(Locale.ROOT, "%.1fs", at / 1000.0);
            if (line.equals(lastLine) && lastIndex == out.size() - 1) {
                repeats++;
                out.set(lastIndex, "  " + lastTime + " " + line + " (then " + repeats + " more time"
                        + (repeats == 1 ? "" : "s") + " until " + time + ")");
                continue;
            }
            out.add("  " + time + " " + line);
            lastLine = line;
            lastTime = time;
            lastIndex = out.size() - 1;
            repeats = 0;
        }
        for (var it = commands.entrySet().iterator(); it.hasNext(); ) {
            var c = it.next();
            CommandResult r = sim.commandResult(c.getKey());
            if (r != null) {
                String a = c.getValue() + ": " + (r.accepted() ? "done: " : "refused: ") + r.message();
                out.add("  => " + a);
                answers.add(a);
                it.remove();
            }
        }
        for (GroupSpec g : spec.groups()) {
            for (String n : g.nodes()) {
                if (sim.engine(n) != null) {
                    maxGen.merge(g.id(), sim.generation(n, g.id()), Math::max);
                }
            }
        }
    }

    /** One event as a transcript line, or null for start-up noise (the node started, its clean-up at boot). */
    private String render(ClusterEvent e) {
        if (e.kind() == EventKind.NODE_STARTED) {
            return null;
        }
        String key = e.node() + "/" + e.group();
        if (cleaningUp.contains(key) && e.kind() == EventKind.GROUP_STATE && "UNKNOWN".equals(e.details().get("from"))) {
            return null;
        }
        if (cleaningUp.contains(key) && e.kind() == EventKind.GROUP_STATE && "STOPPING".equals(e.details().get("from"))
                && e.message().endsWith("(offline)")) {
            cleaningUp.remove(key);
            return null;
        }
        String where = e.group() == null ? "" : " " + e.group() + (e.resource() == null ? "" : "/" + e.resource());
        return e.node() + " " + e.kind() + where + ": " + e.message();
    }

    /** The state now, as the scenario files' {@code expect after:} writes it: one line per node, then per group. */
    List<String> after() {
        List<String> lines = new ArrayList<>();
        Instant t = Instant.EPOCH;
        for (String n : spec.nodeIds()) {
            StringBuilder sb = new StringBuilder(n).append(": ").append(sim.condition(n));
            Engine en = sim.engine(n);
            if (en != null) {
                List<NodeStatus> nodes = en.status(t).nodes();
                for (NodeStatus ns : nodes) {
                    if (ns.state() == NodeState.LOCAL && !ns.detail().equals("running")) {
                        sb.append(" (").append(ns.detail()).append(')');
                    }
                }
                for (NodeStatus ns : nodes) {
                    if (ns.state() != NodeState.LOCAL && ns.state() != NodeState.REACHABLE) {
                        sb.append("; sees ").append(ns.node()).append(' ').append(ns.state());
                        if (ns.detail().contains("alive per the safety check")) {
                            sb.append(" (alive per the safety check)");
                        } else if (ns.state() == NodeState.DEAD) {
                            sb.append(" (").append(ns.detail()).append(')');
                        }
                    }
                }
            }
            lines.add(sb.toString());
        }
        for (GroupSpec g : spec.groups()) {
            lines.add(groupLine(g));
        }
        return lines;
    }

    private String groupLine(GroupSpec g) {
        StringBuilder sb = new StringBuilder(g.id()).append(':');
        boolean unmanaged = false;
        for (String n : g.nodes()) {
            Engine en = sim.engine(n);
            sb.append(' ').append(n).append('=');
            if (en == null) {
                sb.append("down");
                continue;
            }
            sb.append(en.state(g.id()));
            StandbyState standby = en.standby(g.id());
            if (g.promotable() && standby != StandbyState.NONE) {
                sb.append("+standby");
                if (standby != StandbyState.RUNNING) {
                    sb.append('(').append(standby).append(')');
                }
            }
            GroupStatus gs = en.status(Instant.EPOCH).groups().stream().filter(x -> x.group().equals(g.id()))
                    .findFirst().orElseThrow();
            if (gs.blockedOn().contains(n)) {
                sb.append("(blocked)");
            }
            unmanaged |= !gs.managed();
        }
        sb.append(" generation=").append(maxGen.getOrDefault(g.id(), 0L));
        List<String> running = sim.runningOn(g.id());
        sb.append(" running=").append(running.isEmpty() ? "nowhere" : String.join(",", running));
        List<String> leftovers = sim.leftoversOn(g.id());
        if (!leftovers.isEmpty()) {
            sb.append(" leftovers=").append(String.join(",", leftovers));
        }
        if (unmanaged) {
            sb.append(" maintenance");
        }
        if (g.promotable()) {
            List<String> primaries = sim.primaries(g.id());
            sb.append(" primaries=").append(primaries.isEmpty() ? "none" : String.join(",", primaries));
            List<String> copies = new ArrayList<>();
            for (String n : g.nodes()) {
                copies.add(n + "@" + sim.position(n, g.id()));
            }
            sb.append(" copies=").append(String.join(",", copies));
        }
        return sb.toString();
    }

    /** Promotable groups: the primaries now and every node's copy (role, position, how far behind the primary). */
    Map<String, WhatIfReport.Replication> replication() {
        Map<String, WhatIfReport.Replication> m = new LinkedHashMap<>();
        for (GroupSpec g : spec.groups()) {
            if (!g.promotable()) {
                continue;
            }
            List<String> primaries = sim.primaries(g.id());
            long[] lead = primaries.size() == 1 ? parse(sim.position(primaries.get(0), g.id())) : null;
            List<WhatIfReport.Copy> copies = new ArrayList<>();
            for (String n : g.nodes()) {
                Engine en = sim.engine(n);
                String role;
                if (primaries.contains(n)) {
                    role = "primary";
                } else if (en == null) {
                    role = sim.condition(n).equals("down") ? "down" : "process down";
                } else if (en.standby(g.id()) != StandbyState.NONE) {
                    role = "standby" + (en.standby(g.id()) == StandbyState.RUNNING ? ""
                            : " " + en.standby(g.id()).name().toLowerCase(Locale.ROOT));
                } else {
                    role = "none";
                }
                String pos = sim.position(n, g.id());
                long[] p = parse(pos);
                long behind = lead != null && p[0] == lead[0] ? Math.max(0, lead[1] - p[1]) : -1;
                copies.add(new WhatIfReport.Copy(n, role, pos, behind));
            }
            m.put(g.id(), new WhatIfReport.Replication(primaries, copies, uptime.get(g.id()).maxPrimaries,
                    uptime.get(g.id()).twoPrimaries));
        }
        return m;
    }

    /** {@code timeline:offset}. */
    private static long[] parse(String position) {
        int i = position.indexOf(':');
        return new long[] {Long.parseLong(position.substring(0, i)), Long.parseLong(position.substring(i + 1))};
    }

    List<String> transcript() {
        return List.copyOf(out);
    }

    List<Decision> decisions() {
        return List.copyOf(decisions);
    }

    List<String> answers() {
        return List.copyOf(answers);
    }

    Map<String, Uptime> uptime() {
        return uptime;
    }

    long maxGeneration(String group) {
        return maxGen.getOrDefault(group, 0L);
    }
}
