package org.tandemha.core.scenarios;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.sim.SimCluster;
import org.tandemha.core.sim.Specs;

/**
 * Runs one {@link Scenario} in a {@link SimCluster} and renders what happened as the text of its
 * {@code expect events:} and {@code expect after:} sections.
 */
final class ScenarioRunner {
    /** What a run produced: the two sections as lines, and the simulator's invariant violations. */
    record Outcome(List<String> events, List<String> after, List<String> violations) {
    }

    private final Scenario sc;
    private final SimCluster sim;
    private final List<String> out = new ArrayList<>();
    private final Map<Long, String> commands = new LinkedHashMap<>();
    /** Per node: clean-up at boot is not a decision; its lines are left out until the node first goes OFFLINE. */
    private final java.util.Set<String> cleaningUp = new java.util.HashSet<>();
    private int seen;

    ScenarioRunner(Scenario sc) {
        this.sc = sc;
        this.sim = new SimCluster(spec(sc), sc.seed).arbiter(sc.arbiter);
    }

    static ClusterSpec spec(Scenario sc) {
        List<GroupSpec> gs = new ArrayList<>();
        for (Scenario.GroupDef g : sc.groups) {
            List<ResourceSpec> rs = new ArrayList<>();
            String prev = null;
            for (String r : g.resources()) {
                rs.add(prev == null ? Specs.resource(r) : Specs.resource(r, prev));
                prev = r;
            }
            gs.add(new GroupSpec(g.id(), g.nodes(), g.switchback(), g.settle(), g.maxRecoveries(), g.recoveryWindow(), rs));
        }
        return Specs.cluster(sc.nodes, gs.toArray(GroupSpec[]::new));
    }

    Outcome run() {
        for (Scenario.Step st : sc.steps) {
            sim.runUntil(st.atMs());
            flush();
            out.add("at " + Scenario.formatMillis(st.atMs()) + " " + st.text());
            lastLine = null;
            apply(st);
            flush();
        }
        sim.runFor(sc.runMs);
        flush();
        for (Map.Entry<Long, String> c : commands.entrySet()) {
            out.add("  => " + c.getValue() + ": no answer yet");
        }
        return new Outcome(List.copyOf(out), after(), List.copyOf(sim.violations()));
    }

    private void apply(Scenario.Step st) {
        List<String> w = st.words();
        try {
            switch (w.get(0)) {
                case "start" -> {
                    need(w, 2, "start all");
                    for (String n : sc.nodes) {
                        cleaning(n);
                    }
                    sim.startAll();
                }
                case "boot" -> {
                    need(w, 2, "boot <node>");
                    cleaning(node(w.get(1)));
                    sim.boot(w.get(1));
                }
                case "crash" -> sim.crash(node(w.get(1)));
                case "pause" -> sim.pause(node(w.get(1)));
                case "resume" -> sim.resume(node(w.get(1)));
                case "cut" -> {
                    need(w, 3, "cut <node> <node>");
                    sim.cut(node(w.get(1)), node(w.get(2)));
                }
                case "heal" -> {
                    if (w.size() == 2 && w.get(1).equals("all")) {
                        sim.healAll();
                    } else {
                        need(w, 3, "heal <node> <node> | heal all");
                        sim.heal(node(w.get(1)), node(w.get(2)));
                    }
                }
                case "arbiter" -> {
                    need(w, 2, "arbiter truth|disk-race|silent");
                    sim.arbiter(SimCluster.ArbiterMode.valueOf(Scenario.enumName(w.get(1))));
                }
                case "fault" -> {
                    need(w, 4, "fault <node> <group>/<resource> <fault>");
                    String[] gr = groupResource(w.get(2));
                    sim.fault(node(w.get(1)), gr[0], gr[1], SimCluster.Fault.valueOf(Scenario.enumName(w.get(3))));
                }
                case "kill" -> {
                    need(w, 3, "kill <node> <group>/<resource>");
                    String[] gr = groupResource(w.get(2));
                    sim.kill(node(w.get(1)), gr[0], gr[1]);
                }
                case "command" -> {
                    if (w.size() < 4) {
                        throw new IllegalArgumentException("write 'command <node> <kind> <group> [target]'");
                    }
                    Input.Command.Kind kind = Input.Command.Kind.valueOf(Scenario.enumName(w.get(2)));
                    String target = w.size() > 4 ? node(w.get(4)) : null;
                    long id = sim.command(node(w.get(1)), kind, w.get(3), target);
                    commands.put(id, String.join(" ", w.subList(1, w.size())));
                }
                default -> throw new IllegalArgumentException("unknown step '" + w.get(0) + "'; known: start all, boot,"
                        + " crash, pause, resume, cut, heal, arbiter, fault, kill, command");
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(sc.file + ":" + st.line() + ": " + e.getMessage() + "\n  at "
                    + Scenario.formatMillis(st.atMs()) + " " + st.text(), e);
        }
    }

    private void cleaning(String node) {
        for (Scenario.GroupDef g : sc.groups) {
            cleaningUp.add(node + "/" + g.id());
        }
    }

    private String node(String n) {
        if (!sc.nodes.contains(n)) {
            throw new IllegalArgumentException("no node '" + n + "'; nodes: " + sc.nodes);
        }
        return n;
    }

    private static String[] groupResource(String s) {
        String[] gr = s.split("/");
        if (gr.length != 2) {
            throw new IllegalArgumentException("'" + s + "' should be <group>/<resource>");
        }
        return gr;
    }

    private static void need(List<String> w, int n, String form) {
        if (w.size() != n) {
            throw new IllegalArgumentException("write '" + form + "'");
        }
    }

    /**
     * Renders the events since the last flush, then any command answers that arrived. A line that repeats the one
     * before it (apart from its time) is folded into it: {@code (then 8 more times until 19.9s)}.
     */
    private void flush() {
        List<ClusterEvent> evs = sim.events();
        for (; seen < evs.size(); seen++) {
            ClusterEvent e = evs.get(seen);
            String line = render(e);
            if (line == null) {
                continue;
            }
            String time = seconds(e.time().toEpochMilli() - EPOCH_MS);
            if (line.equals(lastLine) && lastIndex == out.size() - 1) {
                repeats++;
                out.set(lastIndex, "  " + lastTime + " " + line + " (then " + repeats + " more time" + (repeats == 1 ? "" : "s")
                        + " until " + time + ")");
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
                out.add("  => " + c.getValue() + ": " + (r.accepted() ? "done: " : "refused: ") + r.message());
                it.remove();
            }
        }
        for (Scenario.GroupDef g : sc.groups) {
            for (String n : g.nodes()) {
                if (sim.engine(n) != null) {
                    maxGen.merge(g.id(), sim.generation(n, g.id()), Math::max);
                }
            }
        }
    }

    /** The simulator's engines turn monotonic milliseconds into wall time from this epoch. */
    private static final long EPOCH_MS = 1_700_000_000_000L;

    private static String seconds(long ms) {
        return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }

    private String lastLine;
    private String lastTime;
    private int lastIndex = -1;
    private int repeats;
    private final Map<String, Long> maxGen = new LinkedHashMap<>();

    /** One event as a transcript line, or null for start-up noise. */
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

    private List<String> after() {
        List<String> lines = new ArrayList<>();
        Instant t = Instant.EPOCH;
        for (String n : sc.nodes) {
            String cond = sim.condition(n);
            StringBuilder sb = new StringBuilder(n).append(": ").append(cond);
            Engine en = sim.engine(n);
            if (en != null) {
                for (NodeStatus ns : en.status(t).nodes()) {
                    if (ns.state() == NodeState.LOCAL && !ns.detail().equals("running")) {
                        sb.append(" (").append(ns.detail()).append(')');
                    }
                }
                for (NodeStatus ns : en.status(t).nodes()) {
                    if (ns.state() == NodeState.LOCAL) {
                        continue;
                    } else if (ns.state() != NodeState.REACHABLE) {
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
        for (Scenario.GroupDef g : sc.groups) {
            StringBuilder sb = new StringBuilder(g.id()).append(':');
            long gen = 0;
            boolean unmanaged = false;
            for (String n : g.nodes()) {
                Engine en = sim.engine(n);
                sb.append(' ').append(n).append('=');
                if (en == null) {
                    sb.append("down");
                    continue;
                }
                LocalState s = en.state(g.id());
                sb.append(s);
                GroupStatus gs = en.status(t).groups().stream().filter(x -> x.group().equals(g.id())).findFirst().orElseThrow();
                if (gs.blockedOn().contains(n)) {
                    sb.append("(blocked)");
                }
                unmanaged |= !gs.managed();
            }
            gen = Math.max(gen, maxGen.getOrDefault(g.id(), 0L));
            sb.append(" generation=").append(gen);
            List<String> running = sim.runningOn(g.id());
            sb.append(" running=").append(running.isEmpty() ? "nowhere" : String.join(",", running));
            if (unmanaged) {
                sb.append(" maintenance");
            }
            lines.add(sb.toString());
        }
        return lines;
    }
}
