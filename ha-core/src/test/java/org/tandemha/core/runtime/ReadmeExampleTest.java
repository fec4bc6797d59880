package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Tandem;

/** The embedding example of the README, compiled and exercised; the README must show exactly these lines. */
class ReadmeExampleTest {
    /** Stands for the application's own service. */
    static final class MyService {
        final int port;
        boolean up;

        MyService(int port) {
            this.port = port;
        }

        void start() {
            up = true;
        }

        void stop() {
            up = false;
        }

        boolean healthy() {
            return up;
        }
    }

    /** Stands for the application's own reaction to events. */
    static final class Alerts {
        final java.util.List<org.tandemha.api.ClusterEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

        void onEvent(org.tandemha.api.ClusterEvent event) {
            seen.add(event);
        }
    }

    static final Alerts alerts = new Alerts();

    // README-BEGIN
    // A user-defined resource type: how to start, stop and check your service.
    public static final class MyServiceType implements ResourceType {
        public String name() { return "my-service"; }

        public ResourceParts create(PluginConfig config, NodeContext node) throws InvalidConfigException {
            PluginConfig.Reader params = config.reader();
            int port = params.integer("port", 8080, 1, 65535);
            params.finish();                                   // unknown or bad params: one clear error each
            MyService svc = new MyService(port);               // your own code
            return ResourceParts.of(new Resource() {
                public ActionResult start(ActionContext c) { svc.start(); return ActionResult.done("port " + port); }
                public ActionResult stop(ActionContext c) { svc.stop(); return ActionResult.done("stopped"); }
            }, c -> svc.healthy() ? CheckResult.ok("answers") : CheckResult.failed("does not answer"));
        }
    }

    // List it in META-INF/services/org.tandemha.api.ResourceType, then run a node:
    static ClusterNode run(Path config, String me) throws InvalidConfigException {
        ClusterNode node = Tandem.builder().config(config).localNode(me).build();
        node.subscribe(event -> alerts.onEvent(event));       // your reaction to each decision (alert, metrics)
        node.start();                                          // groups start where the cluster decides
        return node;
    }
    // README-END

    @Test
    void theTypeStartsChecksAndStops() throws Exception {
        ResourceParts p = new MyServiceType().create(PluginConfig.of("svc", "my-service", Map.of("port", 9000)), null);
        ActionContext c = ActionContext.of("node1", "g", "svc", java.time.Duration.ofSeconds(1));
        assertThat(p.checker().quickCheck(c).healthy()).isFalse();
        assertThat(p.resource().start(c).reason()).isEqualTo("port 9000");
        assertThat(p.checker().quickCheck(c).healthy()).isTrue();
        assertThat(p.recoverer().recover(c, CheckResult.failed("x")).isDone()).isTrue();
        assertThat(p.resource().stop(c).isDone()).isTrue();
        assertThatThrownBy(() -> new MyServiceType().create(PluginConfig.of("svc", "my-service", Map.of("prot", 1)), null))
                .hasMessageContaining("unknown parameter 'prot'");
    }

    @Test
    void withoutTheHeartbeatModuleTheBuilderSaysWhatToAdd() throws Exception {
        Path cfg = Files.createTempFile("readme", ".yaml");
        Files.writeString(cfg, EmbeddingTest.CONFIG);
        try {
            assertThatThrownBy(() -> run(cfg, "node1")).isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("org.tandemha:ha-heartbeat");
        } finally {
            Files.deleteIfExists(cfg);
        }
    }

    @Test
    void readmeShowsTheseLines() throws Exception {
        Path here = Path.of("src/test/java/org/tandemha/core/runtime/ReadmeExampleTest.java");
        Path readme = Path.of("../README.md");
        if (!Files.exists(readme)) {
            return; // built outside the repository
        }
        List<String> src = Files.readAllLines(here);
        List<String> block = src.subList(src.indexOf("    // README-BEGIN") + 1, src.indexOf("    // README-END"));
        String expected = String.join("\n", block.stream().map(l -> l.length() >= 4 ? l.substring(4) : l.strip()).toList());
        assertThat(Files.readString(readme)).contains(expected);
    }
}
