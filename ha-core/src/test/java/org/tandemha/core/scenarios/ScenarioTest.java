package org.tandemha.core.scenarios;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.opentest4j.AssertionFailedError;

/**
 * Runs every scenario file under {@code src/test/resources/scenarios/} (format: README.md there) and compares
 * its transcript and final state with the file's expected text. {@code -Dscenarios.write=true} writes the actual
 * output into the files instead (read every transcript before you keep it: the expected text is the
 * specification); {@code -Dscenarios.only=name} runs the files whose name contains {@code name}.
 */
class ScenarioTest {
    private static final Path DIR = Paths.get("src/test/resources/scenarios");

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        assertThat(DIR).as("run from the ha-core module directory (Maven does)").isDirectory();
        String only = System.getProperty("scenarios.only", "");
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(DIR)) {
            s.filter(p -> p.getFileName().toString().endsWith(".scenario"))
                    .filter(p -> p.getFileName().toString().contains(only)).sorted().forEach(files::add);
        }
        assertThat(files).as("scenario files in " + DIR.toAbsolutePath()).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static void check(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String name = file.getFileName().toString();
        Scenario sc = Scenario.parse(name, lines);
        ScenarioRunner.Outcome o = new ScenarioRunner(sc).run();
        List<String> actual = render(o);
        if (sc.disputed == null) {
            assertThat(o.violations()).as(name + ": a group ran on two live nodes at once; the run was:\n"
                    + String.join("\n", actual)).isEmpty();
        }
        if (Boolean.getBoolean("scenarios.write") && sc.disputed == null) {
            write(file, sc, actual);
        } else {
            List<String> expected = new ArrayList<>();
            expected.add(Scenario.EXPECT_EVENTS);
            expected.addAll(sc.expectedEvents);
            expected.add(Scenario.EXPECT_AFTER);
            expected.addAll(sc.expectedAfter);
            if (!sc.hasExpectations) {
                throw new AssertionFailedError(name + " has no expected sections yet; run with -Dscenarios.write=true,"
                        + " then read what it wrote:\n" + String.join("\n", actual));
            }
            if (sc.disputed != null) {
                if (expected.equals(actual) && o.violations().isEmpty()) {
                    throw new AssertionFailedError(name + " is marked 'disputed:' but now goes exactly as written:"
                            + " remove its 'disputed:' line so that it guards the fixed behaviour");
                }
                System.out.println("[scenarios] " + name + " is disputed (" + sc.disputed + "); the engine does not do"
                        + " what the file says yet" + (o.violations().isEmpty() ? "" : "; SAFETY: " + o.violations().size()
                        + " invariant violations, first: " + o.violations().get(0)) + "\n" + TextDiff.unified(name + " (should)", expected, sc.expectedLineNumbers, "actual run", actual));
                Assumptions.abort(name + " disputed: " + sc.disputed);
            }
            if (!expected.equals(actual)) {
                throw new AssertionFailedError("scenario " + name + " (" + sc.title + ") did not go as written:\n"
                        + TextDiff.unified(name + " (expected)", expected, sc.expectedLineNumbers, "actual run", actual)
                        + "(re-generate with -Dscenarios.write=true -Dscenarios.only=" + name + " only if the new"
                        + " behaviour is right)", String.join("\n", expected), String.join("\n", actual));
            }
        }
    }

    private static List<String> render(ScenarioRunner.Outcome o) {
        List<String> a = new ArrayList<>();
        a.add(Scenario.EXPECT_EVENTS);
        a.addAll(o.events());
        a.add(Scenario.EXPECT_AFTER);
        a.addAll(o.after());
        return a;
    }

    private static void write(Path file, Scenario sc, List<String> actual) {
        List<String> text = new ArrayList<>(sc.head);
        while (!text.isEmpty() && text.get(text.size() - 1).isBlank()) {
            text.remove(text.size() - 1);
        }
        text.add("");
        for (String l : actual) {
            boolean header = l.equals(Scenario.EXPECT_EVENTS) || l.equals(Scenario.EXPECT_AFTER);
            if (l.equals(Scenario.EXPECT_AFTER)) {
                text.add("");
            }
            text.add(header ? l : "  " + l);
        }
        try {
            Files.write(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
