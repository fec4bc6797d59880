package org.tandemha.core.config;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.tandemha.api.InvalidConfigException;

/**
 * Random mutations and truncations of a valid configuration never make the loader throw anything but
 * {@link InvalidConfigException}, and its message is always readable by an operator.
 */
class ConfigFuzzTest {
    private static final String YAML = ConfigTesting.resource("good/full.yaml");
    private static final String JSON = ConfigTesting.resource("good/full.json");
    private static final String NOISE = ":-[]{}\"'#&*!|>%@`,?\n\t 0123456789abcxyz.\\\u00e9\u0000";

    record Edit(int kind, double at, double length, String text) {
        String apply(String s) {
            int pos = (int) (at * s.length());
            int end = Math.min(s.length(), pos + (int) (length * 40));
            return switch (kind) {
                case 0 -> s.substring(0, pos); // truncate
                case 1 -> s.substring(0, pos) + s.substring(end); // delete
                case 2 -> s.substring(0, pos) + text + s.substring(pos); // insert
                case 3 -> s.substring(0, pos) + text + s.substring(end); // replace
                case 4 -> s.substring(0, pos) + s.substring(pos, end) + s.substring(pos); // duplicate
                default -> { // swap two lines
                    List<String> lines = new java.util.ArrayList<>(s.lines().toList());
                    int a = (int) (at * lines.size());
                    int b = (int) (length * lines.size());
                    if (a < lines.size() && b < lines.size()) {
                        java.util.Collections.swap(lines, a, b);
                    }
                    yield String.join("\n", lines);
                }
            };
        }
    }

    @Provide
    Arbitrary<List<Edit>> edits() {
        Arbitrary<Edit> edit = Combinators.combine(
                Arbitraries.integers().between(0, 5),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.strings().withChars(NOISE.toCharArray()).ofMaxLength(8)).as(Edit::new);
        return edit.list().ofMinSize(1).ofMaxSize(4);
    }

    @Property(tries = 1000)
    void mutatedYamlNeverThrowsAnythingElse(@ForAll("edits") List<Edit> edits) {
        tryParse(YAML, edits, true);
    }

    @Property(tries = 300)
    void mutatedJsonNeverThrowsAnythingElse(@ForAll("edits") List<Edit> edits) {
        tryParse(JSON, edits, false);
    }

    private static void tryParse(String text, List<Edit> edits, boolean yaml) {
        String s = text;
        for (Edit e : edits) {
            s = e.apply(s);
        }
        try {
            ConfigLoader.parse(s, yaml, ConfigTesting.TYPES);
        } catch (InvalidConfigException e) {
            ConfigTesting.assertOperatorReadable(e.getMessage());
            e.problems().forEach(p -> {
                if (p.field() == null || p.field().isBlank() || p.message() == null || p.message().isBlank()) {
                    throw new AssertionError("incomplete problem " + p);
                }
                if (p.message().contains("could not be validated")) {
                    throw new AssertionError("internal failure reached the operator: " + p + "\n--- input:\n" + text);
                }
            });
        }
    }
}
