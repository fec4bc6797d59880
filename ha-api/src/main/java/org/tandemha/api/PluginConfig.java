package org.tandemha.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The type-specific configuration of one plugin (a resource, an arbiter, a fencer): its id, its type name and its
 * parameters, as read from the
 * cluster configuration (its {@code params}). A {@link ResourceType} reads it through a
 * {@link Reader}, which collects every problem and reports them together:
 *
 * <pre>{@code
 * PluginConfig.Reader r = config.reader();
 * String command = r.string("command");
 * Duration grace = r.duration("stopGrace", Duration.ofSeconds(10));
 * r.finish(); // throws InvalidConfigException listing every problem, unknown parameters included
 * }</pre>
 *
 * @param id     the plugin id (a resource id, unique in the cluster)
 * @param type   the type name
 * @param path   where this plugin is in the configuration file, used to name fields in errors
 * @param params the parameters: strings, numbers, booleans, lists and maps as the configuration gives them
 */
public record PluginConfig(String id, String type, String path, Map<String, Object> params) {

    /** Checks that id and type are given and copies the parameters. */
    public PluginConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        path = path == null ? "resources[" + id + "]" : path;
        params = params == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    /** A configuration with the default path, for tests and programmatic use. */
    public static PluginConfig of(String id, String type, Map<String, Object> params) {
        return new PluginConfig(id, type, null, params);
    }

    /** A reader that collects problems. */
    public Reader reader() {
        return new Reader(this);
    }

    /**
     * Typed access to parameters. Every getter records a problem instead of throwing, and returns a harmless
     * value ({@code null}, the default) so that reading can go on and report everything at once.
     */
    public static final class Reader {
        private final PluginConfig config;
        private final List<Problem> problems = new ArrayList<>();
        private final Set<String> known = new LinkedHashSet<>();

        Reader(PluginConfig config) {
            this.config = config;
        }

        private String field(String key) {
            return config.path + ".params." + key;
        }

        /** Records a problem found by the type's own validation. */
        public void problem(String key, String message, String fix) {
            problems.add(new Problem(key == null ? config.path : field(key), message, fix));
        }

        /** Whether a parameter is present. */
        public boolean has(String key) {
            known.add(key);
            return config.params.get(key) != null;
        }

        /** A required string. */
        public String string(String key) {
            known.add(key);
            Object v = config.params.get(key);
            if (v == null) {
                problem(key, "required parameter '" + key + "' is missing for " + config.id + " (type " + config.type + ")",
                        "add '" + key + ": ...' under params");
                return null;
            }
            if (v instanceof Map || v instanceof List) {
                problem(key, "'" + key + "' must be a single value, not a " + (v instanceof Map ? "map" : "list"), "write it as a plain value");
                return null;
            }
            return String.valueOf(v);
        }

        /** An optional string. */
        public String string(String key, String dflt) {
            return has(key) ? string(key) : dflt;
        }

        /** An integer in {@code [min, max]}. */
        public int integer(String key, int dflt, int min, int max) {
            if (!has(key)) {
                return dflt;
            }
            Object v = config.params.get(key);
            try {
                long n = v instanceof Number num ? num.longValue() : Long.parseLong(String.valueOf(v).trim());
                if (n < min || n > max) {
                    problem(key, "'" + key + "' is " + n + ", outside " + min + ".." + max, "use a value from " + min + " to " + max);
                    return dflt;
                }
                return (int) n;
            } catch (NumberFormatException e) {
                problem(key, "'" + key + "' is '" + v + "', not a whole number", "write a number such as " + dflt);
                return dflt;
            }
        }

        /** A boolean. */
        public boolean bool(String key, boolean dflt) {
            if (!has(key)) {
                return dflt;
            }
            Object v = config.params.get(key);
            if (v instanceof Boolean b) {
                return b;
            }
            String s = String.valueOf(v).trim();
            if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(s);
            }
            problem(key, "'" + key + "' is '" + v + "', not true or false", "write true or false");
            return dflt;
        }

        /** A positive duration such as {@code 5s}. */
        public Duration duration(String key, Duration dflt) {
            if (!has(key)) {
                return dflt;
            }
            try {
                Duration d = Durations.parse(String.valueOf(config.params.get(key)));
                if (d.isNegative() || d.isZero()) {
                    problem(key, "'" + key + "' must be longer than zero", "write a duration such as 5s");
                    return dflt;
                }
                return d;
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage(), "write a duration such as 5s");
                return dflt;
            }
        }

        /** A list of strings; a single value counts as a list of one. */
        public List<String> strings(String key, List<String> dflt) {
            if (!has(key)) {
                return dflt;
            }
            Object v = config.params.get(key);
            if (v instanceof List<?> l) {
                List<String> out = new ArrayList<>();
                for (Object o : l) {
                    if (o instanceof Map || o instanceof List) {
                        problem(key, "'" + key + "' must be a list of plain values", "write it as [a, b, c]");
                        return dflt;
                    }
                    out.add(String.valueOf(o));
                }
                return List.copyOf(out);
            }
            if (v instanceof Map) {
                problem(key, "'" + key + "' must be a list, not a map", "write it as [a, b, c]");
                return dflt;
            }
            return List.of(String.valueOf(v));
        }

        /** A map of strings to strings (environment variables, agent parameters). */
        public Map<String, String> map(String key) {
            if (!has(key)) {
                return Map.of();
            }
            Object v = config.params.get(key);
            if (!(v instanceof Map<?, ?> m)) {
                problem(key, "'" + key + "' must be a map of names to values", "write it as  " + key + ": {NAME: value}");
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(String.valueOf(k), val == null ? "" : String.valueOf(val)));
            return Collections.unmodifiableMap(out);
        }

        /** One of a fixed set of values, compared without case. */
        public String oneOf(String key, String dflt, String... allowed) {
            String v = string(key, dflt);
            if (v == null) {
                return dflt;
            }
            for (String a : allowed) {
                if (a.equalsIgnoreCase(v)) {
                    return a;
                }
            }
            problem(key, "'" + key + "' is '" + v + "', not one of " + String.join(", ", allowed), "use one of " + String.join(", ", allowed));
            return dflt;
        }

        /** The problems found so far. */
        public List<Problem> problems() {
            return List.copyOf(problems);
        }

        /**
         * Ends reading: flags parameters that no getter asked for (likely typos), then throws if anything was wrong.
         */
        public void finish() throws InvalidConfigException {
            for (String key : config.params.keySet()) {
                if (!known.contains(key)) {
                    problems.add(new Problem(field(key), "unknown parameter '" + key + "' for type " + config.type,
                            "remove it, or use one of: " + String.join(", ", new TreeSet<>(known))));
                }
            }
            if (!problems.isEmpty()) {
                throw new InvalidConfigException(problems);
            }
        }
    }
}
