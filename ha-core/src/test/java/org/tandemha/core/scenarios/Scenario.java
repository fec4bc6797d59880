package org.tandemha.core.scenarios;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.SimCluster;

/**
 * One parsed scenario file: a small cluster, a script of timed steps, and the expected transcript and final
 * state. The format is described in {@code src/test/resources/scenarios/README.md}.
 */
final class Scenario {
    static final String EXPECT_EVENTS = "expect events:";
    static final String EXPECT_AFTER = "expect after:";

    record GroupDef(String id, List<String> nodes, List<String> resources, SwitchbackPolicy switchback,
                    int maxRecoveries, Duration settle, Duration recoveryWindow, boolean promotable, List<String> dr,
                    boolean drAutoPromote) {
    }

    /** One line of the script: at {@code atMs}, do {@code words}. */
    record Step(long atMs, String text, List<String> words, int line) {
    }

    final String file;
    String title = "";
    final List<String> nodes = new ArrayList<>();
    final List<GroupDef> groups = new ArrayList<>();
    SimCluster.ArbiterMode arbiter = SimCluster.ArbiterMode.TRUTH;
    /** {@code arbiter: script}: the safety check answers what the script's arbiter steps say. */
    boolean scriptedArbiter;
    /** {@code fencing: on}: fencing methods are configured, so a peer whose stop failed may be fenced. */
    boolean fencing;
    long seed = 1;
    final List<Step> steps = new ArrayList<>();
    long runMs = -1;
    /** Set when the expected text is what the engine SHOULD do but does not yet: the reason. */
    String disputed;
    /** Everything before the first expect section, verbatim (kept when the file is rewritten). */
    final List<String> head = new ArrayList<>();
    final List<String> expectedEvents = new ArrayList<>();
    final List<String> expectedAfter = new ArrayList<>();
    boolean hasExpectations;
    /** The file line of each expected line, headers included, in file order (for the diff's hunk headers). */
    final List<Integer> expectedLineNumbers = new ArrayList<>();

    private Scenario(String file) {
        this.file = file;
    }

    static Scenario parse(String file, List<String> lines) {
        Scenario s = new Scenario(file);
        List<String> section = null;
        long lastAt = 0;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String line = raw.strip();
            int no = i + 1;
            if (line.equals(EXPECT_EVENTS)) {
                if (section != null) {
                    throw new IllegalArgumentException(file + ":" + no + ": 'expect events:' must come before 'expect after:', once");
                }
                s.expectedLineNumbers.add(no);
                section = s.expectedEvents;
                s.hasExpectations = true;
                continue;
            }
            if (line.equals(EXPECT_AFTER)) {
                if (section != s.expectedEvents) {
                    throw new IllegalArgumentException(file + ":" + no + ": 'expect after:' must follow 'expect events:', once");
                }
                s.expectedLineNumbers.add(no);
                section = s.expectedAfter;
                s.hasExpectations = true;
                continue;
            }
            if (section != null) {
                if (!line.isEmpty()) {
                    section.add(stripIndent(raw));
                    s.expectedLineNumbers.add(no);
                }
                continue;
            }
            s.head.add(raw);
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                if (s.title.isEmpty()) {
                    s.title = line.substring(1).strip();
                }
                continue;
            }
            List<String> words = List.of(line.split("\\s+"));
            String key = words.get(0);
            try {
                switch (key) {
                    case "nodes:" -> s.nodes.addAll(words.subList(1, words.size()));
                    case "group" -> s.groups.add(group(words));
                    case "arbiter:" -> {
                        if (words.get(1).equals("script")) {
                            s.scriptedArbiter = true;
                        } else {
                            s.arbiter = arbiterMode(words.get(1));
                        }
                    }
                    case "fencing:" -> s.fencing = onOff(words.get(1));
                    case "seed:" -> s.seed = Long.parseLong(words.get(1));
                    case "at" -> {
                        long at = millis(words.get(1));
                        if (at < lastAt) {
                            throw new IllegalArgumentException("steps must be in time order: " + words.get(1)
                                    + " comes after " + lastAt + " ms");
                        }
                        lastAt = at;
                        List<String> rest = words.subList(2, words.size());
                        if (rest.isEmpty()) {
                            throw new IllegalArgumentException("'at' needs a step after the time");
                        }
                        s.steps.add(new Step(at, String.join(" ", rest), List.copyOf(rest), no));
                    }
                    case "run" -> s.runMs = millis(words.get(1));
                    case "disputed:" -> s.disputed = line.substring("disputed:".length()).strip();
                    default -> throw new IllegalArgumentException("unknown line; expected nodes:, group, arbiter:, fencing:,"
                            + " seed:, at, run, disputed:, expect events: or expect after:");
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ":" + no + ": " + e.getMessage() + "\n  " + line, e);
            }
        }
        if (s.nodes.isEmpty() || s.groups.isEmpty()) {
            throw new IllegalArgumentException(file + ": needs a 'nodes:' line and at least one 'group' line");
        }
        if (s.runMs < 0) {
            throw new IllegalArgumentException(file + ": needs a 'run <duration>' line (how long to run after the last step)");
        }
        return s;
    }

    private static String stripIndent(String raw) {
        int n = 0;
        while (n < 2 && n < raw.length() && raw.charAt(n) == ' ') {
            n++;
        }
        return raw.substring(n).stripTrailing();
    }

    /** {@code group web: nodes=node1,node2 resources=ip,app switchback=administrator maxRecoveries=2 settle=3s}. */
    private static GroupDef group(List<String> w) {
        if (w.size() < 2 || !w.get(1).endsWith(":")) {
            throw new IllegalArgumentException("write 'group <name>: nodes=a,b resources=x,y ...'");
        }
        String id = w.get(1).substring(0, w.get(1).length() - 1);
        List<String> nodes = null;
        List<String> res = null;
        SwitchbackPolicy sb = SwitchbackPolicy.ADMINISTRATOR;
        int max = 2;
        Duration settle = Duration.ofSeconds(3);
        Duration window = Duration.ofMinutes(10);
        boolean promotable = false;
        List<String> dr = List.of();
        boolean drAuto = false;
        for (String kv : w.subList(2, w.size())) {
            int eq = kv.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + kv + "' is not key=value");
            }
            String k = kv.substring(0, eq);
            String v = kv.substring(eq + 1);
            switch (k) {
                case "nodes" -> nodes = List.of(v.split(","));
                case "resources" -> res = List.of(v.split(","));
                case "switchback" -> sb = SwitchbackPolicy.valueOf(enumName(v));
                case "maxRecoveries" -> max = Integer.parseInt(v);
                case "settle" -> settle = Duration.ofMillis(millis(v));
                case "recoveryWindow" -> window = Duration.ofMillis(millis(v));
                case "promotable" -> promotable = onOff(v.equals("true") ? "on" : v.equals("false") ? "off" : v);
                case "dr" -> dr = List.of(v.split(","));
                case "drAutoPromote" -> drAuto = onOff(v.equals("true") ? "on" : v.equals("false") ? "off" : v);
                default -> throw new IllegalArgumentException("unknown group setting '" + k + "'; known: nodes, resources,"
                        + " switchback, maxRecoveries, settle, recoveryWindow, promotable, dr, drAutoPromote");
            }
        }
        if (nodes == null || res == null) {
            throw new IllegalArgumentException("group " + id + " needs nodes= and resources=");
        }
        return new GroupDef(id, nodes, res, sb, max, settle, window, promotable, dr, drAuto);
    }

    static SimCluster.ArbiterMode arbiterMode(String word) {
        try {
            return SimCluster.ArbiterMode.valueOf(enumName(word));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown arbiter '" + word + "'; write truth, disk-race, silent or script");
        }
    }

    private static boolean onOff(String word) {
        return switch (word) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("'" + word + "' is not on or off");
        };
    }

    static String enumName(String word) {
        return word.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** {@code 10s}, {@code 1.5s}, {@code 500ms}, {@code 2m}. */
    static long millis(String d) {
        try {
            if (d.endsWith("ms")) {
                return Long.parseLong(d.substring(0, d.length() - 2));
            }
            if (d.endsWith("s")) {
                return Math.round(Double.parseDouble(d.substring(0, d.length() - 1)) * 1000);
            }
            if (d.endsWith("m")) {
                return Math.round(Double.parseDouble(d.substring(0, d.length() - 1)) * 60_000);
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("'" + d + "' is not a duration; write e.g. 500ms, 10s, 1.5s or 2m");
    }

    static String formatMillis(long ms) {
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
