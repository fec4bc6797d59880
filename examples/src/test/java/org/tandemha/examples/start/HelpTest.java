package org.tandemha.examples.start;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every entry point (each main class of the library modules and examples, each script) answers --help with its usage and exit 0. */
class HelpTest {
    private static final List<String> MODULES = List.of("ha-core", "ha-heartbeat", "ha-scsi", "ha-ip", "ha-agents-db",
            "ha-zookeeper", "ha-server", "examples");
    private static final List<String> SCRIPTS = List.of("scripts/demo.sh", "scripts/tandemctl", "scripts/test.sh",
            "examples/bench/run.sh", "examples/shared-array/run.sh");

    @Test
    void everyMainClassPrintsItsUsageAndExitsZero() throws Exception {
        List<String> mains = mainClasses();
        assertThat(mains).contains("org.tandemha.heartbeat.witness.WitnessMain", "org.tandemha.core.journal.JournalTool",
                "org.tandemha.server.cli.Tandem");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String main : mains) {
            Result r = run(List.of(java, "-cp", System.getProperty("java.class.path"), main, "--help"));
            assertThat(r.code).as("%s --help exit code; output:\n%s", main, r.out).isZero();
            assertThat(r.out.toLowerCase()).as("%s --help output", main).contains("usage");
        }
    }

    @Test
    void everyScriptPrintsItsUsageAndExitsZero() throws Exception {
        for (String s : SCRIPTS) {
            Result r = run(List.of("bash", Path.of("..").resolve(s).toString(), "--help"));
            assertThat(r.code).as("%s --help exit code; output:\n%s", s, r.out).isZero();
            assertThat(r.out.lines().count()).as("%s --help output", s).isGreaterThan(1);
        }
    }

    /** The classes with a {@code main} method in the main sources of the modules on this class path. */
    private static List<String> mainClasses() throws IOException {
        List<String> found = new ArrayList<>();
        for (String m : MODULES) {
            Path src = Path.of("..", m, "src", "main", "java");
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    if (Files.readString(f).contains("public static void main(String[] args)")) {
                        found.add(src.relativize(f).toString().replace('/', '.').replaceAll("\\.java$", ""));
                    }
                }
            }
        }
        return found;
    }

    private record Result(int code, String out) {
    }

    private static Result run(List<String> cmd) throws Exception {
        Path out = Files.createTempFile("tandem-help", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not end within 60 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
