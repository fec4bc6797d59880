package org.tandemha.core.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tandemha.core.agents.TestSupport.await;
import static org.tandemha.core.agents.TestSupport.create;
import static org.tandemha.core.agents.TestSupport.ctx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;
import org.tandemha.core.exec.ProcessTree;

class LsbSystemdTest {
    @TempDir
    Path dir;

    @Test
    void everyTypeIsFoundThroughServiceLoader() {
        var names = ServiceLoader.load(ResourceType.class).stream().map(p -> p.get().name()).toList();
        assertThat(names).contains("process", "script", "ocf", "systemd", "lsb");
    }

    @Test
    void anLsbInitScriptThroughItsExitCodes() throws Exception {
        Path script = TestSupport.executable("lsb-demo", dir);
        Files.writeString(Path.of(script + ".dir"), dir.toString());
        ResourceParts p = create(new LsbType(), dir.resolve("state"), "demo", Map.of("script", script.toString()));
        try {
            assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
            ActionResult start = p.resource().start(ctx(10));
            assertThat(start.isDone()).as(start.toString()).isTrue();
            long pid = TestSupport.readPids(dir.resolve("lsb-demo.pid")).get(0);
            assertThat(ProcessTree.alive(pid)).isTrue();
            assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.OK);

            Posix.kill(pid, Posix.SIGKILL);
            // gone from /proc, reaped too: kill -0 in the script still sees a zombie
            assertThat(await(() -> !Files.exists(Path.of("/proc/" + pid)), Duration.ofSeconds(10))).isTrue();
            CheckResult dead = p.checker().quickCheck(ctx(5));
            assertThat(dead.health()).isEqualTo(CheckResult.Health.NOT_RUNNING);   // LSB status 1, as Pacemaker maps it
            assertThat(dead.reason()).contains("pid file exists");

            assertThat(p.resource().stop(ctx(10)).isDone()).isTrue();
            assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        } finally {
            p.resource().stop(ctx(10));
        }
    }

    @Test
    void aMissingInitScript() throws Exception {
        ResourceParts p = create(new LsbType(), dir, "gone", Map.of("script", "tandem-no-such-service"));
        ActionResult start = p.resource().start(ctx(5));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(start.reason()).contains("/etc/init.d/tandem-no-such-service");
        assertThat(p.resource().stop(ctx(5)).isDone()).isTrue();
        assertThat(p.checker().quickCheck(ctx(5)).severity()).isEqualTo(Severity.HARD);
        assertThatThrownBy(() -> create(new LsbType(), dir, "bad", Map.of("script", "../etc/passwd")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("absolute path");
    }

    @Test
    void systemdGivesCleanErrorsWhereSystemdDoesNotRun() throws Exception {
        Assumptions.assumeFalse(Files.isDirectory(Path.of("/run/systemd/system")),
                "systemd runs on this host: this test covers hosts without it");
        ResourceParts p = create(new SystemdType(), dir, "web", Map.of("unit", "nginx"));
        ActionResult start = p.resource().start(ctx(5));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(start.reason()).contains("nginx.service").contains("systemd is not running on this host");
        ActionResult stop = p.resource().stop(ctx(5));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        CheckResult check = p.checker().quickCheck(ctx(5));
        assertThat(check.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(check.severity()).isEqualTo(Severity.HARD);
        assertThatThrownBy(() -> create(new SystemdType(), dir, "bad", Map.of("unit", "nginx; rm -rf /")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("not a systemd unit name");
    }

    @Test
    void systemdActiveStates() {
        assertThat(SystemdResource.activeState("x nginx.service", "active").health()).isEqualTo(CheckResult.Health.OK);
        assertThat(SystemdResource.activeState("x nginx.service", "inactive").health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(SystemdResource.activeState("x nginx.service", "activating").health()).isEqualTo(CheckResult.Health.DEGRADED);
        assertThat(SystemdResource.activeState("x nginx.service", "failed").health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(SystemdResource.activeState("x nginx.service", "weird").health()).isEqualTo(CheckResult.Health.FAILED);
    }

    /** The drop-in that keeps systemd from restarting a unit Tandem manages; written once, rewritten when changed. */
    @Test
    void systemdDropInSetsRestartNo() throws Exception {
        Path run = dir.resolve("run-systemd-system");
        assertThat(SystemdResource.writeDropIn(run, "nginx.service", "web")).isTrue();
        Path file = run.resolve("nginx.service.d").resolve("50-tandem.conf");
        assertThat(Files.readString(file)).contains("[Service]\nRestart=no\n").contains("Tandem resource web");
        assertThat(SystemdResource.writeDropIn(run, "nginx.service", "web")).as("unchanged: no daemon-reload").isFalse();
        assertThat(SystemdResource.writeDropIn(run, "data.mount", "data")).isTrue();
        assertThat(Files.readString(run.resolve("data.mount.d").resolve("50-tandem.conf"))).doesNotContain("Restart=");
        assertThat(SystemdResource.bootWarning("nginx.service", "enabled")).contains("enabled at boot")
                .contains("systemctl disable nginx.service");
        assertThat(SystemdResource.bootWarning("nginx.service", "disabled")).isNull();
        assertThat(SystemdResource.bootWarning("nginx.service", "static")).isNull();
    }

    /** With systemd running (a host, not this container): a unit with Restart=always is not restarted by systemd. */
    @Test
    void aManagedUnitIsNotRestartedBySystemd() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/run/systemd/system")) && Posix.isRoot(),
                "systemd is not running on this host (no /run/systemd/system) or not root: the drop-in is tested on files only");
        String unit = "tandem-test-" + ProcessHandle.current().pid() + ".service";
        Path unitFile = Path.of("/run/systemd/system", unit);
        Files.writeString(unitFile, "[Service]\nExecStart=/bin/sleep 100000\nRestart=always\nRestartSec=100ms\n");
        ResourceParts p = create(new SystemdType(), dir, "svc", Map.of("unit", unit));
        try {
            ActionResult start = p.resource().start(ctx(20));
            assertThat(start.isDone()).as(start.toString()).isTrue();
            Execution show = CommandRunner.run(Command.of("systemctl", "show", "-p", "Restart", "-p", "MainPID", unit), Duration.ofSeconds(5));
            assertThat(show.tail()).contains("Restart=no");
            long pid = show.tail().stream().filter(l -> l.startsWith("MainPID=")).map(l -> Long.parseLong(l.substring(8)))
                    .findFirst().orElseThrow();
            Posix.kill(pid, Posix.SIGKILL);
            assertThat(await(() -> p.checker().quickCheck(ctx(5)).health() != CheckResult.Health.OK, Duration.ofSeconds(10))).isTrue();
            Thread.sleep(1000);                       // RestartSec=100ms: systemd would have restarted it by now
            assertThat(p.checker().quickCheck(ctx(5)).healthy()).as("systemd restarted the unit").isFalse();
        } finally {
            p.resource().stop(ctx(20));
            Files.deleteIfExists(unitFile);
            Files.deleteIfExists(SystemdResource.dropInPath(Path.of("/run/systemd/system"), unit));
            Files.deleteIfExists(Path.of("/run/systemd/system", unit + ".d"));
            CommandRunner.run(Command.of("systemctl", "daemon-reload"), Duration.ofSeconds(10));
        }
    }

    /** LSB status codes as Pacemaker maps them, from a real init script: 2 not running, 150 not installed, 151 no permission. */
    @Test
    void lsbStatusCodesOfAnInitScript() throws Exception {
        Path script = dir.resolve("status-says");
        Files.writeString(script, "#!/bin/sh\n[ \"$1\" = status ] && exit $(cat \"$0.rc\")\nexit 0\n");
        script.toFile().setExecutable(true);
        ResourceParts p = create(new LsbType(), dir.resolve("state"), "svc", Map.of("script", script.toString()));
        Map<Integer, CheckResult.Health> expected = Map.of(0, CheckResult.Health.OK, 1, CheckResult.Health.NOT_RUNNING,
                2, CheckResult.Health.NOT_RUNNING, 3, CheckResult.Health.NOT_RUNNING, 4, CheckResult.Health.FAILED,
                150, CheckResult.Health.FAILED, 151, CheckResult.Health.FAILED);
        for (var e : expected.entrySet()) {
            Files.writeString(Path.of(script + ".rc"), e.getKey().toString());
            CheckResult c = p.checker().quickCheck(ctx(5));
            assertThat(c.health()).as("status exit %d: %s", e.getKey(), c.reason()).isEqualTo(e.getValue());
            if (e.getKey() >= 150) {
                assertThat(c.severity()).isEqualTo(Severity.HARD);
                assertThat(c.reason()).contains(e.getKey() == 150 ? "not installed" : "insufficient privilege");
            }
        }
    }
}
