package org.tandemha.examples.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;

/**
 * The demo's user-defined resource type {@code demo-http}, written against the public SPI only: a small HTTP
 * service that says which node serves it. Listed for {@link java.util.ServiceLoader} in
 * {@code META-INF/services/org.tandemha.api.ResourceType}.
 *
 * <p>Parameters: {@code ports} (required: node id to port, since both demo nodes share one machine) and
 * {@code host} (default {@code 127.0.0.1}). The quick check asks {@code GET /}; the deep check asks
 * {@code GET /health} and wants {@code 200 ok}. Local recovery is the default restart.
 */
public final class DemoHttpType implements ResourceType {
    /** For {@link java.util.ServiceLoader}. */
    public DemoHttpType() {
    }

    @Override
    public String name() {
        return "demo-http";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext node) throws InvalidConfigException {
        PluginConfig.Reader params = config.reader();
        Map<String, String> ports = params.map("ports");
        String host = params.string("host", "127.0.0.1");
        int port = 0;
        String own = ports.get(node.nodeId());
        if (own == null) {
            params.problem("ports", "no port for node " + node.nodeId() + " in 'ports' " + ports,
                    "add '" + node.nodeId() + ": 8080' under ports");
        } else {
            try {
                port = Integer.parseInt(own.trim());
                if (port < 1 || port > 65535) {
                    params.problem("ports", "port " + port + " of node " + node.nodeId() + " is outside 1..65535",
                            "use a port from 1 to 65535");
                }
            } catch (NumberFormatException e) {
                params.problem("ports", "port '" + own + "' of node " + node.nodeId() + " is not a number",
                        "write a port number such as 8080");
            }
        }
        params.finish();
        DemoControl control = node.service(DemoControl.class).orElseGet(DemoControl::new);
        int listenPort = port;
        DemoHttpService svc = new DemoHttpService(host, listenPort, node.nodeId(), control);
        Resource resource = new Resource() {
            @Override
            public ActionResult start(ActionContext c) {
                try {
                    svc.start(c.group(), c.generation());
                    return ActionResult.done("listening on " + svc.address());
                } catch (IOException e) {
                    return ActionResult.failed(Severity.HARD, "cannot listen on " + svc.address() + ": " + e.getMessage()
                            + "; stop the program that holds the port, then clear the group");
                }
            }

            @Override
            public ActionResult stop(ActionContext c) {
                svc.stop();
                return ActionResult.done("stopped listening on " + svc.address());
            }
        };
        Checker checker = new Checker() {
            @Override
            public CheckResult quickCheck(ActionContext c) {
                return ask(c, "/");
            }

            @Override
            public CheckResult deepCheck(ActionContext c) {
                return ask(c, "/health");
            }

            private CheckResult ask(ActionContext c, String path) {
                if (!svc.running()) {
                    return CheckResult.notRunning("not listening on " + svc.address());
                }
                Duration bound = c.remaining().compareTo(Duration.ofSeconds(2)) < 0 ? c.remaining() : Duration.ofSeconds(2);
                try {
                    DemoHttpService.Answer a = DemoHttpService.get(host, listenPort, path, bound);
                    if (a.code() != 200) {
                        return CheckResult.failed("GET " + path + " on " + svc.address() + " answered " + a.code() + " " + a.body());
                    }
                    return CheckResult.ok("GET " + path + " answered 200 on " + svc.address());
                } catch (IOException e) {
                    return CheckResult.failed("GET " + path + " on " + svc.address() + " failed: " + e.getMessage());
                }
            }
        };
        return ResourceParts.of(resource, checker);
    }
}
