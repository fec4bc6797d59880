package org.tandemha.core.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

/**
 * A user-defined resource type, as an application would write one, registered through
 * META-INF/services/org.tandemha.api.ResourceType in the test resources. Tests make it fail per node.
 */
public final class TestServiceType implements ResourceType {
    /** node -> how many more checks fail (-1: all of them). */
    public static final Map<String, Integer> FAILING_CHECKS = new ConcurrentHashMap<>();
    /** node -> running. */
    public static final Map<String, Boolean> RUNNING = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "test-service";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String greeting = r.string("greeting", "hello");
        r.finish();
        String node = context.nodeId();
        final class Svc implements Resource, Checker {
            @Override
            public ActionResult start(ActionContext ctx) {
                RUNNING.put(node, true);
                return ActionResult.done(greeting + " from " + node);
            }

            @Override
            public ActionResult stop(ActionContext ctx) {
                RUNNING.put(node, false);
                return ActionResult.done("stopped");
            }

            @Override
            public CheckResult quickCheck(ActionContext ctx) {
                int left = FAILING_CHECKS.getOrDefault(node, 0);
                if (left != 0) {
                    FAILING_CHECKS.put(node, left > 0 ? left - 1 : left);
                    return CheckResult.failed("the service does not answer");
                }
                return Boolean.TRUE.equals(RUNNING.get(node)) ? CheckResult.ok("answers") : CheckResult.notRunning("not running");
            }
        }
        return ResourceParts.of(new Svc());
    }
}
