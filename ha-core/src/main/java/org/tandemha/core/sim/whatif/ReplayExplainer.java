package org.tandemha.core.sim.whatif;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.EventKind;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.journal.JournalReader;
import org.tandemha.core.journal.Replay;

/**
 * Replays a node's journal and explains one decision: what the engine did at that step (the events it emitted,
 * which already say why, and the actions it took), the rule that fired (from the kind of event), and the inputs that
 * led to it: the step's own input and the last relevant ones before it (peer silence, safety verdicts, what peers
 * announced and acknowledged, failed checks and actions, commands), routine ones (ticks, passing checks) left out.
 */
public final class ReplayExplainer {
    /** The events that make a step a decision. */
    static final Set<EventKind> DECISIONS = Set.of(EventKind.GROUP_CLAIMED, EventKind.FAILOVER_STARTED,
            EventKind.SWITCHOVER_STARTED, EventKind.STAND_DOWN, EventKind.FENCE, EventKind.RECOVERY_ATTEMPTED,
            EventKind.RECOVERY_FAILED, EventKind.SAFETY_CHECK, EventKind.CLUSTER_DEGRADED, EventKind.COMMAND_REFUSED,
            EventKind.MAINTENANCE);

    /** One explained decision. */
    public record Explanation(String node, long t, Instant wall, String trigger, List<String> events, List<String> actions,
                              List<String> rules, List<String> inputs) {
        public String text() {
            StringBuilder sb = new StringBuilder("decision of ").append(node).append(" at ").append(wall).append(" (t=")
                    .append(t).append(" ms), on: ").append(trigger).append('\n');
            sb.append("what it decided:\n");
            events.forEach(e -> sb.append("  ").append(e).append('\n'));
            actions.forEach(a -> sb.append("  action: ").append(a).append('\n'));
            sb.append("rule that fired:\n");
            rules.forEach(r -> sb.append("  ").append(r).append('\n'));
            sb.append("inputs that led to it (oldest first):\n");
            inputs.forEach(i -> sb.append("  ").append(i).append('\n'));
            return sb.toString();
        }
    }

    private ReplayExplainer() {
    }

    /** {@code replay --journal DIR --config FILE [--at TIME] [--inputs N] [--list] [--json]}. */
    static int command(List<String> argv, PrintStream out) throws IOException, InvalidConfigException {
        WhatIfTool.Args a = new WhatIfTool.Args(argv, List.of("--journal", "--config", "--at", "--inputs"),
                List.of("--json", "--list"));
        if (!a.rest.isEmpty()) {
            throw new WhatIfTool.Usage("unexpected '" + a.rest.get(0) + "' (fix: replay --journal DIR --config FILE [--at TIME])");
        }
        Path dir = Path.of(a.required("--journal", "DIR"));
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no journal directory " + dir + " (fix: give the node's journal directory,"
                    + " under its state directory)");
        }
        ClusterSpec spec = ConfigLoader.load(Path.of(a.required("--config", "FILE (the configuration the node ran with)")), null);
        List<Replay.Step> steps = replay(spec, dir);
        if (a.flags.contains("--list")) {
            for (Replay.Step s : steps) {
                if (isDecision(s)) {
                    out.println(wall(s) + "  t=" + s.entry().t() + "  " + String.join(" | ", events(s)));
                }
            }
            return 0;
        }
        Explanation e = explain(steps, at(a.one("--at", null)), a.number("--inputs", 8));
        if (a.flags.contains("--json")) {
            var m = new com.fasterxml.jackson.databind.ObjectMapper();
            out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(e));
        } else {
            out.print(e.text());
        }
        return 0;
    }

    /** {@code --at}: an ISO instant (compared with wall time) or {@code t=MS} (engine time); null: the last decision. */
    record At(Instant wall, Long engineMs) {
    }

    static At at(String s) {
        if (s == null) {
            return null;
        }
        if (s.startsWith("t=")) {
            try {
                return new At(null, Long.parseLong(s.substring(2)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--at " + s + ": not an engine time (fix: t=12345, in ms)");
            }
        }
        try {
            return new At(Instant.parse(s), null);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--at " + s + ": not a time (fix: an ISO instant such as"
                    + " 2026-12-06T03:12:00Z, or the engine time t=12345)");
        }
    }

    /** Replays every segment of the journal with the configuration the node ran with. */
    public static List<Replay.Step> replay(ClusterSpec spec, Path dir) throws IOException {
        List<JournalReader.Segment> segments = JournalReader.readAll(dir);
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("no journal segments in " + dir + " (fix: give the node's journal directory)");
        }
        long wallBase = segments.stream().filter(s -> s.header() != null).mapToLong(s -> s.header().wallBase()).findFirst()
                .orElse(0);
        return Replay.replay(segments, snap -> {
            if (snap == null) {
                throw new IllegalArgumentException("the journal's first segment has no engine snapshot and does not start"
                        + " at the node's boot: it cannot be replayed");
            }
            return Engine.restore(spec, SnapshotJson.fromTree(snap), ms -> Instant.ofEpochMilli(wallBase + ms));
        });
    }

    /** Explains the first decision at or after {@code at} (null: the last takeover or claim, else the last decision). */
    public static Explanation explain(List<Replay.Step> steps, At at, int inputs) {
        int idx = -1;
        boolean claimed = false;
        for (int i = 0; i < steps.size(); i++) {
            Replay.Step s = steps.get(i);
            if (!isDecision(s)) {
                continue;
            }
            if (at == null) {
                boolean claim = kinds(s).contains(EventKind.FAILOVER_STARTED) || kinds(s).contains(EventKind.GROUP_CLAIMED);
                if (claim || idx < 0 || !claimed) {
                    idx = i;
                    claimed |= claim;
                }
            } else if (at.engineMs() != null ? s.entry().t() >= at.engineMs() : !wall(s).isBefore(at.wall())) {
                idx = i;
                break;
            }
        }
        if (idx < 0) {
            throw new IllegalArgumentException("the journal holds no decision" + (at == null ? "" : " at or after "
                    + (at.wall() != null ? at.wall() : "t=" + at.engineMs())) + " (fix: an earlier --at, or --list to see them)");
        }
        Replay.Step d = steps.get(idx);
        List<String> before = new ArrayList<>();
        for (int i = idx - 1; i >= 0 && before.size() < inputs - 1; i--) {
            String r = relevant(steps.get(i).entry().input());
            if (r != null) {
                before.add(0, "t=" + steps.get(i).entry().t() + "  " + r);
            }
        }
        String trig = describe(d.entry().input());
        before.add("t=" + d.entry().t() + "  " + trig + "   <- this step");
        List<String> actions = new ArrayList<>();
        for (Action a : d.actions()) {
            if (a instanceof Action.RunResource r) {
                actions.add(r.op().name().toLowerCase() + " " + r.group() + "/" + r.resource() + " at generation " + r.generation());
            } else if (a instanceof Action.RunSafetyCheck sc) {
                actions.add("run the safety check about " + sc.peer());
            } else if (a instanceof Action.FencePeer f) {
                actions.add("fence " + f.peer());
            } else if (a instanceof Action.Announce an) {
                actions.add("announce " + announcement(an.announcement()));
            }
        }
        List<String> rules = new ArrayList<>();
        for (EventKind k : kinds(d)) {
            String r = rule(k, d);
            if (r != null && !rules.contains(r)) {
                rules.add(r);
            }
        }
        return new Explanation(d.entry().input() == null ? "?" : node(d), d.entry().t(), wall(d), trig, events(d), actions,
                rules, before);
    }

    private static String node(Replay.Step s) {
        for (Action a : s.actions()) {
            if (a instanceof Action.Emit e) {
                return e.event().node();
            }
        }
        return "?";
    }

    private static boolean isDecision(Replay.Step s) {
        return kinds(s).stream().anyMatch(DECISIONS::contains);
    }

    private static List<EventKind> kinds(Replay.Step s) {
        return s.actions().stream().filter(a -> a instanceof Action.Emit).map(a -> ((Action.Emit) a).event().kind()).toList();
    }

    private static List<String> events(Replay.Step s) {
        List<String> l = new ArrayList<>();
        for (Action a : s.actions()) {
            if (a instanceof Action.Emit e) {
                ClusterEvent ev = e.event();
                l.add(ev.kind() + (ev.group() == null ? "" : " " + ev.group()) + ": " + ev.message());
            }
        }
        return l;
    }

    private static Instant wall(Replay.Step s) {
        for (Action a : s.actions()) {
            if (a instanceof Action.Emit e) {
                return e.event().time();
            }
        }
        return Instant.ofEpochMilli(s.entry().t());
    }

    /** The rule behind an event kind, in the terms of the README's takeover protocol. */
    static String rule(EventKind k, Replay.Step d) {
        String msg = String.join(" ", events(d));
        return switch (k) {
            case FAILOVER_STARTED -> msg.contains("gave it up")
                    ? "failover: the node ahead in the priority list gave the group up; the next node claims it at a new generation"
                    : "takeover: every heartbeat path to the holder is down and the safety check said it is dead or fenced;"
                    + " the group is taken at a new generation (the fencing token)";
            case GROUP_CLAIMED -> "ownership: a node starts a group only after it claimed a new generation and every other"
                    + " node of the group acknowledged it, or the safety check declared that node dead or fenced";
            case SAFETY_CHECK -> "safety check: a silent peer's groups are taken over only on 'dead or fenced'; 'alive' or"
                    + " 'unknown' moves nothing (asked again after 0.5 s, 1 s, 2 s, then every 4 s); 'we lost' stands down";
            case STAND_DOWN -> "stand down: a node that lost (the safety check said so, its reservation was preempted, or it"
                    + " has no quorum) stops every group at once and takes nothing until it hears its peers";
            case RECOVERY_ATTEMPTED, RECOVERY_FAILED -> "health: a failed check is recovered locally up to the group's"
                    + " recovery limit in its window; then the group fails over to the next node";
            case FENCE -> "fencing: a node whose stop failed must be fenced before its group may start elsewhere";
            case CLUSTER_DEGRADED -> "degraded: every path to a peer is down but the peer is alive: nothing moves";
            case SWITCHOVER_STARTED -> "switchover: an operator's command stops the group here (top-down) and hands it over";
            case COMMAND_REFUSED -> "command refused: the state does not allow it (the reason is in the event)";
            case MAINTENANCE -> "maintenance: the group is unmanaged; the engine neither starts nor stops it";
            default -> null;
        };
    }

    /** An input worth showing as a cause, described; null for routine ones (ticks, passing checks, clean actions). */
    static String relevant(Input in) {
        if (in instanceof Input.Tick || in instanceof Input.Fact) {
            return null;
        }
        if (in instanceof Input.CheckDone c && c.result().health().name().equals("OK")) {
            return null;
        }
        if (in instanceof Input.ActionDone a && a.result().isDone()) {
            return null;
        }
        return describe(in);
    }

    static String describe(Input in) {
        if (in instanceof Input.SafetyDone s) {
            return "safety check verdict about " + s.peer() + ": " + s.verdict().answer() + " (" + s.verdict().reason() + ")"
                    + (s.verdict().generation() > 0 ? ", arbiters' generation " + s.verdict().generation() : "");
        } else if (in instanceof Input.PeerUnreachable u) {
            return "peer silence: " + u.peer() + " unreachable on every path (" + u.reason() + ")";
        } else if (in instanceof Input.PeerReachable r) {
            return "peer " + r.peer() + " reachable (incarnation " + r.incarnation() + ")";
        } else if (in instanceof Input.PeerState p) {
            return p.peer() + " announces " + announcement(p.announcement());
        } else if (in instanceof Input.CheckDone c) {
            return "check result #" + c.id() + ": " + c.result().health() + " (" + c.result().reason() + ")";
        } else if (in instanceof Input.ActionDone a) {
            return "action #" + a.id() + " " + a.result().outcome() + " (" + a.result().reason() + ")";
        } else if (in instanceof Input.FenceDone f) {
            return "fencing of " + f.peer() + ": " + f.result().outcome() + " (" + f.result().reason() + ")";
        } else if (in instanceof Input.Command c) {
            return "operator command " + c.kind() + " " + c.group() + (c.target() == null ? "" : " " + c.target());
        } else if (in instanceof Input.Tick) {
            return "timer (a deadline or a retry came due)";
        }
        String s = String.valueOf(in);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static String announcement(Announcement a) {
        if (a == null) {
            return "nothing";
        }
        Map<String, String> gs = new LinkedHashMap<>();
        for (Announcement.GroupAnn g : a.groups()) {
            gs.put(g.group(), g.state() + (g.gen() > 0 ? " generation " + g.gen() : "")
                    + (g.ackGen() > 0 ? ", acknowledges " + g.ackNode() + "'s claim of generation " + g.ackGen() : "")
                    + (g.blocked() ? ", blocked" : "") + (g.handoff() != null ? ", handed to " + g.handoff() : ""));
        }
        return (a.leaving() ? "(leaving) " : "") + (a.standingDown() ? "(standing down) " : "") + gs;
    }
}
