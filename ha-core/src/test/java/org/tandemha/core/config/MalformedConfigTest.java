package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Problem;

/**
 * The malformed configuration suite: every file under {@code config/bad/} must be rejected with the problems its
 * expectation names, each with a fix, and a message free of Java class names and stack frames.
 *
 * <p>A YAML file states its expectations in leading comment lines {@code # expect: <field> :: <message part>}; a
 * JSON file (which has no comments) in a sibling {@code <file>.expect} with lines {@code <field> :: <message part>}.
 * A field starting with {@code line } (a syntax error's position, as in {@code line 7, column}) is matched as a prefix.
 */
class MalformedConfigTest {

    record Expectation(String field, String message) {
    }

    @TestFactory
    Stream<DynamicTest> everyBadFileIsRejectedClearly() throws IOException {
        Path dir = ConfigTesting.resourcePath("bad");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(15);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static void check(Path file) throws IOException {
        List<Expectation> expected = expectations(file);
        assertThat(expected).as("expectations of " + file.getFileName()).isNotEmpty();
        InvalidConfigException e;
        try {
            ConfigLoader.load(file, ConfigTesting.TYPES);
            fail(file.getFileName() + " was accepted");
            return;
        } catch (InvalidConfigException x) {
            e = x;
        }
        String prefix = file + ": ";
        for (Problem p : e.problems()) {
            assertThat(p.field()).as("field of " + p).startsWith(prefix).hasSizeGreaterThan(prefix.length());
            assertThat(p.message()).as("message of " + p).isNotBlank();
            assertThat(p.fix()).as("fix of " + p).isNotBlank();
        }
        for (Expectation x : expected) {
            boolean prefixMatch = x.field().startsWith("line ");
            assertThat(e.problems()).as(e.getMessage()).anySatisfy(p -> {
                String field = p.field().substring(prefix.length());
                if (prefixMatch) {
                    assertThat(field).startsWith(x.field());
                } else {
                    assertThat(field).isEqualTo(x.field());
                }
                assertThat(p.message()).contains(x.message());
            });
        }
        ConfigTesting.assertOperatorReadable(e.getMessage());
        // the same text through parse() gives the same problems, without the file name
        String text = Files.readString(file);
        try {
            ConfigLoader.parse(text, file.toString().endsWith(".yaml"), ConfigTesting.TYPES);
            fail("accepted by parse");
        } catch (InvalidConfigException x) {
            assertThat(x.problems()).hasSameSizeAs(e.problems());
        }
    }

    private static List<Expectation> expectations(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        Path sidecar = file.resolveSibling(file.getFileName() + ".expect");
        if (Files.exists(sidecar)) {
            lines.addAll(Files.readAllLines(sidecar));
        } else {
            for (String l : Files.readAllLines(file)) {
                if (!l.startsWith("# expect:")) {
                    break;
                }
                lines.add(l.substring("# expect:".length()).strip());
            }
        }
        List<Expectation> out = new ArrayList<>();
        for (String l : lines) {
            if (l.isBlank()) {
                continue;
            }
            int sep = l.indexOf(" :: ");
            assertThat(sep).as("expectation line '" + l + "' of " + file.getFileName()).isPositive();
            out.add(new Expectation(l.substring(0, sep).stripLeading(), l.substring(sep + 4).strip()));
        }
        return out;
    }

    @Test
    void wrongValueTypesNameTheField() {
        String base = ConfigTesting.resource("good/minimal.yaml");
        String[][] cases = {
                {"cluster: small", "cluster: [a, b]", "cluster", "expected a name, found a list"},
                {"quorum: {twoNodeWithoutArbiter: true}", "quorum: {twoNodeWithoutArbiter: yes please}",
                        "quorum.twoNodeWithoutArbiter", "expected true or false"},
                {"quorum: {twoNodeWithoutArbiter: true}", "quorum: [true]", "quorum", "expected a map of fields, found a list"},
                {"  - name: hb\n", "  - name: hb\n    priority: 1.5\n", "paths[hb].priority", "expected a whole number"},
                {"  - name: hb\n", "  - name: hb\n    options: [x]\n", "paths[hb].options", "expected a map, found a list"},
                {"  - name: hb\n", "  - name: hb\n    transport: UDP\n", "paths[hb].transport", "lowercase word"},
                {"{id: r, type: process}", "{id: r, type: process, dependsOn: vip}", "groups[g].resources[r].dependsOn",
                        "expected a list"},
                {"{id: r, type: process}", "{id: r, type: process, start: 10s}", "groups[g].resources[r].start",
                        "expected a map of fields"},
                {"{id: r, type: process}", "{id: r, type: process, stop: {timeout: -5s}}",
                        "groups[g].resources[r].stop.timeout", "must be greater than zero, found '-5s'"},
                {"{id: r, type: process}", "{id: r, type: process, stop: {timeout: 5 seconds}}",
                        "groups[g].resources[r].stop.timeout", "is not a duration"},
                {"{id: r, type: process}", "{id: r, type: process, recover: {timeout: PT-5S}}",
                        "groups[g].resources[r].recover.timeout", "must be greater than zero"},
                {"    nodes: [a, b]\n", "    nodes: [a, b]\n    recovery: {maxAttempts: 5000}\n", "groups[g].recovery.maxAttempts",
                        "out of range"},
                {"{id: a, addresses: {hb: \"127.0.0.1:7401\"}}", "{id: a, addresses: {hb: 7401}}", "nodes[a].addresses.hb",
                        "an address must be text"},
                {"{id: a, addresses: {hb: \"127.0.0.1:7401\"}}", "{id: a, addresses: {hb: \"127.0.0.1:7401\", hbb: \"x:1\"}}",
                        "nodes[a].addresses.hbb", "no path named 'hbb'; did you mean 'hb'?"},
                {"quorum: {twoNodeWithoutArbiter: true}", "quorum: {twoNodeWithoutArbiter: true}\narbiters: [{params: {}}]",
                        "arbiters[0].type", "missing required field 'type'"},
                {"quorum: {twoNodeWithoutArbiter: true}", "quorum: {twoNodeWithoutArbiter: true}\nfencing: [{type: script}, {type: script}]",
                        "fencing[1].id", "duplicate fencing id 'script'"},
                {"quorum: {twoNodeWithoutArbiter: true}", "quorum: {twoNodeWithoutArbiter: true}\ntiming: {safetyRetryMin: 1m}",
                        "timing.safetyRetryMin", "longer than safetyRetryMax"},
                {"quorum: {twoNodeWithoutArbiter: true}", "quorum: {twoNodeWithoutArbiter: true}\ntiming: {fenceTimeout: 400d}",
                        "timing.fenceTimeout", "too long"},
                {"key: \"base64:AAECAwQFBgcICQoLDA0ODw==\"", "key: \"base64:AAECAwQFBgcICQoLDA0ODw==\"\nkeyFile: /x",
                        "key", "both key and keyFile"},
                {"key: \"base64:AAECAwQFBgcICQoLDA0ODw==\"", "key: \"base64:!!notbase64\"", "key", "not valid base64"},
                {"key: \"base64:AAECAwQFBgcICQoLDA0ODw==\"", "key: \"hex:abc\"", "key", "even number of hexadecimal digits"},
                {"cluster: small", "cluster: small\ncluster: again", "line 2, column", "YAML syntax error: Duplicate field 'cluster'"},
        };
        for (String[] c : cases) {
            assertThat(base).contains(c[0]);
            String text = base.replace(c[0], c[1]);
            try {
                ConfigLoader.parse(text, true, ConfigTesting.TYPES);
                fail("accepted: " + c[1]);
            } catch (InvalidConfigException e) {
                assertThat(e.problems()).as(c[1] + " -> " + e.getMessage()).anySatisfy(p -> {
                    assertThat(p.field()).startsWith(c[2]);
                    assertThat(p.message()).contains(c[3]);
                    assertThat(p.fix()).isNotBlank();
                });
                ConfigTesting.assertOperatorReadable(e.getMessage());
            }
        }
    }

    @Test
    void nonMapRootsAndOddDocumentsAreProblems() {
        for (String text : new String[] {"", "   ", "# only a comment\n", "- a\n- b\n", "just text", "42", "null", "~",
                "cluster: a\n---\ncluster: b\n", "{a: [", "[".repeat(5000), "a:\n" + " b:\n".repeat(3000), "\t\tcluster: x", "!!binary AAAA", "a: &x [1]\nb: *x\n"}) {
            try {
                ConfigLoader.parse(text, true, ConfigTesting.TYPES);
                fail("accepted: " + text);
            } catch (InvalidConfigException e) {
                assertThat(e.problems()).as(text).isNotEmpty();
                e.problems().forEach(p -> assertThat(p.fix()).as(p.toString()).isNotBlank());
                ConfigTesting.assertOperatorReadable(e.getMessage());
            }
        }
        for (String text : new String[] {"", "[]", "\"x\"", "{} {}", "{\"cluster\": 1e999999999}", "[".repeat(5000)}) {
            try {
                ConfigLoader.parse(text, false, ConfigTesting.TYPES);
                fail("accepted: " + text);
            } catch (InvalidConfigException e) {
                assertThat(e.problems()).as(text).isNotEmpty();
                ConfigTesting.assertOperatorReadable(e.getMessage());
            }
        }
    }

    @Test
    void nullTextIsAProblem() {
        try {
            ConfigLoader.parse(null, true, null);
            fail("accepted null");
        } catch (InvalidConfigException e) {
            assertThat(e.problems()).hasSize(1);
        }
        try {
            ConfigLoader.load(null, null);
            fail("accepted null");
        } catch (InvalidConfigException e) {
            assertThat(e.problems()).hasSize(1);
        }
    }
}
