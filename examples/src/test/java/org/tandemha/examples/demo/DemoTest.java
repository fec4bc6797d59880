package org.tandemha.examples.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.tandemha.api.ActionContext;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * The demo, as the README's first command runs it, in quiet mode: two real node JVMs, a real kill -9 of the active
 * one, and its summary line.
 */
class DemoTest {

    @Test
    @Timeout(300)
    void theDemoFailsOverWithoutSplitBrainAndLeavesNothingBehind() throws Exception {
        Set<Path> dirsBefore = demoDirs();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            rc = Demo.run(new String[] {"--quiet"}, out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(text).isZero();
        assertThat(text.strip()).as("quiet: the summary line only")
                .matches("demo: failover in \\d+ ms, switchover in \\d+ ms, no split brain");
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(DemoNode.class.getName())).orElse(false)).toList())
                .as("no node JVM left running").isEmpty();
        assertThat(demoDirs()).as("no temporary directory left").isSubsetOf(dirsBefore);
    }

    @Test
    void badArgumentsGiveTheUsage() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc = Demo.run(new String[] {"--loud"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).startsWith("usage: Demo [--quiet]");
    }

    @Test
    void theResourceTypeIsFoundAndChecksItsService() throws Exception {
        assertThat(ServiceLoader.load(ResourceType.class).stream().map(p -> p.get().name())).contains("demo-http");
        int port = Demo.freePorts(1)[0];
        DemoControl control = new DemoControl();
        ResourceParts parts = new DemoHttpType().create(PluginConfig.of("http", "demo-http",
                Map.of("ports", Map.of("n1", port, "n2", port + 1))), context("n1", control));
        ActionContext c = new ActionContext("n1", "web", "http", 7, Duration.ofSeconds(5), System.nanoTime() + 5_000_000_000L);
        assertThat(parts.checker().quickCheck(c).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(parts.resource().start(c).isDone()).isTrue();
        try {
            assertThat(parts.resource().start(c).isDone()).as("idempotent").isTrue();
            assertThat(DemoHttpService.get("127.0.0.1", port, "/", Duration.ofSeconds(2)).body())
                    .isEqualTo("web served by n1, generation 7, start 1");
            assertThat(parts.checker().deepCheck(c).health()).isEqualTo(CheckResult.Health.OK);
            control.failNextHealthCheck();
            CheckResult sick = parts.checker().deepCheck(c);
            assertThat(sick.health()).isEqualTo(CheckResult.Health.FAILED);
            assertThat(sick.reason()).contains("answered 503");
            assertThat(parts.checker().deepCheck(c).health()).as("only once").isEqualTo(CheckResult.Health.OK);
            assertThat(parts.checker().quickCheck(c).health()).isEqualTo(CheckResult.Health.OK);
        } finally {
            assertThat(parts.resource().stop(c).isDone()).isTrue();
        }
        assertThat(parts.resource().stop(c).isDone()).as("idempotent").isTrue();
    }

    @Test
    void aNodeWithoutAPortIsAConfigurationError() {
        assertThatThrownBy(() -> new DemoHttpType().create(PluginConfig.of("http", "demo-http",
                Map.of("ports", Map.of("n2", 8080))), context("n1", new DemoControl())))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("resources[http].params.ports")
                .hasMessageContaining("no port for node n1");
    }

    private static Set<Path> demoDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("tandem-demo-")).collect(Collectors.toSet());
        }
    }

    private static NodeContext context(String node, DemoControl control) {
        return new NodeContext() {
            @Override
            public String nodeId() {
                return node;
            }

            @Override
            public String clusterName() {
                return "test";
            }

            @Override
            public List<String> peers() {
                return List.of();
            }

            @Override
            public Path stateDirectory() {
                return Path.of(System.getProperty("java.io.tmpdir"));
            }

            @Override
            public <T> java.util.Optional<T> service(Class<T> type) {
                return type == DemoControl.class ? java.util.Optional.of(type.cast(control)) : java.util.Optional.empty();
            }

            @Override
            public boolean peerDeadOrFenced(String n) {
                return false;
            }

            @Override
            public Map<String, String> peerFacts(String n) {
                return Map.of();
            }

            @Override
            public void publishFact(String key, String value) {
            }

            @Override
            public void reportFenced(String reason) {
            }

            @Override
            public void note(String group, String resource, String message) {
            }
        };
    }
}
