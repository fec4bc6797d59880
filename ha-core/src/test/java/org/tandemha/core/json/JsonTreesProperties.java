package org.tandemha.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * {@link JsonTrees} writes the bytes and builds the trees that Jackson's {@code ObjectMapper} does (journal digests
 * are computed over these bytes, and journals and peers' answers written by earlier builds are read with it).
 */
class JsonTreesProperties {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper EXACT = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Provide
    Arbitrary<JsonNode> trees() {
        return tree(4);
    }

    private static Arbitrary<JsonNode> tree(int depth) {
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(12)
                .withChars("az\"\\/\n\t\u0001\u00e9\u4e2d\ud83d\ude00 0{}[],:");
        Arbitrary<JsonNode> leaf = Arbitraries.oneOf(
                text.map(F::textNode),
                Arbitraries.integers().map(F::numberNode),
                Arbitraries.longs().map(F::numberNode),
                Arbitraries.bigIntegers().between(BigInteger.valueOf(Long.MAX_VALUE).negate().pow(2),
                        BigInteger.valueOf(Long.MAX_VALUE).pow(2)).map(F::numberNode),
                Arbitraries.doubles().map(F::numberNode),
                Arbitraries.of(1.5f, -0.25f, 3e10f).map(F::numberNode),
                Arbitraries.bigDecimals().ofScale(6).map(d -> d.stripTrailingZeros()).map(F::numberNode),
                Arbitraries.of(true, false).map(F::booleanNode),
                Arbitraries.just(F.nullNode()),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(8).map(F::binaryNode));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<JsonNode> child = tree(depth - 1);
        Arbitrary<JsonNode> array = child.list().ofMaxSize(4).map(l -> {
            ArrayNode a = F.arrayNode();
            l.forEach(a::add);
            return a;
        });
        Arbitrary<JsonNode> object = Arbitraries.maps(text, child).ofMaxSize(4).map(m -> {
            ObjectNode o = F.objectNode();
            m.forEach(o::set);
            return o;
        });
        return Arbitraries.frequencyOf(Tuple.of(3, leaf), Tuple.of(1, array), Tuple.of(1, object));
    }

    @Property(tries = 500)
    void writesWhatObjectMapperWrites(@ForAll("trees") JsonNode n) throws Exception {
        assertThat(JsonTrees.bytes(n)).isEqualTo(MAPPER.writeValueAsBytes(n));
        assertThat(JsonTrees.text(n)).isEqualTo(MAPPER.writeValueAsString(n));
        assertThat(JsonTrees.pretty(n)).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    @Property(tries = 500)
    void readsWhatObjectMapperReads(@ForAll("trees") JsonNode n) throws Exception {
        String text = MAPPER.writeValueAsString(n);
        JsonNode plain = JsonTrees.parse(text);
        assertThat(plain).isEqualTo(MAPPER.readTree(text));
        assertThat(JsonTrees.text(plain)).isEqualTo(MAPPER.writeValueAsString(MAPPER.readTree(text)));
        byte[] bytes = MAPPER.writeValueAsBytes(n);
        assertThat(JsonTrees.parse(bytes)).isEqualTo(MAPPER.readTree(bytes));
        assertThat(JsonTrees.parseExact(text)).isEqualTo(EXACT.readTree(text));
        assertThat(JsonTrees.text(JsonTrees.parseExact(text))).isEqualTo(EXACT.writeValueAsString(EXACT.readTree(text)));
    }

    @Example
    void emptyTrailingAndBrokenInput() throws Exception {
        assertThat(JsonTrees.parse("").isMissingNode()).isTrue();
        assertThat(JsonTrees.parse("  ").isMissingNode()).isTrue();
        assertThat(JsonTrees.parse("null").isNull()).isTrue();
        assertThat(JsonTrees.parse("{\"a\":1,\"a\":2}")).isEqualTo(MAPPER.readTree("{\"a\":1,\"a\":2}"));
        assertThat(JsonTrees.parse("{\"a\":1} {")).isEqualTo(MAPPER.readTree("{\"a\":1} {")); // the rest ignored
        assertThatThrownBy(() -> JsonTrees.parseExact("{\"a\":1} 2")).isInstanceOf(JsonProcessingException.class)
                .hasMessageContaining("Trailing token");
        for (String bad : List.of("{\"a\":", "[1,", "{\"a\" 1}", "tru", "[1}", "\"abc")) {
            assertThatThrownBy(() -> JsonTrees.parse(bad)).as(bad).isInstanceOf(JsonProcessingException.class);
            assertThatThrownBy(() -> MAPPER.readTree(bad)).as(bad).isInstanceOf(JsonProcessingException.class);
        }
        for (String exact : List.of("{\"ms\":1.50}", "[100.0, 0.0, -0.000, 1e400, 12345678901234567890.5]")) {
            assertThat(JsonTrees.parseExact(exact)).as(exact).isEqualTo(EXACT.readTree(exact));
            assertThat(JsonTrees.text(JsonTrees.parseExact(exact))).isEqualTo(EXACT.writeValueAsString(EXACT.readTree(exact)));
        }
        assertThat(JsonTrees.parseExact("{\"ms\":1.50}").get("ms").decimalValue()).isEqualTo(new BigDecimal("1.5"));
        String deep = "[".repeat(900) + "]".repeat(900);
        assertThat(JsonTrees.text(JsonTrees.parse(deep))).isEqualTo(deep);
        assertThatThrownBy(() -> JsonTrees.parse("[".repeat(1100) + "]".repeat(1100)))
                .isInstanceOf(JsonProcessingException.class).hasMessageContaining("nesting depth");
    }
}
