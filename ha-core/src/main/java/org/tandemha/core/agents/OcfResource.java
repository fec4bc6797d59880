package org.tandemha.core.agents;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Resource;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.Execution;

/**
 * An OCF resource agent run as Pacemaker runs it: {@code <agent> <action>} with {@code OCF_ROOT},
 * {@code OCF_RA_VERSION_MAJOR/MINOR}, {@code OCF_RESOURCE_INSTANCE}, {@code OCF_RESOURCE_TYPE},
 * {@code OCF_RESOURCE_PROVIDER}, {@code OCF_RESKEY_<param>}, {@code OCF_RESKEY_CRM_meta_timeout} (ms) and, for
 * monitor, {@code OCF_CHECK_LEVEL} and a non-zero {@code OCF_RESKEY_CRM_meta_interval} (so the agent does not take
 * a regular check for a one-off probe; a probe, {@link #probe}, gets {@code OCF_RESKEY_CRM_meta_interval=0}). Exit
 * codes are mapped by {@link ExitCodes}.
 */
class OcfResource implements Resource, Checker, AdvisedTimeouts, Validatable, Probeable {
    private static final String STD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

    private final String id;
    private final String provider;
    private final String type;
    private final Path agent;
    private final Path root;
    private final Map<String, String> params;
    private final int quickLevel;
    private final int deepLevel;
    final OcfMetadata meta;
    private final Path log;
    /** The node's context (facts, peers), or null where none is given (tools, tests). */
    final org.tandemha.api.NodeContext node;
    private final Path stateDir;
    private volatile OcfShims shims;
    private volatile boolean shimsTried;
    /** The status crm_mon prints (written before each call). */
    final Path crmMon;

    OcfResource(String id, String provider, String type, Path agent, Path root, Map<String, String> params,
                int quickLevel, int deepLevel, OcfMetadata meta, Path stateDir) {
        this(id, provider, type, agent, root, params, quickLevel, deepLevel, meta, stateDir, null);
    }

    OcfResource(String id, String provider, String type, Path agent, Path root, Map<String, String> params,
                int quickLevel, int deepLevel, OcfMetadata meta, Path stateDir, org.tandemha.api.NodeContext node) {
        this.node = node;
        this.stateDir = stateDir;
        this.crmMon = stateDir.resolve("ocf-bin").resolve(Params.fileName(id) + ".crm_mon.xml");
        this.id = id;
        this.provider = provider;
        this.type = type;
        this.agent = agent;
        this.root = root;
        this.params = Map.copyOf(params);
        this.quickLevel = quickLevel;
        this.deepLevel = deepLevel;
        this.meta = meta;
        this.log = stateDir.resolve(Params.fileName(id) + ".log");
    }

    String id() {
        return id;
    }

    /**
     * The Pacemaker tool shims on the agent's PATH, written on the first agent call other than meta-data (so that a
     * configuration rejected at load leaves nothing behind); null when they could not be written.
     */
    OcfShims shims() {
        if (!shimsTried) {
            try {
                shims = OcfShims.of(stateDir);
            } catch (IllegalStateException e) {
                org.slf4j.LoggerFactory.getLogger(OcfResource.class).warn("resource {}: {}", id, e.getMessage());
            }
            shimsTried = true;
        }
        return shims;
    }

    int quickLevel() {
        return quickLevel;
    }

    int deepLevel() {
        return deepLevel;
    }

    /** provider:type. */
    String name() {
        return provider + ":" + type;
    }

    String what(String action) {
        return id + " (ocf:" + provider + ":" + type + ") " + action;
    }

    /** The environment Pacemaker's executor gives an agent. */
    Map<String, String> environment(ActionContext context, String action, Integer depth) {
        return environment(context, action, depth, false);
    }

    /** The environment; a {@code probe} is a one-off monitor: {@code OCF_RESKEY_CRM_meta_interval=0}. */
    Map<String, String> environment(ActionContext context, String action, Integer depth, boolean probe) {
        Map<String, String> env = new LinkedHashMap<>();
        String path = System.getenv().getOrDefault("PATH", "");
        Set<String> dirs = new LinkedHashSet<>();
        OcfShims shims = action.equals("meta-data") ? null : shims();
        if (shims != null) {
            dirs.add(shims.bin.toString()); // crm_attribute, crm_node, ...: Tandem's shims, never Pacemaker's
        }
        for (String d : (path + ":" + STD_PATH).split(":")) {
            if (!d.isEmpty()) {
                dirs.add(d);
            }
        }
        env.put("PATH", String.join(":", dirs));
        env.put("OCF_ROOT", root.toString());
        env.put("OCF_RA_VERSION_MAJOR", "1");
        env.put("OCF_RA_VERSION_MINOR", "1");
        env.put("OCF_RESOURCE_INSTANCE", id);
        env.put("OCF_RESOURCE_TYPE", type);
        env.put("OCF_RESOURCE_PROVIDER", provider);
        if (shims != null) {
            env.putAll(shims.env(context.node() == null || context.node().isEmpty() ? "local" : context.node(), crmMon));
        }
        params.forEach((k, v) -> env.put("OCF_RESKEY_" + k, v));
        env.put("OCF_RESKEY_CRM_meta_timeout", Long.toString(Math.max(1, context.timeout().toMillis())));
        if (context.node() != null && !context.node().isEmpty()) {
            env.put("OCF_RESKEY_CRM_meta_on_node", context.node());
        }
        if (depth != null) {
            env.put("OCF_CHECK_LEVEL", Integer.toString(depth));
            Duration interval = meta == null ? null : meta.interval("monitor", depth).orElse(null);
            env.put("OCF_RESKEY_CRM_meta_interval", probe ? "0" : Long.toString((interval == null || interval.isZero()
                    ? DEFAULT_INTERVAL : interval).toMillis()));
        }
        env.putAll(metaEnv(context, action));
        env.putAll(Params.actionEnv(context, action));
        return env;
    }

    /** Extra {@code OCF_RESKEY_CRM_meta_*} variables of this resource (a promotable one's clone settings). */
    Map<String, String> metaEnv(ActionContext context, String action) {
        return Map.of();
    }

    /** Before every agent call: what the shims need (a promotable resource also refreshes attributes and status). */
    void beforeCall(ActionContext context) {
        if (shims() != null && !java.nio.file.Files.exists(crmMon)) {
            String self = node != null ? node.nodeId() : context.node();
            writeStatus(self == null || self.isEmpty() ? java.util.List.of() : java.util.List.of(self), Map.of());
        }
    }

    /** After every agent call: publishes the attributes the agent changed. */
    void afterCall(ActionContext context) {
        if (shims() != null && node != null) {
            shims().publish(node);
        }
    }

    /** Writes the XML crm_mon prints: the nodes, whether online, and this resource's role on each (null: stopped). */
    void writeStatus(java.util.List<String> online, Map<String, String> roles) {
        if (shims() == null) {
            return;
        }
        java.util.List<String> all = new java.util.ArrayList<>();
        if (node != null) {
            all.add(node.nodeId());
            all.addAll(node.peers());
        }
        for (String n : online) {
            if (n != null && !all.contains(n)) {
                all.add(n);
            }
        }
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?>\n<pacemaker-result api-version=\"2.25\" request=\"crm_mon -1 --output-as=xml\">\n");
        b.append("  <summary>\n    <stack type=\"tandem\"/>\n    <nodes_configured number=\"").append(all.size()).append("\"/>\n  </summary>\n");
        b.append("  <nodes>\n");
        for (int i = 0; i < all.size(); i++) {
            String n = all.get(i);
            b.append("    <node name=\"").append(n).append("\" id=\"").append(i + 1).append("\" online=\"")
                    .append(online.contains(n)).append("\" standby=\"false\" maintenance=\"false\" type=\"member\"/>\n");
        }
        b.append("  </nodes>\n  <resources>\n");
        b.append("    <clone id=\"").append(id).append("-clone\" multi_state=\"").append(!roles.isEmpty()).append("\" unique=\"false\">\n");
        for (Map.Entry<String, String> e : roles.entrySet()) {
            b.append("      <resource id=\"").append(id).append("\" resource_agent=\"ocf:").append(provider).append(":").append(type)
                    .append("\" role=\"").append(e.getValue()).append("\" active=\"true\" orphaned=\"false\" failed=\"false\" nodes_running_on=\"1\">\n");
            b.append("        <node name=\"").append(e.getKey()).append("\" id=\"").append(all.indexOf(e.getKey()) + 1).append("\" cached=\"true\"/>\n");
            b.append("      </resource>\n");
        }
        b.append("    </clone>\n  </resources>\n</pacemaker-result>\n");
        try {
            Path tmp = crmMon.resolveSibling(crmMon.getFileName() + ".tmp");
            Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, crmMon, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // crm_mon then reports no status; the agent's call says what it missed
        }
    }

    Execution runAction(String action, ActionContext context, Integer depth, boolean keepChildren, Path output) {
        return runAction(action, context, depth, false, keepChildren, output);
    }

    Execution runAction(String action, ActionContext context, Integer depth, boolean probe, boolean keepChildren, Path output) {
        return runAction(action, context, depth, probe, keepChildren, output, Map.of());
    }

    Execution runAction(String action, ActionContext context, Integer depth, boolean probe, boolean keepChildren, Path output,
                        Map<String, String> extra) {
        Map<String, String> env = environment(context, action, depth, probe);
        env.putAll(extra);
        if (!action.equals("meta-data")) {
            beforeCall(context);
        }
        try {
            return runCommand(env, action, context, keepChildren, output);
        } finally {
            if (!action.equals("meta-data")) {
                afterCall(context);
            }
        }
    }

    private Execution runCommand(Map<String, String> env, String action, ActionContext context, boolean keepChildren, Path output) {
        Command c = new Command(java.util.List.of(agent.toString(), action), env, null, null, output);
        if (output != null) {
            try {
                Files.createDirectories(output.toAbsolutePath().getParent());
            } catch (IOException e) {
                c = c.withLogFile(null);
            }
        }
        return Params.run(c, context, keepChildren);
    }

    /** Runs {@code meta-data} and returns the XML; throws IllegalArgumentException saying why it could not. */
    String metaData(String node, Duration timeout) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("tandem-ocf-meta", ".xml");
            Execution e = runAction("meta-data", ActionContext.of(node, "", id, timeout), null, false, tmp);
            if (!e.ok()) {
                throw new IllegalArgumentException("its meta-data action failed: " + e.describe());
            }
            long size = Files.size(tmp);
            if (size > 4 << 20) {
                throw new IllegalArgumentException("its meta-data is larger than 4 MiB");
            }
            String out = Files.readString(tmp, StandardCharsets.UTF_8);
            // stderr shares the file: keep the XML only
            int from = out.indexOf("<?xml");
            if (from < 0) {
                from = out.indexOf("<resource-agent");
            }
            int to = out.lastIndexOf("</resource-agent>");
            if (from < 0 || to < 0) {
                throw new IllegalArgumentException("its meta-data output has no <resource-agent> element");
            }
            return out.substring(from, to + "</resource-agent>".length());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read its meta-data: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    @Override
    public ActionResult start(ActionContext context) {
        // validate-all first, as Pacemaker does: a configuration error (exit 6) or a missing program (exit 5) is
        // reported as such instead of as a failed start; it shares the start's deadline
        if (meta != null && meta.has("validate-all")) {
            ActionResult v = validate(context);
            if (!v.isDone()) {
                return v.withReason("validate-all before start: " + v.reason());
            }
        }
        // start may leave the agent's daemon running: its output goes to the resource's log, which the daemon keeps
        return ExitCodes.ocfAction(what("start"), "start", runAction("start", context, null, true, log));
    }

    @Override
    public ActionResult stop(ActionContext context) {
        return ExitCodes.ocfAction(what("stop"), "stop", runAction("stop", context, null, false, null));
    }

    @Override
    public CheckResult quickCheck(ActionContext context) {
        return ExitCodes.ocfCheck(what("monitor (OCF_CHECK_LEVEL=" + quickLevel + ")"),
                runAction("monitor", context, quickLevel, false, null));
    }

    @Override
    public CheckResult deepCheck(ActionContext context) {
        return ExitCodes.ocfCheck(what("monitor (OCF_CHECK_LEVEL=" + deepLevel + ")"),
                runAction("monitor", context, deepLevel, false, null));
    }

    @Override
    public CheckResult probe(ActionContext context) {
        return ExitCodes.ocfCheck(what("probe (monitor, OCF_RESKEY_CRM_meta_interval=0)"),
                runAction("monitor", context, 0, true, false, null));
    }

    @Override
    public ActionResult validate(ActionContext context) {
        return ExitCodes.ocfAction(what("validate-all"), "validate-all", runAction("validate-all", context, null, false, null));
    }

    @Override
    public Optional<Duration> advised(String action) {
        if (meta == null || action == null) {
            return Optional.empty();
        }
        return switch (action) {
            case "quickCheck" -> meta.timeout("monitor", quickLevel);
            case "deepCheck" -> meta.timeout("monitor", deepLevel);
            case "recover" -> sum(meta.timeout("stop", 0), meta.timeout("start", 0));
            default -> meta.timeout(action, 0);
        };
    }

    @Override
    public Optional<Duration> advisedInterval(String action) {
        if (meta == null || action == null) {
            return Optional.empty();
        }
        return switch (action) {
            case "quickCheck" -> meta.interval("monitor", quickLevel);
            case "deepCheck" -> meta.interval("monitor", deepLevel);
            default -> meta.interval(action, 0);
        };
    }

    private static Optional<Duration> sum(Optional<Duration> a, Optional<Duration> b) {
        return a.isPresent() && b.isPresent() ? Optional.of(a.get().plus(b.get())) : Optional.empty();
    }
}
