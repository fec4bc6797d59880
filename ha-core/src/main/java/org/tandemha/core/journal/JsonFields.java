package org.tandemha.core.journal;

import com.fasterxml.jackson.databind.JsonNode;
import org.tandemha.core.json.JsonTrees;

/** Reading the fields of the journal's JSON, with an error that names the field and what was found. */
final class JsonFields {
    private JsonFields() {
    }

    static Iterable<JsonNode> array(JsonNode n, String field) throws JournalFormatException {
        if (!n.isArray()) {
            throw new JournalFormatException("\"" + field + "\" must be an array: " + JsonTrees.text(n));
        }
        return n;
    }

    static String string(JsonNode n, String field) throws JournalFormatException {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : text(v, field);
    }

    static String text(JsonNode v, String field) throws JournalFormatException {
        if (!v.isTextual()) {
            throw new JournalFormatException("\"" + field + "\" must be a string, found " + v);
        }
        return v.textValue();
    }

    static long lng(JsonNode n, String field) throws JournalFormatException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new JournalFormatException("missing \"" + field + "\" in " + JsonTrees.text(n));
        }
        return number(v, field);
    }

    static long number(JsonNode v, String field) throws JournalFormatException {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new JournalFormatException("\"" + field + "\" must be a whole number, found " + v);
        }
        return v.longValue();
    }

    static boolean bool(JsonNode n, String field) throws JournalFormatException {
        JsonNode v = n.get(field);
        if (v == null || !v.isBoolean()) {
            throw new JournalFormatException("\"" + field + "\" must be true or false, found " + v);
        }
        return v.booleanValue();
    }

    static <E extends Enum<E>> E enumOf(Class<E> type, JsonNode n, String field) throws JournalFormatException {
        String s = string(n, field);
        try {
            return Enum.valueOf(type, String.valueOf(s));
        } catch (IllegalArgumentException e) {
            throw new JournalFormatException("unknown " + type.getSimpleName() + " \"" + s + "\" in \"" + field
                    + "\": it was written by a newer Tandem; upgrade Tandem to read it");
        }
    }
}
