package org.tandemha.zookeeper;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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

/**
 * A fake shared resource, as Hadoop's ZKFC stress test has one: it records every write with the writer's token (the
 * group's generation) and rejects a token older than the newest it accepted. The resource type {@code fenced-write}
 * writes at start and at every quick check. A violation: two nodes whose writes were accepted with one token.
 */
final class FencedStore implements ResourceType {
    record Write(long atNanos, String group, String node, long token, boolean accepted) {
    }

    private final Map<String, Long> newest = new HashMap<>();
    private final Map<String, String> tokenOwner = new HashMap<>();
    final List<Write> writes = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    /** group -> node whose last write was accepted. */
    final Map<String, String> lastWriter = new HashMap<>();

    synchronized boolean write(String group, String node, long token) {
        long n = newest.getOrDefault(group, 0L);
        boolean ok = token >= n;
        writes.add(new Write(System.nanoTime(), group, node, token, ok));
        if (!ok) {
            return false;
        }
        newest.put(group, token);
        String owner = tokenOwner.putIfAbsent(group + "@" + token, node);
        if (owner != null && !owner.equals(node)) {
            violations.add("group " + group + ": token " + token + " accepted from " + owner + " and " + node);
        }
        lastWriter.put(group, node);
        return true;
    }

    synchronized long accepted() {
        return writes.stream().filter(Write::accepted).count();
    }

    synchronized long rejected() {
        return writes.stream().filter(w -> !w.accepted()).count();
    }

    @Override
    public String name() {
        return "fenced-write";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        config.reader().finish();
        String node = context.nodeId();
        final class Writer implements Resource, Checker {
            private volatile boolean running;

            @Override
            public ActionResult start(ActionContext ctx) {
                if (!write(ctx.group(), node, ctx.generation())) {
                    return ActionResult.failed("the store refused token " + ctx.generation());
                }
                running = true;
                return ActionResult.done("writing at token " + ctx.generation());
            }

            @Override
            public ActionResult stop(ActionContext ctx) {
                running = false;
                return ActionResult.done("stopped");
            }

            @Override
            public CheckResult quickCheck(ActionContext ctx) {
                if (!running) {
                    return CheckResult.notRunning("not running");
                }
                return write(ctx.group(), node, ctx.generation()) ? CheckResult.ok("wrote")
                        : CheckResult.failed("the store refused token " + ctx.generation());
            }
        }
        return ResourceParts.of(new Writer());
    }
}
