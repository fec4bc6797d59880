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
        this.sim = new SimCluster(spec(sc), sc.seed).arbiter(sc.arbiter).fencing(sc.fencing);
        if (sc.scriptedArbiter) {
            sim.scriptedArbiter(true);
        }
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
            gs.add(new GroupSpec(g.id(), g.nodes(), g.switchback(), g.settle(), g.maxRecoveries(), g.recoveryWindow(), rs, g.promotable()));
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
                    if (sc.groups.stream().noneMatch(g -> sim.leftoversOn(g.id()).contains(w.get(1)))) {
                        cleaning(node(w.get(1))); // a clean-up with leftovers to stop is shown: it is the point
                    }
                    sim.boot(w.get(1));
                }
                case "show" -> {
                    need(w, 1, "show");
                    for (String l : after()) {
                        out.add("  | " + l);
                    }
                }
                case "crash" -> {
                    need(w, 2, "crash <node>");
                    sim.crash(node(w.get(1)));
                }
                case "crash-process" -> {
                    need(w, 2, "crash-process <node>");
                    sim.crashDaemon(node(w.get(1)));
                }
                case "shutdown" -> {
                    need(w, 2, "shutdown <node>");
                    sim.shutdown(node(w.get(1)));
                }
                case "duplicate" -> {
                    if (w.size() == 3 && w.get(2).equals("elsewhere")) {
                        sim.duplicate(node(w.get(1)), false);
                    } else {
                        need(w, 2, "duplicate <node> [elsewhere]");
                        sim.duplicate(node(w.get(1)), true);
                    }
                }
                case "stop-duplicate" -> {
                    need(w, 2, "stop-duplicate <node>");
                    sim.stopDuplicate(node(w.get(1)));
                }
                case "store" -> {
                    need(w, 3, "store <node> fails|works");
                    if (!w.get(2).equals("fails") && !w.get(2).equals("works")) {
                        throw new IllegalArgumentException("write 'store <node> fails|works'");
                    }
                    sim.generationStoreFails(node(w.get(1)), w.get(2).equals("fails"));
                }
                case "array" -> {
                    need(w, 2, "array forgets");
                    if (!w.get(1).equals("forgets")) {
                        throw new IllegalArgumentException("write 'array forgets'");
                    }
                    sim.arrayForgets();
                }
                case "loss" -> {
                    need(w, 5, "loss <from> -> <to> <percent>%");
                    arrow(w);
                    String pct = w.get(4);
                    if (!pct.endsWith("%")) {
                        throw new IllegalArgumentException("'" + pct + "' should be a percentage such as 30%");
                    }
                    sim.loss(node(w.get(1)), node(w.get(3)), Integer.parseInt(pct.substring(0, pct.length() - 1)) / 100.0);
                }
                case "reorder" -> {
                    need(w, 2, "reorder <time>");
                    sim.reorder(Scenario.millis(w.get(1)));
                }
                case "pause" -> sim.pause(node(w.get(1)));
                case "resume" -> sim.resume(node(w.get(1)));
                case "cut" -> {
                    if (w.size() == 4) {
                        arrow(w);
                        sim.cutOneWay(node(w.get(1)), node(w.get(3)));
                    } else {
                        need(w, 3, "cut <node> <node> | cut <from> -> <to>");
                        sim.cut(node(w.get(1)), node(w.get(2)));
                    }
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
                    if (w.size() > 2) {
                        scriptArbiter(st);
                    } else {
                        need(w, 2, "arbiter truth|disk-race|silent|script");
                        if (w.get(1).equals("script")) {
                            sim.scriptedArbiter(true);
                        } else {
                            sim.scriptedArbiter(false);
                            sim.arbiter(Scenario.arbiterMode(w.get(1)));
                        }
                    }
                }
                case "fencer" -> fencer(st);
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
                        + " show, crash, crash-process, shutdown, duplicate, stop-duplicate, pause, resume, cut, heal, loss,"
                        + " reorder, arbiter, fencer, array forgets, store, fault, kill, command");
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(sc.file + ":" + st.line() + ": " + e.getMessage() + "\n  at "
                    + Scenario.formatMillis(st.atMs()) + " " + st.text(), e);
        }
    }

    private static final java.util.regex.Pattern QUOTED = java.util.regex.Pattern.compile("\"([^\"]*)\"");
    private static final String ARBITER_FORM = "write 'arbiter <node> [about <peer>] answers alive|dead|we-lost|unknown|nothing"
            + " [\"reason\"] [generation <n>] [fences]'";

    /** {@code arbiter node2 about node1 answers dead "witness granted" generation 7 fences}. */
    private void scriptArbiter(Scenario.Step st) {
        String text = st.text();
        String reason = null;
        java.util.regex.Matcher m = QUOTED.matcher(text);
        if (m.find()) {
            reason = m.group(1);
            text = text.substring(0, m.start()) + " " + text.substring(m.end());
        } else if (text.contains("\"")) {
            throw new IllegalArgumentException("unbalanced quote; " + ARBITER_FORM);
        }
        List<String> w = List.of(text.strip().split("\\s+"));
        int i = 1;
        String asker = node(w.get(i++));
        String peer = null;
        if (i < w.size() && w.get(i).equals("about")) {
            peer = node(w.get(i + 1));
            if (peer.equals(asker)) {
                throw new IllegalArgumentException("a node does not run the safety check about itself; " + ARBITER_FORM);
            }
            i += 2;
        }
        if (i + 1 >= w.size() || !w.get(i).equals("answers")) {
            throw new IllegalArgumentException(ARBITER_FORM);
        }
        String word = w.get(i + 1);
        org.tandemha.api.Verdict.Answer answer = switch (word) {
            case "alive" -> org.tandemha.api.Verdict.Answer.PEER_ALIVE;
            case "dead" -> org.tandemha.api.Verdict.Answer.PEER_DEAD;
            case "we-lost" -> org.tandemha.api.Verdict.Answer.WE_LOST;
            case "unknown" -> org.tandemha.api.Verdict.Answer.UNKNOWN;
            case "nothing" -> null;
            default -> throw new IllegalArgumentException("unknown answer '" + word + "'; " + ARBITER_FORM);
        };
        i += 2;
        long generation = 0;
        boolean fences = false;
        while (i < w.size()) {
            switch (w.get(i)) {
                case "generation" -> {
                    if (i + 1 >= w.size()) {
                        throw new IllegalArgumentException("'generation' needs a number; " + ARBITER_FORM);
                    }
                    try {
                        generation = Long.parseLong(w.get(i + 1));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'" + w.get(i + 1) + "' is not a generation number");
                    }
                    if (generation < 0) {
                        throw new IllegalArgumentException("a generation is never negative: " + generation);
                    }
                    i += 2;
                }
                case "fences" -> {
                    if (answer != org.tandemha.api.Verdict.Answer.PEER_DEAD) {
                        throw new IllegalArgumentException("only a 'dead' answer can fence the peer");
                    }
                    fences = true;
                    i++;
                }
                default -> throw new IllegalArgumentException("unexpected '" + w.get(i) + "'; " + ARBITER_FORM);
            }
        }
        if (reason == null) {
            reason = "arbiter: " + word;
        }
        sim.arbiterAnswers(asker, peer, new SimCluster.ScriptedAnswer(answer, reason, generation, fences));
    }

    /** {@code fencer works}, {@code fencer fails "ipmi: no answer"}, {@code fencer hangs}. */
    private void fencer(Scenario.Step st) {
        List<String> w = st.words();
        String form = "write 'fencer works|fails|hangs [\"reason\"]'";
        if (w.size() < 2) {
            throw new IllegalArgumentException(form);
        }
        java.util.regex.Matcher m = QUOTED.matcher(st.text());
        String reason = m.find() ? m.group(1) : null;
        if (reason == null && w.size() > 2) {
            throw new IllegalArgumentException(form);
        }
        switch (w.get(1)) {
            case "works" -> sim.fencerAnswers(reason == null ? null
                    : new SimCluster.ScriptedFence(org.tandemha.api.ActionResult.done(reason)));
            case "fails" -> sim.fencerAnswers(new SimCluster.ScriptedFence(org.tandemha.api.ActionResult.failed(
                    reason == null ? "fencing failed" : reason)));
            case "hangs" -> sim.fencerAnswers(new SimCluster.ScriptedFence(null));
            default -> throw new IllegalArgumentException(form);
        }
    }

    private static void arrow(List<String> w) {
        if (!w.get(2).equals("->")) {
            throw new IllegalArgumentException("write '<from> -> <to>' (the second hears nothing from the first)");
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
                if (g.promotable() && en.standby(g.id()) != org.tandemha.core.engine.StandbyState.NONE) {
                    sb.append("+standby");
                    if (en.standby(g.id()) != org.tandemha.core.engine.StandbyState.RUNNING) {
                        sb.append('(').append(en.standby(g.id())).append(')');
                    }
                }
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
            List<String> leftovers = sim.leftoversOn(g.id());
            if (!leftovers.isEmpty()) {
                sb.append(" leftovers=").append(String.join(",", leftovers));
            }
            if (unmanaged) {
                sb.append(" maintenance");
            }
            if (g.promotable()) {
                sb.append(" primaries=").append(sim.primaries(g.id()).isEmpty() ? "none" : String.join(",", sim.primaries(g.id())));
                List<String> pos = new java.util.ArrayList<>();
                for (String n : g.nodes()) {
                    pos.add(n + "@" + sim.position(n, g.id()));
                }
                sb.append(" copies=").append(String.join(",", pos));
            }
            lines.add(sb.toString());
        }
        return lines;
    }
}
