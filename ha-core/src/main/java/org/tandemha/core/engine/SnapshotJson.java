package org.tandemha.core.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.tandemha.core.json.JsonTrees;

/**
 * Writes an {@link EngineSnapshot} as JSON and reads it back, exactly: the snapshot read equals the one written.
 * Durations are milliseconds. A snapshot of a newer format than {@link EngineSnapshot#FORMAT} is refused with an
 * error that says so, as is one that is not a snapshot at all.
 *
 * <p>The JSON is what Jackson's {@code ObjectMapper} writes for these records (every component in declaration order,
 * nulls included, map entries by key, enums by name), built from the records' components directly: a journaling
 * node does not load databind's mapping machinery for it (see {@link JsonTrees}). A field the record does not have
 * is refused, as the mapper did; a missing one reads as null, 0 or false.
 */
public final class SnapshotJson {
    private static final Map<Class<?>, Shape> SHAPES = new ConcurrentHashMap<>();

    private SnapshotJson() {
    }

    public static JsonNode toTree(EngineSnapshot snapshot) {
        return tree(snapshot, EngineSnapshot.class);
    }

    public static String write(EngineSnapshot snapshot) {
        return JsonTrees.text(toTree(snapshot));
    }

    public static EngineSnapshot read(String json) {
        try {
            return fromTree(JsonTrees.parse(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an engine snapshot (bad JSON at line " + e.getLocation().getLineNr()
                    + "): " + e.getOriginalMessage(), e);
        }
    }

    /** Reads a snapshot; a newer format, or a document that is not a snapshot, is refused with the reason. */
    public static EngineSnapshot fromTree(JsonNode tree) {
        if (tree == null || !tree.isObject() || !tree.path("format").canConvertToInt()) {
            throw new IllegalArgumentException("not an engine snapshot: a JSON object with a numeric \"format\" was expected");
        }
        int format = tree.get("format").asInt();
        if (format > EngineSnapshot.FORMAT) {
            throw new IllegalArgumentException("engine snapshot has format " + format + "; this Tandem reads format "
                    + EngineSnapshot.FORMAT + " and older: upgrade Tandem to read it");
        }
        try {
            return (EngineSnapshot) value(tree, EngineSnapshot.class, "");
        } catch (Bad e) {
            throw new IllegalArgumentException("engine snapshot (format " + format + ") cannot be read: "
                    + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ records to trees

    private static JsonNode tree(Object v, Type type) {
        if (v == null) {
            return JsonTrees.NODES.nullNode();
        }
        if (v instanceof Record r) {
            Shape s = shape(r.getClass());
            ObjectNode o = JsonTrees.NODES.objectNode();
            for (RecordComponent c : s.components) {
                Object x;
                try {
                    x = c.getAccessor().invoke(r);
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
                }
                o.set(c.getName(), tree(x, c.getGenericType()));
            }
            return o;
        }
        if (v instanceof String s) {
            return JsonTrees.NODES.textNode(s);
        }
        if (v instanceof Boolean b) {
            return JsonTrees.NODES.booleanNode(b);
        }
        if (v instanceof Integer i) {
            return JsonTrees.NODES.numberNode(i);
        }
        if (v instanceof Long l) {
            return JsonTrees.NODES.numberNode(l);
        }
        if (v instanceof Duration d) {
            return JsonTrees.NODES.numberNode(d.toMillis());
        }
        if (v instanceof Enum<?> e) {
            return JsonTrees.NODES.textNode(e.name());
        }
        if (v instanceof List<?> list) {
            Type element = argument(type, 0);
            ArrayNode a = JsonTrees.NODES.arrayNode(list.size());
            for (Object x : list) {
                a.add(tree(x, element));
            }
            return a;
        }
        if (v instanceof Map<?, ?> map) {
            Type element = argument(type, 1);
            ObjectNode o = JsonTrees.NODES.objectNode();
            for (Map.Entry<?, ?> e : new TreeMap<>(map).entrySet()) { // by key, as ORDER_MAP_ENTRIES_BY_KEYS
                o.set(String.valueOf(e.getKey()), tree(e.getValue(), element));
            }
            return o;
        }
        throw new IllegalStateException("engine snapshot: no JSON form for " + v.getClass().getName()
                + " (a bug of Tandem: SnapshotJson needs to learn it)");
    }

    // ------------------------------------------------------------------ trees to records

    private static Object value(JsonNode n, Type type, String at) {
        Class<?> raw = raw(type);
        if (n == null || n.isNull() || n.isMissingNode()) {
            return defaultOf(raw);
        }
        if (raw.isRecord()) {
            if (!n.isObject()) {
                throw new Bad(where(at) + "an object was expected for " + raw.getSimpleName() + ", not " + kind(n));
            }
            Shape s = shape(raw);
            Object[] args = new Object[s.components.length];
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!s.index.containsKey(f)) {
                    throw new Bad(where(at) + "unknown field \"" + f + "\" in " + raw.getSimpleName()
                            + " (written by a newer Tandem?)");
                }
            }
            for (int i = 0; i < args.length; i++) {
                RecordComponent c = s.components[i];
                args[i] = value(n.get(c.getName()), c.getGenericType(), at + "/" + c.getName());
            }
            try {
                return s.constructor.newInstance(args);
            } catch (InvocationTargetException e) {
                throw new Bad(where(at) + raw.getSimpleName() + " cannot be built: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot build " + raw.getName(), e);
            }
        }
        if (raw == String.class) {
            if (!n.isValueNode()) {
                throw new Bad(where(at) + "text was expected, not " + kind(n));
            }
            return n.asText();
        }
        if (raw == long.class || raw == Long.class || raw == Duration.class) {
            long v;
            if (n.isIntegralNumber() && n.canConvertToLong()) {
                v = n.longValue();
            } else if (n.isTextual() && n.textValue().matches("-?\\d{1,18}")) {
                v = Long.parseLong(n.textValue());
            } else {
                throw new Bad(where(at) + "a whole number was expected, not " + kind(n));
            }
            return raw == Duration.class ? Duration.ofMillis(v) : (Object) v;
        }
        if (raw == int.class || raw == Integer.class) {
            if (n.isIntegralNumber() && n.canConvertToInt()) {
                return n.intValue();
            }
            throw new Bad(where(at) + "a whole number (32 bits) was expected, not " + kind(n));
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (n.isBoolean()) {
                return n.booleanValue();
            }
            if (n.isTextual() && (n.textValue().equals("true") || n.textValue().equals("false"))) {
                return Boolean.parseBoolean(n.textValue());
            }
            throw new Bad(where(at) + "true or false was expected, not " + kind(n));
        }
        if (raw.isEnum()) {
            if (!n.isTextual()) {
                throw new Bad(where(at) + "one of " + List.of(raw.getEnumConstants()) + " was expected, not " + kind(n));
            }
            for (Object e : raw.getEnumConstants()) {
                if (((Enum<?>) e).name().equals(n.textValue())) {
                    return e;
                }
            }
            throw new Bad(where(at) + "\"" + n.textValue() + "\" is not one of " + List.of(raw.getEnumConstants()));
        }
        if (raw == List.class) {
            if (!n.isArray()) {
                throw new Bad(where(at) + "an array was expected, not " + kind(n));
            }
            Type element = argument(type, 0);
            List<Object> out = new ArrayList<>(n.size());
            for (int i = 0; i < n.size(); i++) {
                out.add(value(n.get(i), element, at + "/" + i));
            }
            return out;
        }
        if (raw == Map.class) {
            if (!n.isObject()) {
                throw new Bad(where(at) + "an object was expected, not " + kind(n));
            }
            Type element = argument(type, 1);
            Map<String, Object> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), value(e.getValue(), element, at + "/" + e.getKey()));
            }
            return out;
        }
        throw new IllegalStateException("engine snapshot: cannot read a " + type + " (a bug of Tandem)");
    }

    private static Object defaultOf(Class<?> raw) {
        if (raw == long.class) {
            return 0L;
        }
        if (raw == int.class) {
            return 0;
        }
        if (raw == boolean.class) {
            return false;
        }
        return null;
    }

    private static String where(String at) {
        return at.isEmpty() ? "" : at.substring(1) + ": ";
    }

    private static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalStateException("engine snapshot: unsupported type " + t);
    }

    private static Type argument(Type t, int i) {
        return t instanceof ParameterizedType p ? p.getActualTypeArguments()[i] : Object.class;
    }

    private static Shape shape(Class<?> c) {
        return SHAPES.computeIfAbsent(c, Shape::new);
    }

    /** A record's components, in declaration order, and its canonical constructor. */
    private static final class Shape {
        final RecordComponent[] components;
        final Map<String, Integer> index = new LinkedHashMap<>();
        final Constructor<?> constructor;

        Shape(Class<?> c) {
            components = c.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                index.put(components[i].getName(), i);
            }
            try {
                constructor = c.getDeclaredConstructor(types);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("record without its canonical constructor: " + c.getName(), e);
            }
        }
    }

    /** A snapshot that cannot be read, with where and why. */
    private static final class Bad extends RuntimeException {
        Bad(String message) {
            super(message);
        }

        Bad(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
