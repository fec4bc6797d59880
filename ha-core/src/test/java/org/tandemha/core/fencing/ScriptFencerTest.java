package org.tandemha.core.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Fencer;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;

class ScriptFencerTest {
    static final ClusterConfig CLUSTER = new ClusterConfig("c", "node1", new byte[16], List.of(), List.of());

    private Fencer fencer(List<String> command) throws InvalidConfigException {
        return new ScriptFencerFactory().create(PluginConfig.of("f", "script", Map.of("command", command)), CLUSTER, null);
    }

    @Test
    void exitZeroFencesAndThePeerIsNamed(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("fenced");
        ActionResult r = fencer(List.of("/bin/sh", "-c", "echo \"$1 $TANDEM_PEER\" > " + out, "fence", "%peer"))
                .fence("node2", ActionContext.of("node1", null, null, Duration.ofSeconds(5)));
        assertThat(r.isDone()).as(r.toString()).isTrue();
        assertThat(Files.readString(out).trim()).isEqualTo("node2 node2");
    }

    @Test
    void failureAndTimeoutAreReported() throws Exception {
        ActionResult failed = fencer(List.of("/bin/sh", "-c", "echo no power >&2; exit 1"))
                .fence("node2", ActionContext.of("node1", null, null, Duration.ofSeconds(5)));
        assertThat(failed.isDone()).isFalse();
        assertThat(failed.reason()).contains("exit 1").contains("no power");
        ActionResult slow = fencer(List.of("/bin/sleep", "30")).fence("node2", ActionContext.of("node1", null, null, Duration.ofMillis(300)));
        assertThat(slow.outcome()).isEqualTo(ActionResult.Outcome.TIMEOUT);
        ActionResult missing = fencer(List.of("/nonexistent/fence")).fence("node2", ActionContext.of("node1", null, null, Duration.ofSeconds(2)));
        assertThat(missing.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
    }

    @Test
    void aMissingCommandIsAConfigurationError() {
        assertThatThrownBy(() -> new ScriptFencerFactory().create(PluginConfig.of("f", "script", Map.of()), CLUSTER, null))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("command");
    }
}
