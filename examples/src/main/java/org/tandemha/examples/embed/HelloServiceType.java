package org.tandemha.examples.embed;

import java.io.IOException;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.Resource;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.api.Severity;

/**
 * The resource type {@code hello-http}: makes a {@link HelloService} a cluster resource. Listed for
 * {@link java.util.ServiceLoader} in {@code META-INF/services/org.tandemha.api.ResourceType}.
 *
 * <p>Parameters: {@code port} (default 8080) and {@code host} (default {@code 127.0.0.1}).
 */
public final class HelloServiceType implements ResourceType {
    // README-BEGIN
    @Override
    public String name() {
        return "hello-http";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext node) throws InvalidConfigException {
        PluginConfig.Reader params = config.reader();
        int port = params.integer("port", 8080, 1, 65535);
        String host = params.string("host", "127.0.0.1");
        params.finish();                                   // a typo in a parameter: a clear error, nothing starts
        HelloService svc = new HelloService(host, port, "hello from " + node.nodeId());
        Resource resource = new Resource() {
            @Override
            public ActionResult start(ActionContext c) {
                try {
                    svc.start();
                    return ActionResult.done("listening on " + svc.address());
                } catch (IOException e) {                  // the port is taken: retrying here will not help
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
        return ResourceParts.of(resource, c -> {
            if (!svc.running()) {
                return CheckResult.notRunning("not listening on " + svc.address());
            }
            try {
                svc.probe(c.remaining());
                return CheckResult.ok("answers on " + svc.address());
            } catch (IOException e) {
                return CheckResult.failed("no answer on " + svc.address() + ": " + e.getMessage());
            }
        });
    }
    // README-END
}
