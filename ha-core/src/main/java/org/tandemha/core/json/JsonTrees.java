package org.tandemha.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text to and from Jackson's tree model ({@link JsonNode}) with jackson-core's streaming parser and generator
 * only: the trees {@code ObjectMapper.readTree} builds and the text {@code ObjectMapper.writeValueAsBytes} writes for
 * them (the same bytes: journal digests are computed over them), without an {@code ObjectMapper}. A mapper loads
 * about 450 classes of databind's mapping machinery on first use; a standalone node that reads its configuration,
 * journals and serves its status through these instead stays 4 MB smaller (see {@code examples/bench/run.sh server}).
 * The tree classes themselves ({@code ObjectNode}, {@code TextNode}...) are a few dozen.
 *
 * <p>Do not call {@code toString()} or {@code toPrettyString()} on a node where memory counts: Jackson builds an
 * internal mapper for them. {@link #text} and {@link #pretty} write the same.
 */
public final class JsonTrees {
    /** The factory of tree nodes, as an {@code ObjectMapper}'s (plain, not normalising decimals). */
    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final JsonFactory JSON = new JsonFactory();

    private JsonTrees() {
    }

    /**
     * Parses one JSON value, as {@code ObjectMapper.readTree(String)}: a missing node for empty input, text after the
     * value ignored.
     */
    public static JsonNode parse(String text) throws JsonProcessingException {
        try (JsonParser p = JSON.createParser(text)) {
            return parse(p, false, false);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses one JSON value exactly: fractions as {@link java.math.BigDecimal} (as
     * {@code DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS}) and nothing after the value (as
     * {@code FAIL_ON_TRAILING_TOKENS}).
     */
    public static JsonNode parseExact(String text) throws JsonProcessingException {
        try (JsonParser p = JSON.createParser(text)) {
            return parse(p, true, true);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #parse(String)} of UTF-8 (or UTF-16/32, detected as JSON allows) bytes. */
    public static JsonNode parse(byte[] bytes) throws JsonProcessingException {
        try (JsonParser p = JSON.createParser(bytes)) {
            return parse(p, false, false);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads the one value of a document from a fresh parser: a missing node when there is none; with
     * {@code failOnTrailing}, anything after it is an error (as {@code DeserializationFeature.FAIL_ON_TRAILING_TOKENS});
     * with {@code bigDecimals}, fractions are read as {@link java.math.BigDecimal}.
     */
    public static JsonNode parse(JsonParser p, boolean failOnTrailing, boolean bigDecimals) throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) {
            return NODES.missingNode();
        }
        JsonNode n = value(p, t, bigDecimals);
        if (failOnTrailing) {
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new JsonParseException(p, "Trailing token (of type " + after + ") found after the value: one"
                        + " document holds one value");
            }
        }
        return n;
    }

    /** The value that starts at the parser's current token {@code t} (the parser is left on its last token). */
    private static JsonNode value(JsonParser p, JsonToken t, boolean bigDecimals) throws IOException {
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    if (k != JsonToken.FIELD_NAME) {
                        throw new JsonParseException(p, "Unexpected token (" + k + ") in an object: a field name was expected");
                    }
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if (v == null) {
                        throw new JsonParseException(p, "Unexpected end of input in an object");
                    }
                    o.set(name, value(p, v, bigDecimals)); // a repeated name: the last value wins, as ObjectMapper's
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
                    if (v == null) {
                        throw new JsonParseException(p, "Unexpected end of input in an array");
                    }
                    a.add(value(p, v, bigDecimals));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                switch (p.getNumberType()) {
                    case INT:
                        return NODES.numberNode(p.getIntValue());
                    case LONG:
                        return NODES.numberNode(p.getLongValue());
                    default:
                        return NODES.numberNode(p.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                if (bigDecimals && !p.isNaN()) {
                    return decimal(p);
                }
                switch (p.getNumberType()) {
                    case BIG_DECIMAL:
                        return decimal(p);
                    case FLOAT:
                        return NODES.numberNode(p.getFloatValue());
                    default:
                        return NODES.numberNode(p.getDoubleValue());
                }
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            case VALUE_EMBEDDED_OBJECT: {
                Object o = p.getEmbeddedObject();
                if (o == null) {
                    return NODES.nullNode();
                }
                if (o instanceof byte[] b) {
                    return NODES.binaryNode(b);
                }
                if (o instanceof RawValue r) {
                    return NODES.rawValueNode(r);
                }
                if (o instanceof JsonNode n) {
                    return n;
                }
                return NODES.pojoNode(o);
            }
            default:
                throw new JsonParseException(p, "Unexpected token (" + t + "): a value was expected");
        }
    }

    // Without trailing zeros (1.50 is 1.5), as ObjectMapper reads decimals with the plain node factory.
    private static JsonNode decimal(JsonParser p) throws IOException {
        java.math.BigDecimal d = p.getDecimalValue();
        try {
            d = d.stripTrailingZeros();
        } catch (ArithmeticException e) {
            // (a scale beyond int's range: kept as it is)
        }
        return NODES.numberNode(d);
    }

    /** The compact JSON text of {@code n}, UTF-8: {@code ObjectMapper.writeValueAsBytes(n)}, byte for byte. */
    public static byte[] bytes(JsonNode n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The compact JSON text of {@code n}: {@code ObjectMapper.writeValueAsString(n)}. */
    public static String text(JsonNode n) {
        return chars(n, false);
    }

    /** Indented JSON text: {@code ObjectMapper.writerWithDefaultPrettyPrinter().writeValueAsString(n)}. */
    public static String pretty(JsonNode n) {
        return chars(n, true);
    }

    // As text, not UTF-8 bytes: the two differ for a lone surrogate (written as it is here, escaped in UTF-8).
    private static String chars(JsonNode n, boolean pretty) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            if (pretty) {
                g.setPrettyPrinter(new DefaultPrettyPrinter());
            }
            write(g, n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON: " + e.getMessage(), e);
        }
        return w.toString();
    }

    /** {@link #pretty}, UTF-8. */
    public static byte[] prettyBytes(JsonNode n) {
        return pretty(n).getBytes(StandardCharsets.UTF_8);
    }

    /** Writes {@code n} to {@code g} as an {@code ObjectMapper} does (every property, nulls included). */
    public static void write(JsonGenerator g, JsonNode n) throws IOException {
        if (n == null) {
            g.writeNull();
            return;
        }
        switch (n.getNodeType()) {
            case OBJECT: {
                g.writeStartObject(n);
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    g.writeFieldName(e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
                return;
            }
            case ARRAY: {
                g.writeStartArray(n, n.size());
                for (JsonNode e : n) {
                    write(g, e);
                }
                g.writeEndArray();
                return;
            }
            case STRING:
                g.writeString(n.textValue());
                return;
            case BOOLEAN:
                g.writeBoolean(n.booleanValue());
                return;
            case NULL:
            case MISSING:
                g.writeNull();
                return;
            case NUMBER:
                switch (n.numberType()) {
                    case INT:
                        g.writeNumber(n.intValue());
                        return;
                    case LONG:
                        g.writeNumber(n.longValue());
                        return;
                    case BIG_INTEGER:
                        g.writeNumber(n.bigIntegerValue());
                        return;
                    case FLOAT:
                        g.writeNumber(n.floatValue());
                        return;
                    case DOUBLE:
                        g.writeNumber(n.doubleValue());
                        return;
                    default:
                        g.writeNumber(n.decimalValue());
                        return;
                }
            case BINARY:
                g.writeBinary(n.binaryValue());
                return;
            default:
                throw new IllegalArgumentException("cannot write a JSON node of type " + n.getNodeType()
                        + " without an ObjectMapper (" + n.getClass().getSimpleName() + ")");
        }
    }
}
