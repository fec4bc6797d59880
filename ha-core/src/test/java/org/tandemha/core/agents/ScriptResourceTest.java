package org.tandemha.core.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tandemha.core.agents.TestSupport.await;
import static org.tandemha.core.agents.TestSupport.create;
import static org.tandemha.core.agents.TestSupport.ctx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Posix;
import org.tandemha.core.exec.ProcessTree;

class ScriptResourceTest {
    @TempDir
    Path dir;
    private Path script;
    private Path pidFile;
    private ResourceParts parts;

    @BeforeEach
    void copyScript() throws Exception {
        script = TestSupport.executable("myapp.sh", dir);
        pidFile = dir.resolve("myapp.pid");
    }

    @AfterEach
    void stop() {
        if (parts != null) {
            parts.resource().stop(ctx(10));
        }
    }

    private ResourceParts myapp(Map<String, String> env, Map<String, Object> extra) throws InvalidConfigException {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("start", List.of(script.toString(), "start"));
        params.put("stop", List.of(script.toString(), "stop"));
        params.put("check", List.of(script.toString(), "check"));
        params.put("deepCheck", List.of(script.toString(), "deepcheck"));
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put("PIDFILE", pidFile.toString());
        params.put("env", all);
        params.putAll(extra);
        parts = create(new ScriptType(), dir.resolve("state"), "myapp", params);
        return parts;
    }

    private long daemon() {
        List<Long> pids = TestSupport.readPids(pidFile);
        return pids.isEmpty() ? -1 : pids.get(0);
    }

    @Test
    void startLeavesItsDaemonRunningAndStopTakesItDown() throws Exception {
        ResourceParts p = myapp(Map.of(), Map.of());
        assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        ActionResult start = p.resource().start(ctx(10));
        assertThat(start.isDone()).as(start.toString()).isTrue();
        long pid = daemon();
        assertThat(ProcessTree.alive(pid)).as("daemon started in the background survives its start script").isTrue();
        assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(p.checker().deepCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(p.resource().start(ctx(10)).isDone()).isTrue();
        assertThat(daemon()).isEqualTo(pid);

        ActionResult stop = p.resource().stop(ctx(10));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(ProcessTree.alive(pid)).isFalse();
        assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(p.resource().stop(ctx(10)).isDone()).isTrue();
    }

    @Test
    void aBadExitCodeIsASoftFailureWithTheScriptsOutput() throws Exception {
        ResourceParts p = myapp(Map.of("CHECK_RC", "3"), Map.of());
        assertThat(p.resource().start(ctx(10)).isDone()).isTrue();
        CheckResult deep = p.checker().deepCheck(ctx(5));
        assertThat(deep.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(deep.severity()).isEqualTo(Severity.SOFT);
        assertThat(deep.reason()).contains("exit 3").contains("health check said 3");
        assertThat(deep.output()).contains("myapp: health check said 3");
    }

    @Test
    void aCrashedDaemonFailsTheCheckAndRestartRecoversIt() throws Exception {
        ResourceParts p = myapp(Map.of(), Map.of());
        assertThat(p.resource().start(ctx(10)).isDone()).isTrue();
        long pid = daemon();
        Posix.kill(pid, Posix.SIGKILL);
        // gone from /proc, reaped too: kill -0 in the script still sees a zombie
            assertThat(await(() -> !Files.exists(Path.of("/proc/" + pid)), Duration.ofSeconds(10))).isTrue();
        CheckResult check = p.checker().quickCheck(ctx(5));
        assertThat(check.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(check.output()).anyMatch(l -> l.contains("is gone"));
        ActionResult recovered = p.recoverer().recover(ctx(20), check);
        assertThat(recovered.isDone()).as(recovered.toString()).isTrue();
        assertThat(daemon()).isNotEqualTo(pid);
        assertThat(p.checker().quickCheck(ctx(5)).health()).isEqualTo(CheckResult.Health.OK);
    }

    @Test
    void aHangingCommandTimesOutAndItsTreeIsKilled() throws Exception {
        Path child = dir.resolve("child.pid");
        parts = create(new ScriptType(), dir.resolve("state"), "hang", Map.of(
                "start", "sleep 30 & echo $! > " + child + "; wait",
                "stop", "true", "check", "true"));
        ActionResult start = parts.resource().start(ctx(1));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.TIMEOUT);
        assertThat(start.reason()).contains("timeout after 1 s");
        long pid = TestSupport.readPids(child).get(0);
        assertThat(ProcessTree.alive(pid)).isFalse();
    }

    @Test
    void aCommandThatDoesNotExist() throws Exception {
        parts = create(new ScriptType(), dir.resolve("state"), "missing", Map.of(
                "start", List.of("/nonexistent/start-me"), "stop", "true", "check", "tandem-no-such-program --check"));
        ActionResult start = parts.resource().start(ctx(5));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(start.reason()).contains("/nonexistent/start-me");
        CheckResult check = parts.checker().quickCheck(ctx(5));
        assertThat(check.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(check.severity()).isEqualTo(Severity.HARD);
        assertThat(check.output()).anyMatch(l -> l.contains("not found"));
    }

    @Test
    void aRecoverCommandGetsTheFailureAndTheActionEnvironment() throws Exception {
        Path out = dir.resolve("recover.txt");
        parts = create(new ScriptType(), dir.resolve("state"), "rec", Map.of(
                "start", "true", "stop", "true", "check", "exit 7",
                "recover", "echo \"$TANDEM_ACTION $TANDEM_RESOURCE $TANDEM_NODE $TANDEM_FAILURE\" > " + out));
        CheckResult check = parts.checker().quickCheck(ctx(5));
        assertThat(check.health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        ActionResult r = parts.recoverer().recover(ctx(5), check);
        assertThat(r.isDone()).as(r.toString()).isTrue();
        assertThat(Files.readString(out).trim()).isEqualTo("recover app node1 rec: check: not running");
    }

    @Test
    void missingCommandsAreConfigurationErrors() {
        assertThatThrownBy(() -> create(new ScriptType(), dir, "x", Map.of("deepCheck", List.of())))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("'start' is missing")
                .hasMessageContaining("'stop' is missing")
                .hasMessageContaining("'check' is missing")
                .hasMessageContaining("'deepCheck' is an empty command");
    }
}
