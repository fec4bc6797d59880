package org.tandemha.server.http;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written for the tests (the client library
 * writes the format but has no parser): every line must be a HELP, a TYPE or a sample; every sample must belong to a
 * family declared by TYPE before it (its name, or for a histogram {@code _bucket/_count/_sum}); label names and
 * escapes must be valid; no series may repeat; a histogram's buckets must grow and end with {@code le="+Inf"} equal
 * to its {@code _count}. Fails with the line number and the reason.
 */
final class PromText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( -?[0-9]+)?");
    private static final List<String> TYPES = List.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: its metric name, labels and value. */
    record Sample(String name, Map<String, String> labels, double value) {
        String label(String k) {
            return labels.get(k);
        }
    }

    final Map<String, String> types = new LinkedHashMap<>();
    final Map<String, String> help = new HashMap<>();
    final Map<String, Sample> series = new LinkedHashMap<>();

    static PromText parse(String text) {
        PromText p = new PromText();
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new AssertionError("the exposition does not end with a newline");
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            p.line(i + 1, lines[i]);
        }
        p.checkHistograms();
        return p;
    }

    private void line(int n, String l) {
        String where = "line " + n + " '" + l + "': ";
        if (l.isEmpty()) {
            return;
        }
        if (l.startsWith("# HELP ") || l.startsWith("# TYPE ")) {
            String[] f = l.substring(7).split(" ", 2);
            if (!NAME.matcher(f[0]).matches()) {
                throw new AssertionError(where + "bad metric name");
            }
            if (l.startsWith("# TYPE ")) {
                if (f.length != 2 || !TYPES.contains(f[1])) {
                    throw new AssertionError(where + "bad type");
                }
                if (types.put(f[0], f[1]) != null) {
                    throw new AssertionError(where + "second TYPE for " + f[0]);
                }
            } else if (help.put(f[0], f.length > 1 ? f[1] : "") != null) {
                throw new AssertionError(where + "second HELP for " + f[0]);
            }
            return;
        }
        if (l.startsWith("#")) {
            return; // a comment
        }
        Matcher m = SAMPLE.matcher(l);
        if (!m.matches()) {
            throw new AssertionError(where + "not a sample");
        }
        String name = m.group(1);
        String family = family(name);
        if (family == null) {
            throw new AssertionError(where + "no TYPE declared before this sample's family");
        }
        Map<String, String> labels = m.group(3) == null ? Map.of() : labels(where, m.group(3));
        double v = value(where, m.group(4));
        String key = name + new TreeMap<>(labels);
        if (series.put(key, new Sample(name, labels, v)) != null) {
            throw new AssertionError(where + "series repeated");
        }
    }

    private String family(String name) {
        if (types.containsKey(name) && !types.get(name).equals("histogram") && !types.get(name).equals("summary")) {
            return name;
        }
        for (String suffix : List.of("_total", "_created", "_bucket", "_count", "_sum")) {
            if (name.endsWith(suffix)) {
                String f = name.substring(0, name.length() - suffix.length());
                String t = types.get(f);
                if (t != null && (t.equals("counter") ? List.of("_total", "_created").contains(suffix)
                        : (t.equals("histogram") || t.equals("summary")) && !suffix.equals("_total"))) {
                    return f;
                }
            }
        }
        return null;
    }

    private static Map<String, String> labels(String where, String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        while (i < s.length()) {
            int eq = s.indexOf('=', i);
            if (eq < 0) {
                throw new AssertionError(where + "label without '='");
            }
            String k = s.substring(i, eq);
            if (!LABEL.matcher(k).matches()) {
                throw new AssertionError(where + "bad label name '" + k + "'");
            }
            if (eq + 1 >= s.length() || s.charAt(eq + 1) != '"') {
                throw new AssertionError(where + "label value not quoted");
            }
            StringBuilder v = new StringBuilder();
            int j = eq + 2;
            for (; ; j++) {
                if (j >= s.length()) {
                    throw new AssertionError(where + "unterminated label value");
                }
                char c = s.charAt(j);
                if (c == '"') {
                    break;
                }
                if (c == '\\') {
                    char e = s.charAt(++j);
                    v.append(switch (e) {
                        case '\\' -> '\\';
                        case '"' -> '"';
                        case 'n' -> '\n';
                        default -> throw new AssertionError(where + "bad escape \\" + e);
                    });
                } else {
                    v.append(c);
                }
            }
            if (out.put(k, v.toString()) != null) {
                throw new AssertionError(where + "label " + k + " repeated");
            }
            i = j + 1;
            if (i < s.length()) {
                if (s.charAt(i) != ',') {
                    throw new AssertionError(where + "labels not separated by ','");
                }
                i++;
            }
        }
        return out;
    }

    private static double value(String where, String s) {
        switch (s) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new AssertionError(where + "bad value '" + s + "'");
                }
        }
    }

    private void checkHistograms() {
        for (Map.Entry<String, String> t : types.entrySet()) {
            if (!t.getValue().equals("histogram")) {
                continue;
            }
            Map<Map<String, String>, double[]> last = new HashMap<>();
            for (Sample s : series.values()) {
                if (!s.name().equals(t.getKey() + "_bucket")) {
                    continue;
                }
                Map<String, String> rest = new TreeMap<>(s.labels());
                String le = rest.remove("le");
                if (le == null) {
                    throw new AssertionError(s + ": a bucket without le");
                }
                double[] prev = last.computeIfAbsent(rest, k -> new double[] {Double.NEGATIVE_INFINITY, -1});
                double bound = value("bucket", le);
                if (bound <= prev[0] || s.value() < prev[1]) {
                    throw new AssertionError(s + ": buckets must grow in le and in count");
                }
                prev[0] = bound;
                prev[1] = s.value();
            }
            for (Map.Entry<Map<String, String>, double[]> e : last.entrySet()) {
                if (e.getValue()[0] != Double.POSITIVE_INFINITY) {
                    throw new AssertionError(t.getKey() + e.getKey() + ": the last bucket is not le=\"+Inf\"");
                }
                Sample count = get(t.getKey() + "_count", e.getKey());
                if (count == null || count.value() != e.getValue()[1]) {
                    throw new AssertionError(t.getKey() + e.getKey() + ": _count differs from the +Inf bucket");
                }
            }
        }
    }

    /** The sample of this name with exactly these labels, or null. */
    Sample get(String name, Map<String, String> labels) {
        return series.get(name + new TreeMap<>(labels));
    }

    /** The value of the sample of this name with exactly these labels; fails if absent. */
    double value(String name, String... kv) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            labels.put(kv[i], kv[i + 1]);
        }
        Sample s = get(name, labels);
        if (s == null) {
            throw new AssertionError("no sample " + name + labels + " among " + series.keySet());
        }
        return s.value();
    }
}
