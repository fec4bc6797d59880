package org.tandemha.core.scenarios;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;
import org.tandemha.core.sim.Specs;
import org.tandemha.core.sim.whatif.WhatIf;
import org.tandemha.core.sim.whatif.WhatIfReport;

/**
 * Runs one {@link Scenario} as a what-if ({@link WhatIf}: its steps are what-if events as they stand, and the
 * what-if's transcript and final state are the text of the file's {@code expect events:} and {@code expect after:}
 * sections). A bad step is refused with the file, its line, the what-if's problem and fix, and the step.
 */
final class ScenarioRunner {
    /** What a run produced: the two sections as lines, and the simulator's invariant violations. */
    record Outcome(List<String> events, List<String> after, List<String> violations) {
    }

    private static final Pattern EVENT = Pattern.compile("^event (\\d+) \\(");

    private final Scenario sc;

    ScenarioRunner(Scenario sc) {
        this.sc = sc;
    }

    static ClusterSpec spec(Scenario sc) {
        List<GroupSpec> gs = new ArrayList<>();
        for (Scenario.GroupDef g : sc.groups) {
            List<ResourceSpec> rs = new ArrayList<>();
            String prev = null;
            for (String r : g.resources()) {
                rs.add(prev == null ? Specs.resource(r) : Specs.resource(r, prev));
                prev = r;
            }
            gs.add(new GroupSpec(g.id(), g.nodes(), g.switchback(), g.settle(), g.maxRecoveries(), g.recoveryWindow(), rs, g.promotable(),
                    new org.tandemha.core.config.DrSpec(g.dr(), g.drAutoPromote(), java.util.Map.of())));
        }
        return Specs.cluster(sc.nodes, gs.toArray(GroupSpec[]::new));
    }

    Outcome run() {
        WhatIf.Options o = WhatIf.Options.defaults().withSeed(sc.seed).withFencing(sc.fencing).withRun(sc.runMs)
                .withArbiter(sc.scriptedArbiter ? WhatIf.Arbiter.SCRIPT : WhatIf.Arbiter.valueOf(sc.arbiter.name()));
        List<String> events = new ArrayList<>();
        for (Scenario.Step st : sc.steps) {
            events.add("at " + Scenario.formatMillis(st.atMs()) + " " + st.text());
        }
        WhatIfReport r;
        try {
            r = WhatIf.run(spec(sc), o, events);
        } catch (IllegalArgumentException e) {
            Matcher m = EVENT.matcher(String.valueOf(e.getMessage()));
            if (!m.find()) {
                throw e;
            }
            Scenario.Step st = sc.steps.get(Integer.parseInt(m.group(1)) - 1); // one event per step, in order
            throw new IllegalArgumentException(sc.file + ":" + st.line() + ": " + e.getMessage() + "\n  at "
                    + Scenario.formatMillis(st.atMs()) + " " + st.text(), e);
        }
        return new Outcome(r.transcript(), r.after(), r.violations());
    }
}
