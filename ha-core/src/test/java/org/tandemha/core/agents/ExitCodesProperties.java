package org.tandemha.core.agents;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.tandemha.api.ActionResult;
import org.tandemha.api.ActionResult.Outcome;
import org.tandemha.api.CheckResult;
import org.tandemha.api.CheckResult.Health;
import org.tandemha.api.Durations;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.Execution;

/**
 * Every exit code 0..255 of every kind of program, and every timeout, maps to the status the OCF spec, Pacemaker's
 * scheduler, LSB and our script convention give it. The expected values are written here as tables, apart from the
 * code under test.
 */
class ExitCodesProperties {
    private static final Command CMD = Command.of("/bin/agent", "action");
    private static final List<String> OUT = List.of("first line", "last line");

    private static Execution exit(int code) {
        return new Execution(CMD, code, false, false, Duration.ofMillis(12), OUT);
    }

    // ---- the tables ----

    /** OCF monitor: health. */
    private static Health ocfMonitorHealth(int code) {
        if (code == 0) {
            return Health.OK;                       // 8 (promoted) is an error: no Tandem resource is promotable
        }
        if (code == 7) {
            return Health.NOT_RUNNING;
        }
        if (code == 190) {
            return Health.DEGRADED;
        }
        return Health.FAILED;
    }

    /** OCF failure severity (monitor and actions alike). */
    private static Severity ocfSeverity(int code) {
        if (code >= 2 && code <= 5) {
            return Severity.HARD;
        }
        if (code == 6) {
            return Severity.FATAL;
        }
        return Severity.SOFT;
    }

    private static boolean ocfDone(String action, int code) {
        return code == 0 || action.equals("stop") && code == 7
                || action.equals("start") && code == 190;
    }

    // ---- properties ----

    @Property(tries = 256, generation = net.jqwik.api.GenerationMode.EXHAUSTIVE)
    void ocfMonitor(@ForAll @IntRange(min = 0, max = 255) int code) {
        CheckResult r = ExitCodes.ocfCheck("r monitor", exit(code));
        assertThat(r.health()).isEqualTo(ocfMonitorHealth(code));
        if (r.health() == Health.FAILED) {
            assertThat(r.severity()).isEqualTo(ocfSeverity(code));
            assertThat(r.reason()).contains("exit " + code).endsWith(": last line");
            assertThat(r.output()).isEqualTo(OUT);
        } else {
            assertThat(r.severity()).isEqualTo(Severity.SOFT);
        }
    }

    @Property(tries = 256, generation = net.jqwik.api.GenerationMode.EXHAUSTIVE)
    void ocfActions(@ForAll @IntRange(min = 0, max = 255) int code) {
        for (String action : List.of("start", "stop", "validate-all")) {
            ActionResult r = ExitCodes.ocfAction("r " + action, action, exit(code));
            if (ocfDone(action, code)) {
                assertThat(r.outcome()).as(action + " " + code).isEqualTo(Outcome.DONE);
            } else {
                assertThat(r.outcome()).as(action + " " + code).isEqualTo(code == 5 ? Outcome.NOT_INSTALLED : Outcome.ERROR);
                assertThat(r.severity()).as(action + " " + code).isEqualTo(ocfSeverity(code));
                assertThat(r.output()).isEqualTo(OUT);
            }
        }
    }

    @Property(tries = 256, generation = net.jqwik.api.GenerationMode.EXHAUSTIVE)
    void scripts(@ForAll @IntRange(min = 0, max = 255) int code) {
        CheckResult c = ExitCodes.scriptCheck("r check", exit(code));
        assertThat(c.health()).isEqualTo(code == 0 ? Health.OK : code == 7 ? Health.NOT_RUNNING : Health.FAILED);
        assertThat(c.severity()).isEqualTo(Severity.SOFT);
        ActionResult start = ExitCodes.scriptAction("r start", false, exit(code));
        assertThat(start.outcome()).isEqualTo(code == 0 ? Outcome.DONE : Outcome.ERROR);
        ActionResult stop = ExitCodes.scriptAction("r stop", true, exit(code));
        assertThat(stop.outcome()).isEqualTo(code == 0 || code == 7 ? Outcome.DONE : Outcome.ERROR);
        assertThat(stop.severity()).isEqualTo(Severity.SOFT);
    }

    @Property(tries = 256, generation = net.jqwik.api.GenerationMode.EXHAUSTIVE)
    void lsb(@ForAll @IntRange(min = 0, max = 255) int code) {
        CheckResult status = ExitCodes.lsbStatus("r status", exit(code));
        assertThat(status.health()).isEqualTo(code == 0 ? Health.OK
                : code == 1 || code == 2 || code == 3 ? Health.NOT_RUNNING : Health.FAILED);
        assertThat(status.severity()).isEqualTo(code == 150 || code == 151 ? Severity.HARD : Severity.SOFT);
        ActionResult start = ExitCodes.lsbAction("r start", "start", exit(code));
        ActionResult stop = ExitCodes.lsbAction("r stop", "stop", exit(code));
        assertThat(start.isDone()).isEqualTo(code == 0);
        assertThat(stop.isDone()).isEqualTo(code == 0 || code == 7);
        if (!start.isDone()) {
            assertThat(start.outcome()).isEqualTo(code == 5 ? Outcome.NOT_INSTALLED : Outcome.ERROR);
            assertThat(start.severity()).isEqualTo(code >= 2 && code <= 6 ? ocfSeverity(code) : Severity.SOFT);
        }
    }

    @Property
    void everyTimeoutIsATimeoutNamingTheTimeAllowed(@ForAll @LongRange(min = 1, max = 3_600_000) long millis,
                                                     @ForAll @IntRange(min = -1, max = 255) int code) {
        Duration d = Duration.ofMillis(millis);
        Execution e = new Execution(CMD, code, true, false, d, OUT);
        String expected = "timeout after " + Durations.format(d);
        for (CheckResult c : List.of(ExitCodes.ocfCheck("r", e), ExitCodes.scriptCheck("r", e), ExitCodes.lsbStatus("r", e))) {
            assertThat(c.health()).isEqualTo(Health.TIMEOUT);
            assertThat(c.reason()).contains(expected);
            assertThat(c.output()).isEqualTo(OUT);
        }
        for (ActionResult a : List.of(ExitCodes.ocfAction("r", "start", e), ExitCodes.ocfAction("r", "stop", e),
                ExitCodes.scriptAction("r", true, e), ExitCodes.lsbAction("r", "start", e))) {
            assertThat(a.outcome()).isEqualTo(Outcome.TIMEOUT);
            assertThat(a.reason()).contains(expected).doesNotContain("error");
            assertThat(a.duration()).isEqualTo(d);
        }
    }

    @Property
    void aMissingProgramIsNotInstalled(@ForAll @IntRange(min = -1, max = 255) int code) {
        Execution e = new Execution(CMD, code, false, true, Duration.ZERO, List.of("x: not found"));
        assertThat(ExitCodes.ocfAction("r", "start", e).outcome()).isEqualTo(Outcome.NOT_INSTALLED);
        assertThat(ExitCodes.scriptAction("r", false, e).outcome()).isEqualTo(Outcome.NOT_INSTALLED);
        assertThat(ExitCodes.lsbAction("r", "stop", e).outcome()).isEqualTo(Outcome.NOT_INSTALLED);
        assertThat(ExitCodes.ocfCheck("r", e).severity()).isEqualTo(Severity.HARD);
        assertThat(ExitCodes.scriptCheck("r", e).severity()).isEqualTo(Severity.HARD);
    }

    @Example
    void twentySecondsReadsAsTheIssueAsks() {
        Execution e = new Execution(CMD, -1, true, false, Duration.ofSeconds(20), OUT);
        assertThat(ExitCodes.ocfAction("vip start", "start", e).reason()).startsWith("vip start: timeout after 20 s");
    }

    @Example
    void ocfTimesAndBooleans() {
        assertThat(OcfMetadata.time("20")).isEqualTo(Duration.ofSeconds(20));
        assertThat(OcfMetadata.time("20s")).isEqualTo(Duration.ofSeconds(20));
        assertThat(OcfMetadata.time("100ms")).isEqualTo(Duration.ofMillis(100));
        assertThat(OcfMetadata.time("2min")).isEqualTo(Duration.ofMinutes(2));
        assertThat(OcfMetadata.time("soon")).isNull();
        assertThat(OcfMetadata.isBoolean("Yes")).isTrue();
        assertThat(OcfMetadata.isBoolean("maybe")).isFalse();
    }
}
