package org.tandemha.core.sim.whatif;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.engine.Input;
import org.tandemha.core.sim.SimCluster;

/**
 * The what-if event language: one event per line (or per command-line argument; {@code ;} also separates events).
 * Each is {@code [at TIME] EVENT}; TIME ({@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 2m}) counts from the start
 * of the simulation, and an event without {@code at} happens when the one before it did. Blank lines and lines
 * starting with {@code #} are ignored.
 *
 * <pre>
 * start all | start NODE... | boot NODE     every node / these nodes start (a fresh start does "start all" at 0s
 *                                           unless the events start nodes themselves) / one node (re)starts (joins)
 * crash NODE                                the machine dies (engine and resources)
 * crash-daemon NODE                         only the Tandem process dies; its resources keep running
 * shutdown NODE | pause NODE | resume NODE  orderly stop / SIGSTOP / SIGCONT
 * cut A B | cut-one-way A-&gt;B | heal A B | heal all     every heartbeat path A-B down (both ways / B stops hearing A) / back
 * loss A-&gt;B N% | reorder TIME              lossy path / messages overtake each other
 * arbiter down | arbiter up                 no arbiter answers / the arbiters tell the truth again
 * arbiter truth|disk-race|silent|dead|script   how the safety check answers (dead: every silent peer is dead)
 * arbiter unreachable from NODE             NODE's safety check reaches no arbiter (answers unknown)
 * arbiter answers NODE [about PEER] ANSWER ["reason"] [generation N] [fences]
 *                                           ANSWER: PEER_ALIVE|alive, PEER_DEAD|dead, WE_LOST|we-lost, UNKNOWN|unknown, nothing
 * fencer works|fails|hangs ["reason"]       how fencing goes from now on
 * check-fails|check-fails-once|check-hangs|start-fails|start-hangs|stop-fails|stop-hangs|recover-fails|healthy NODE GROUP RESOURCE
 * standby-lags|standby-start-fails NODE GROUP [RESOURCE]
 *                                           promotable groups: the standby on NODE stops receiving (its copy falls
 *                                           behind; a failover promotes the most advanced copy) / cannot be started
 *                                           (its rewind fails: an alarm, retried every 10 s); healthy clears either
 * kill NODE GROUP RESOURCE                  the resource's process dies once
 * switchover GROUP TARGET | switchback GROUP | maintenance GROUP on|off | clear GROUP   [on NODE]: where it is given
 *                                           (default: the node running the group, else its first node that is up)
 * store NODE fails|works | array forgets | duplicate NODE [elsewhere] | stop-duplicate NODE
 * show                                      print the state at that moment
 * run TIME                                  go on for TIME after the last event (default 30s)
 * </pre>
 * The scenario files' forms are accepted too: {@code fault NODE GROUP/RESOURCE KIND}, {@code command NODE KIND GROUP
 * [TARGET]}, {@code cut A -> B}, {@code crash-process NODE}, {@code arbiter NODE [about PEER] answers ANSWER ...};
 * GROUP RESOURCE may be written GROUP/RESOURCE. A bad event is refused with its position, its text and the fix.
 */
public final class WhatIfEvents {
    /** One parsed event: its position (1-based), its text, when it happens, and what it does. */
    public record Step(int position, String text, long atMs, Consumer<SimDriver> action) {
    }

    /** The parsed list: the steps and how long to run after the last one (-1: the caller's default). */
    public record Script(List<Step> steps, long runMs) {
    }

    private static final Pattern AT = Pattern.compile("(?i)^at\\s+(\\S+)\\s+(.*)$");
    static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");
    private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    /** The resource faults, each also an event of its own ({@code check-fails NODE GROUP RESOURCE}). */
    static final List<String> FAULT_WORDS = List.of("check-fails", "check-fails-once", "check-hangs", "start-fails",
            "start-hangs", "stop-fails", "stop-hangs", "recover-fails", "healthy");
    /** The faults of a promotable group's standby (its replicated resource; the resource may be left out). */
    static final List<String> STANDBY_FAULTS = List.of("standby-lags", "standby-start-fails");
    static final String FAULTS = String.join(", ", FAULT_WORDS) + ", " + String.join(", ", STANDBY_FAULTS);
    static final String KNOWN = "start all, boot, crash, crash-daemon, shutdown, pause, resume, cut, cut-one-way, heal,"
            + " loss, reorder, arbiter, fencer, " + FAULTS + ", kill, switchover, switchback, maintenance, clear,"
            + " store, array forgets, duplicate, stop-duplicate, show, run";

    final ClusterSpec spec;
    private int position;
    private String text;

    private WhatIfEvents(ClusterSpec spec) {
        this.spec = spec;
    }

    /** Parses events (each may hold several separated by {@code ;} or new lines); errors name the event and the fix. */
    public static Script parse(ClusterSpec spec, List<String> events) {
        WhatIfEvents p = new WhatIfEvents(spec);
        List<Step> steps = new ArrayList<>();
        long at = 0;
        long run = -1;
        for (String chunk : events) {
            for (String raw : split(chunk)) {
                String line = raw.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                p.position++;
                p.text = line;
                String body = line;
                Matcher m = AT.matcher(line);
                if (m.matches()) {
                    long t = p.time(m.group(1));
                    if (t < at) {
                        throw p.bad("it is at " + m.group(1) + ", before the event before it (" + seconds(at) + ")",
                                "list the events in time order");
                    }
                    at = t;
                    body = m.group(2).strip();
                } else if (line.toLowerCase(Locale.ROOT).startsWith("at ")) {
                    throw p.bad("'at' needs a time and an event", "write 'at 2s crash node1'");
                }
                List<String> w = words(body);
                if (w.get(0).equals("run")) {
                    p.need(w, 2, "run 30s");
                    run = p.time(w.get(1));
                    continue;
                }
                steps.add(new Step(p.position, body, at, p.action(body, w)));
            }
        }
        return new Script(List.copyOf(steps), run);
    }

    /** Splits at new lines and at {@code ;} outside double quotes. */
    private static List<String> split(String chunk) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : chunk.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == '\n' || (c == ';' && !quoted)) {
                out.add(cur.toString());
                cur.setLength(0);
                quoted = false;
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    static String seconds(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static List<String> words(String body) {
        String noQuotes = QUOTED.matcher(body).replaceAll("\"\"");
        return List.of(noQuotes.strip().split("\\s+"));
    }

    IllegalArgumentException bad(String problem, String fix) {
        return new IllegalArgumentException("event " + position + " ('" + text + "'): " + problem + "; fix: " + fix);
    }

    private long time(String s) {
        Matcher m = TIME.matcher(s.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw bad("'" + s + "' is not a time", "write a time such as 500ms, 2s, 1.5s or 2m");
        }
        double v = Double.parseDouble(m.group(1));
        return Math.round(v * switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            default -> 3_600_000;
        });
    }

    private void need(List<String> w, int n, String form) {
        if (w.size() != n) {
            throw bad(w.size() < n ? "something is missing" : "there is more than expected", "write '" + form + "'");
        }
    }

    String node(String n) {
        if (!spec.nodeIds().contains(n)) {
            throw bad("no node '" + n + "'", "use one of the configuration's nodes " + spec.nodeIds());
        }
        return n;
    }

    private GroupSpec group(String g) {
        return spec.group(g).orElseThrow(() -> bad("no group '" + g + "'", "use one of the configuration's groups "
                + spec.groups().stream().map(GroupSpec::id).toList()));
    }

    private String resource(GroupSpec g, String r) {
        if (g.resources().stream().noneMatch(x -> x.id().equals(r))) {
            throw bad("group " + g.id() + " has no resource '" + r + "'", "use one of "
                    + g.resources().stream().map(x -> x.id()).toList());
        }
        return r;
    }

    /** {@code GROUP RESOURCE} or {@code GROUP/RESOURCE} from index i: [group, resource, next index]. */
    private String[] groupResource(List<String> w, int i, String form) {
        if (i < w.size() && w.get(i).contains("/")) {
            String[] gr = w.get(i).split("/", 2);
            return new String[] {group(gr[0]).id(), resource(group(gr[0]), gr[1]), String.valueOf(i + 1)};
        }
        if (i + 1 >= w.size()) {
            throw bad("the group and resource are missing", "write '" + form + "'");
        }
        return new String[] {group(w.get(i)).id(), resource(group(w.get(i)), w.get(i + 1)), String.valueOf(i + 2)};
    }

    /** {@code A->B}, {@code A -> B} or {@code A B} from index 1: [from, to]. */
    private String[] arrow(List<String> w, String form) {
        String joined = String.join(" ", w.subList(1, w.size())).replace("->", " -> ");
        List<String> p = List.of(joined.strip().split("\\s+"));
        if (p.size() == 3 && p.get(1).equals("->")) {
            return new String[] {node(p.get(0)), node(p.get(2))};
        }
        if (p.size() == 2 && !w.get(0).equals("loss")) {
            return new String[] {node(p.get(0)), node(p.get(1))};
        }
        throw bad("the direction is not clear", "write '" + form + "' (the second no longer hears the first)");
    }

    private Consumer<SimDriver> action(String body, List<String> w) {
        String verb = w.get(0).toLowerCase(Locale.ROOT);
        switch (verb) {
            case "start" -> {
                if (w.size() < 2) {
                    throw bad("start what?", "write 'start all' or 'start NODE...'");
                }
                if (w.size() == 2 && w.get(1).equals("all")) {
                    return SimDriver::startAll;
                }
                List<String> ns = w.subList(1, w.size()).stream().map(this::node).toList();
                return d -> ns.forEach(d::boot);
            }
            case "boot" -> {
                need(w, 2, "boot NODE");
                String n = node(w.get(1));
                return d -> d.boot(n);
            }
            case "crash", "crash-daemon", "crash-process", "shutdown", "pause", "resume", "stop-duplicate" -> {
                need(w, 2, verb + " NODE");
                String n = node(w.get(1));
                return switch (verb) {
                    case "crash" -> d -> d.sim().crash(n);
                    case "crash-daemon", "crash-process" -> d -> d.sim().crashDaemon(n);
                    case "shutdown" -> d -> d.sim().shutdown(n);
                    case "pause" -> d -> d.sim().pause(n);
                    case "resume" -> d -> d.sim().resume(n);
                    default -> d -> d.sim().stopDuplicate(n);
                };
            }
            case "duplicate" -> {
                boolean elsewhere = w.size() == 3 && w.get(2).equals("elsewhere");
                need(w, elsewhere ? 3 : 2, "duplicate NODE [elsewhere]");
                String n = node(w.get(1));
                return d -> d.sim().duplicate(n, !elsewhere);
            }
            case "store" -> {
                need(w, 3, "store NODE fails|works");
                String n = node(w.get(1));
                if (!w.get(2).equals("fails") && !w.get(2).equals("works")) {
                    throw bad("'" + w.get(2) + "' is neither fails nor works", "write 'store NODE fails|works'");
                }
                boolean fails = w.get(2).equals("fails");
                return d -> d.sim().generationStoreFails(n, fails);
            }
            case "array" -> {
                need(w, 2, "array forgets");
                if (!w.get(1).equals("forgets")) {
                    throw bad("unknown array event '" + w.get(1) + "'", "write 'array forgets'");
                }
                return d -> d.sim().arrayForgets();
            }
            case "cut", "cut-one-way" -> {
                boolean oneWay = verb.equals("cut-one-way") || body.contains("->");
                if (oneWay) {
                    String[] ab = arrow(w, "cut-one-way NODE->NODE");
                    return d -> d.sim().cutOneWay(ab[0], ab[1]);
                }
                need(w, 3, "cut NODE NODE");
                String a = node(w.get(1));
                String b = node(w.get(2));
                return d -> d.sim().cut(a, b);
            }
            case "heal" -> {
                if (w.size() == 2 && w.get(1).equals("all")) {
                    return d -> d.sim().healAll();
                }
                need(w, 3, "heal NODE NODE | heal all");
                String a = node(w.get(1));
                String b = node(w.get(2));
                return d -> d.sim().heal(a, b);
            }
            case "loss" -> {
                String pct = w.get(w.size() - 1);
                if (w.size() < 3 || !pct.matches("\\d{1,3}%")) {
                    throw bad("the loss rate is missing or not a percentage", "write 'loss NODE->NODE 30%'");
                }
                String[] ab = arrow(w.subList(0, w.size() - 1), "loss NODE->NODE 30%");
                double rate = Integer.parseInt(pct.substring(0, pct.length() - 1)) / 100.0;
                return d -> d.sim().loss(ab[0], ab[1], rate);
            }
            case "reorder" -> {
                need(w, 2, "reorder TIME");
                long t = time(w.get(1));
                return d -> d.sim().reorder(t);
            }
            case "arbiter" -> {
                return ArbiterEvents.arbiter(this, body, w);
            }
            case "fencer" -> {
                return ArbiterEvents.fencer(this, body, w);
            }
            case "fault" -> {
                need(w, 4, "fault NODE GROUP/RESOURCE KIND");
                String n = node(w.get(1));
                String[] gr = groupResource(w, 2, "fault NODE GROUP/RESOURCE KIND");
                SimCluster.Fault f = fault(w.get(3));
                standbyFault(f, n, gr[0], gr[1]);
                return d -> d.sim().fault(n, gr[0], gr[1], f);
            }
            case "kill" -> {
                String n = node(w.size() > 1 ? w.get(1) : "");
                String[] gr = groupResource(w, 2, "kill NODE GROUP RESOURCE");
                need(w, Integer.parseInt(gr[2]), "kill NODE GROUP RESOURCE");
                return d -> d.sim().kill(n, gr[0], gr[1]);
            }
            case "command" -> {
                if (w.size() < 4 || w.size() > 5) {
                    throw bad("a command needs a node, a kind and a group", "write 'command NODE KIND GROUP [TARGET]'");
                }
                String n = node(w.get(1));
                Input.Command.Kind kind = commandKind(w.get(2));
                String g = group(w.get(3)).id();
                String target = w.size() == 5 ? node(w.get(4)) : null;
                String label = String.join(" ", w.subList(1, w.size()));
                return d -> d.command(n, kind, g, target, label);
            }
            case "switchover", "switchback", "maintenance", "clear" -> {
                return command(verb, w);
            }
            case "show" -> {
                need(w, 1, "show");
                return SimDriver::show;
            }
            default -> {
                if (FAULT_WORDS.contains(verb)) {
                    String n = node(w.size() > 1 ? w.get(1) : "");
                    String[] gr = groupResource(w, 2, verb + " NODE GROUP RESOURCE");
                    need(w, Integer.parseInt(gr[2]), verb + " NODE GROUP RESOURCE");
                    SimCluster.Fault f = fault(verb);
                    return d -> d.sim().fault(n, gr[0], gr[1], f);
                }
                if (STANDBY_FAULTS.contains(verb)) {
                    String form = verb + " NODE GROUP [RESOURCE]";
                    String n = node(w.size() > 1 ? w.get(1) : "");
                    SimCluster.Fault f = fault(verb);
                    if (w.size() == 3 && !w.get(2).contains("/")) {
                        GroupSpec g = group(w.get(2));
                        String r = g.promotableResource() != null ? g.promotableResource() : "";
                        standbyFault(f, n, g.id(), r);
                        return d -> d.sim().fault(n, g.id(), r, f);
                    }
                    String[] gr = groupResource(w, 2, form);
                    need(w, Integer.parseInt(gr[2]), form);
                    standbyFault(f, n, gr[0], gr[1]);
                    return d -> d.sim().fault(n, gr[0], gr[1], f);
                }
                throw bad("unknown event '" + w.get(0) + "'", "use one of: " + KNOWN);
            }
        }
    }

    private SimCluster.Fault fault(String word) {
        String name = word.equals("healthy") ? "NONE" : word.toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return SimCluster.Fault.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw bad("unknown resource fault '" + word + "'", "use one of: " + FAULTS);
        }
    }

    /** A standby's fault is for a promotable group's replicated resource, on a node of the group. */
    private void standbyFault(SimCluster.Fault f, String node, String group, String resource) {
        if (f != SimCluster.Fault.STANDBY_LAGS && f != SimCluster.Fault.STANDBY_START_FAILS) {
            return;
        }
        GroupSpec g = group(group);
        String word = f.name().toLowerCase(Locale.ROOT).replace('_', '-');
        if (!g.promotable()) {
            throw bad("group " + group + " is not promotable: it has no standbys", "use " + word + " on a group with"
                    + " promotable: true (its first resource runs as primary on one node and as a standby elsewhere)");
        }
        if (!resource.equals(g.promotableResource())) {
            throw bad("resource " + group + "/" + resource + " is not the replicated resource of group " + group,
                    "write '" + word + " " + node + " " + group + "' or name " + g.promotableResource());
        }
        if (!g.nodes().contains(node)) {
            throw bad("node " + node + " is not a node of group " + group + ": it has no standby of it",
                    "use one of " + g.nodes());
        }
    }

    private Input.Command.Kind commandKind(String word) {
        try {
            return Input.Command.Kind.valueOf(word.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw bad("unknown command '" + word + "'", "use switchover, switchback, maintenance-on, maintenance-off, clear,"
                    + " promote-dr-preview, promote-dr or promote-dr-fence (the DR node as the target)");
        }
    }

    /** {@code switchover GROUP TARGET}, {@code switchback GROUP}, {@code maintenance GROUP on|off}, {@code clear GROUP}, each [on NODE]. */
    private Consumer<SimDriver> command(String verb, List<String> w) {
        List<String> a = new ArrayList<>(w);
        String on = null;
        if (a.size() >= 4 && a.get(a.size() - 2).equals("on") && spec.nodeIds().contains(a.get(a.size() - 1))) {
            on = a.remove(a.size() - 1);
            a.remove(a.size() - 1);
        }
        String form = switch (verb) {
            case "switchover" -> "switchover GROUP TARGET [on NODE]";
            case "maintenance" -> "maintenance GROUP on|off [on NODE]";
            default -> verb + " GROUP [on NODE]";
        };
        need(a, verb.equals("switchover") || verb.equals("maintenance") ? 3 : 2, form);
        String g = group(a.get(1)).id();
        String target = null;
        Input.Command.Kind kind = switch (verb) {
            case "switchover" -> {
                target = node(a.get(2));
                yield Input.Command.Kind.SWITCHOVER;
            }
            case "switchback" -> Input.Command.Kind.SWITCHBACK;
            case "clear" -> Input.Command.Kind.CLEAR;
            default -> switch (a.get(2)) {
                case "on" -> Input.Command.Kind.MAINTENANCE_ON;
                case "off" -> Input.Command.Kind.MAINTENANCE_OFF;
                default -> throw bad("maintenance is turned 'on' or 'off', not '" + a.get(2) + "'", "write '" + form + "'");
            };
        };
        String node = on;
        String t = target;
        String label = String.join(" ", a);
        return d -> d.command(node, kind, g, t, label);
    }
}
