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
            assertThat(dead.health()).isEqualTo(CheckResult.Health.FAILED);
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
}
