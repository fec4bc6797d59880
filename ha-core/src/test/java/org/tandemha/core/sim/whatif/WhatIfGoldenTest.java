package org.tandemha.core.sim.whatif;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.config.SwitchbackPolicy;
import org.tandemha.core.sim.Specs;

/**
 * Golden tests: every scenario file's cluster and script, run as a what-if (its steps are what-if events as they
 * stand: the event language accepts the scenario forms), prints exactly the decisions and the final state the file
 * expects. Files marked {@code disputed:} expect what the engine does not do yet, and are skipped.
 */
class WhatIfGoldenTest {
    static final Path DIR = Path.of("src/test/resources/scenarios");

    /** A scenario file, as far as a what-if run needs it. */
    record Golden(String name, ClusterSpec spec, WhatIf.Options options, List<String> events, List<String> expectedEvents,
                  List<String> expectedAfter, String disputed) {
    }

    @TestFactory
    Stream<DynamicTest> everyScenarioFileRunsTheSameAsAWhatIf() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".scenario")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThan(60);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            Golden g = read(f);
            Assumptions.assumeTrue(g.disputed() == null, "disputed: " + g.disputed());
            WhatIfReport r = WhatIf.run(g.spec(), g.options(), g.events());
            List<String> transcript = r.transcript();
            if (!transcript.equals(g.expectedEvents()) || !r.after().equals(g.expectedAfter())) {
                Path out = Path.of("target/golden");
                Files.createDirectories(out);
                Files.write(out.resolve(g.name() + ".actual"), transcript);
                Files.write(out.resolve(g.name() + ".expected"), g.expectedEvents());
            }
            assertThat(String.join("\n", transcript)).as(g.name() + ": decisions")
                    .isEqualTo(String.join("\n", g.expectedEvents()));
            assertThat(String.join("\n", r.after())).as(g.name() + ": final state")
                    .isEqualTo(String.join("\n", g.expectedAfter()));
            assertThat(r.violations()).isEmpty();
        }));
    }

    static Golden read(Path f) throws IOException {
        List<String> nodes = new ArrayList<>();
        List<GroupSpec> groups = new ArrayList<>();
        List<String> events = new ArrayList<>();
        List<String> expEvents = new ArrayList<>();
        List<String> expAfter = new ArrayList<>();
        List<String> section = null;
        WhatIf.Options o = WhatIf.Options.defaults().withArbiter(WhatIf.Arbiter.TRUTH).withFencing(false);
        String disputed = null;
        for (String raw : Files.readAllLines(f)) {
            String line = raw.strip();
            if (line.equals("expect events:")) {
                section = expEvents;
                continue;
            } else if (line.equals("expect after:")) {
                section = expAfter;
                continue;
            }
            if (section != null) {
                if (!line.isEmpty()) {
                    section.add(raw.substring(Math.min(2, raw.length() - raw.stripLeading().length())).stripTrailing());
                }
                continue;
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] w = line.split("\\s+");
            switch (w[0]) {
                case "nodes:" -> nodes.addAll(List.of(w).subList(1, w.length));
                case "group" -> groups.add(group(w));
                case "arbiter:" -> o = o.withArbiter(WhatIf.Arbiter.valueOf(w[1].toUpperCase(Locale.ROOT).replace('-', '_')));
                case "fencing:" -> o = o.withFencing(w[1].equals("on"));
                case "seed:" -> o = o.withSeed(Long.parseLong(w[1]));
                case "disputed:" -> disputed = line.substring(9).strip();
                case "at", "run" -> events.add(line);
                default -> throw new IllegalArgumentException(f + ": unknown line " + line);
            }
        }
        return new Golden(f.getFileName().toString(), Specs.cluster(nodes, groups.toArray(GroupSpec[]::new)), o, events,
                expEvents, expAfter, disputed);
    }

    /**
     * {@code group web: nodes=node1,node2 resources=ip,app switchback=administrator maxRecoveries=2 settle=3s
     * promotable=true}.
     */
    private static GroupSpec group(String[] w) {
        String id = w[1].substring(0, w[1].length() - 1);
        List<String> nodes = List.of();
        List<String> res = List.of();
        SwitchbackPolicy sb = SwitchbackPolicy.ADMINISTRATOR;
        int max = 2;
        Duration settle = Duration.ofSeconds(3);
        Duration window = Duration.ofMinutes(10);
        boolean promotable = false;
        List<String> dr = List.of();
        boolean drAuto = false;
        for (int i = 2; i < w.length; i++) {
            String k = w[i].substring(0, w[i].indexOf('='));
            String v = w[i].substring(w[i].indexOf('=') + 1);
            switch (k) {
                case "nodes" -> nodes = List.of(v.split(","));
                case "resources" -> res = List.of(v.split(","));
                case "switchback" -> sb = SwitchbackPolicy.valueOf(v.toUpperCase(Locale.ROOT));
                case "maxRecoveries" -> max = Integer.parseInt(v);
                case "settle" -> settle = Duration.ofMillis(ms(v));
                case "recoveryWindow" -> window = Duration.ofMillis(ms(v));
                case "promotable" -> promotable = Boolean.parseBoolean(v);
                case "dr" -> dr = List.of(v.split(","));
                case "drAutoPromote" -> drAuto = Boolean.parseBoolean(v);
                default -> throw new IllegalArgumentException("unknown group setting " + k);
            }
        }
        List<ResourceSpec> rs = new ArrayList<>();
        String prev = null;
        for (String r : res) {
            rs.add(prev == null ? Specs.resource(r) : Specs.resource(r, prev));
            prev = r;
        }
        return new GroupSpec(id, nodes, sb, settle, max, window, rs, promotable,
                new org.tandemha.core.config.DrSpec(dr, drAuto, java.util.Map.of()));
    }

    private static long ms(String d) {
        if (d.endsWith("ms")) {
            return Long.parseLong(d.substring(0, d.length() - 2));
        }
        if (d.endsWith("m")) {
            return Math.round(Double.parseDouble(d.substring(0, d.length() - 1)) * 60_000);
        }
        return Math.round(Double.parseDouble(d.substring(0, d.length() - 1)) * 1000);
    }
}
