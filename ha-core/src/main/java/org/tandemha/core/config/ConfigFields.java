package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.tandemha.api.Durations;
import org.tandemha.api.Problem;

/**
 * What every part of the configuration reader shares: typed access to a parsed tree (names, numbers, durations, lists,
 * free maps), with one problem recorded for each bad value and a harmless default returned instead, and the wording of
 * those problems (the field's path, "did you mean", how a value is shown). Never throws for bad input.
 */
abstract class ConfigFields {
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    static final Duration MAX_DURATION = Duration.ofDays(365);
    static final String DURATION_FORMS = "write it with a unit, like 200ms, 5s, 1m30s or 2h";
    static final String ID_FIX = "use 1 to 64 letters, digits, '_', '.' or '-'";

    final List<Problem> problems;

    ConfigFields(List<Problem> problems) {
        this.problems = problems;
    }

    final void problem(String field, String message, String fix) {
        problems.add(new Problem(field, message, fix));
    }

    // ---- typed access ----

    static JsonNode present(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n;
    }

    boolean object(JsonNode n, String at) {
        if (n != null && n.isObject()) {
            return true;
        }
        problem(at, "expected a map of fields, found " + kind(n), "write the fields of " + at + " as key: value lines");
        return false;
    }

    List<JsonNode> list(JsonNode n, String at, boolean required, int min, String fix) {
        n = present(n);
        if (n == null) {
            if (required) {
                problem(at, "missing required field '" + last(at) + "'", fix);
            }
            return List.of();
        }
        if (!n.isArray()) {
            problem(at, "expected a list, found " + kind(n), "write " + last(at) + " as a list ([a, b] or lines starting with '- ')");
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>();
        n.forEach(out::add);
        if (out.size() < min) {
            problem(at, "at least " + min + (min == 1 ? " entry is" : " entries are") + " required, found " + out.size(), fix);
        }
        return out;
    }

    String id(JsonNode n, String key, String at, boolean required) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            if (required) {
                problem(at, "missing required field '" + key + "'", "add " + key + ": <name> (" + ID_FIX + ")");
            }
            return null;
        }
        if (!v.isValueNode()) {
            problem(at, "expected a name, found " + kind(v), "write " + key + ": <name> (" + ID_FIX + ")");
            return null;
        }
        String s = v.asText();
        if (!ID.matcher(s).matches()) {
            problem(at, "invalid " + key + " " + show(v), ID_FIX);
            return null;
        }
        return s;
    }

    int integer(JsonNode n, String key, String at, int dflt, int min, int max) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            problem(at, (v.isIntegralNumber() ? "out of range: " : "expected a whole number, found ") + show(v),
                    "use a whole number from " + min + " to " + max);
            return dflt;
        }
        return v.intValue();
    }

    boolean bool(JsonNode n, String key, String at, boolean dflt) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            problem(at, "expected true or false, found " + show(v), "write " + key + ": true or " + key + ": false");
            return dflt;
        }
        return v.booleanValue();
    }

    Duration duration(JsonNode n, String key, String at, Duration dflt) {
        JsonNode v = present(n.get(key));
        if (v == null) {
            return dflt;
        }
        if (v.isNumber()) {
            problem(at, "'" + v.asText() + "' has no unit; the unit is required", DURATION_FORMS
                    + " (for example " + v.asText() + "ms or " + v.asText() + "s)");
            return dflt;
        }
        if (!v.isTextual()) {
            problem(at, "expected a duration, found " + kind(v), DURATION_FORMS);
            return dflt;
        }
        Duration d;
        try {
            d = Durations.parse(v.asText());
        } catch (RuntimeException e) {
            String m = e.getMessage();
            if (m != null && m.contains("is negative")) {
                problem(at, "must be greater than zero, found " + show(v), DURATION_FORMS + ", greater than zero");
                return dflt;
            }
            problem(at, m != null && m.startsWith("'") ? ConfigLoader.clean(m.replace("; write it like 200ms, 5s, 1m30s or 2h", ""))
                    : "'" + ConfigLoader.clean(v.asText()) + "' is not a duration", DURATION_FORMS);
            return dflt;
        }
        if (d.isZero() || d.isNegative()) {
            problem(at, "must be greater than zero, found " + show(v), DURATION_FORMS + ", greater than zero");
            return dflt;
        }
        if (d.compareTo(MAX_DURATION) > 0) {
            problem(at, "too long: " + show(v) + " (at most 365d)", "use a duration of at most 365d");
            return dflt;
        }
        return d;
    }

    Map<String, Object> freeMap(JsonNode n, String at) {
        n = present(n);
        if (n == null) {
            return Map.of();
        }
        if (!n.isObject()) {
            problem(at, "expected a map, found " + kind(n), "write " + last(at) + " as key: value lines, or {} when empty");
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) plain(n);
        return m;
    }

    /** Converts a tree to plain Java values: maps, lists, strings, numbers, booleans, null. */
    static Object plain(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.fields().forEachRemaining(e -> m.put(e.getKey(), plain(e.getValue())));
            return Collections.unmodifiableMap(m);
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(plain(e)));
            return Collections.unmodifiableList(l);
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber()) {
            return n.canConvertToInt() ? (Object) n.intValue() : n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isBinary()) {
            return Base64.getEncoder().encodeToString(binary(n));
        }
        return n.asText();
    }

    static byte[] binary(JsonNode n) {
        try {
            return n.binaryValue();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    // ---- names and messages ----

    void knownFields(JsonNode n, String at, List<String> known) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (known.contains(f)) {
                continue;
            }
            String where = at.isEmpty() ? "the top level" : at;
            String best = closest(f, known);
            String shown = safe(f);
            String field = shown.isBlank() ? (at.isEmpty() ? "(top level)" : at) : at.isEmpty() ? shown : at + "." + shown;
            if (best != null) {
                problem(field, "unknown field '" + shown + "' in " + where
                        + "; did you mean '" + best + "'?", "rename it to '" + best + "', or remove it");
            } else {
                problem(field, (shown.isBlank() ? "a field with an empty name" : "unknown field '" + shown + "'") + " in " + where,
                        "remove it; the fields accepted here are: " + String.join(", ", known));
            }
        }
    }

    static String suggestion(String s, Set<String> candidates) {
        String best = closest(s, candidates);
        return best == null ? "" : "; did you mean '" + best + "'?";
    }

    /** The candidate nearest to s by edit distance (ignoring case), if near enough to be a likely typo. */
    static String closest(String s, java.util.Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String a = s.toLowerCase(Locale.ROOT);
        for (String c : candidates) {
            int d = distance(a, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        if (best == null || s.length() > 100) {
            return null;
        }
        int limit = Math.max(2, Math.min(s.length(), best.length()) / 3);
        return bestDistance <= limit ? best : null;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The label of a list entry: its id when it has a valid one, else its index. */
    static String label(JsonNode n, String idKey, int index) {
        JsonNode v = n == null || !n.isObject() ? null : n.get(idKey);
        if (v != null && v.isValueNode() && !v.isNull() && ID.matcher(v.asText()).matches()) {
            return v.asText();
        }
        return String.valueOf(index);
    }

    static String last(String at) {
        int dot = at.lastIndexOf('.');
        return dot < 0 ? at : at.substring(dot + 1);
    }

    static String kind(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "nothing";
        }
        if (n.isObject()) {
            return "a map";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isBoolean()) {
            return "a boolean (" + n.asText() + ")";
        }
        if (n.isNumber()) {
            return "a number (" + n.asText() + ")";
        }
        return "the text " + show(n);
    }

    static String safe(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?").replace('`', '\'');
    }

    static String show(JsonNode n) {
        if (n == null || n.isNull()) {
            return "nothing";
        }
        if (n.isContainerNode()) {
            return kind(n);
        }
        String s = n.asText();
        if (s.length() > 60) {
            s = s.substring(0, 60) + "...";
        }
        return "'" + safe(s) + "'";
    }
}
