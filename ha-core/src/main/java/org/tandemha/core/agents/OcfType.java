package org.tandemha.core.agents;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.tandemha.api.ActionResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * Type {@code ocf}: an unchanged OCF resource agent (such as Pacemaker's resource-agents), run through its own
 * interface.
 *
 * <p>Parameters: {@code agent} (required: {@code ocf:heartbeat:IPaddr2}, {@code heartbeat:IPaddr2}, or
 * {@code IPaddr2} for provider heartbeat), {@code agentParams} (a map, passed as {@code OCF_RESKEY_<name>}),
 * {@code ocfRoot} (default {@code /usr/lib/ocf}), {@code quickCheckLevel} and {@code deepCheckLevel} (the
 * {@code OCF_CHECK_LEVEL} of each check: 0, 10 or 20; default 0 and 20), {@code notify} (default true: for the
 * replicated resource of a promotable group, whether the agent gets notify calls; see {@link OcfPromotable}).
 *
 * <p>As the first resource of a {@code promotable: true} group the agent runs as a promotable clone
 * ({@link OcfPromotable}); it must then have promote and demote actions. Every agent finds Tandem's shims of
 * {@code crm_attribute}, {@code crm_node} and friends first on its {@code PATH} ({@link OcfShims}).
 *
 * <p>{@link #create} runs the agent's {@code meta-data} (read-only) and rejects a missing required parameter, an
 * unknown one, or a value of the wrong type before anything starts.
 */
public final class OcfType implements ResourceType {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OcfType.class);

    static final Path DEFAULT_ROOT = Path.of("/usr/lib/ocf");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]*");
    static final Duration META_DATA_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public String name() {
        return "ocf";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String spec = r.string("agent");
        Map<String, String> agentParams = r.map("agentParams");
        Path root = Params.path(r, "ocfRoot", DEFAULT_ROOT);
        int quick = level(r, "quickCheckLevel", 0);
        int deep = level(r, "deepCheckLevel", 20);
        boolean promotable = context.promotable(config.id());
        boolean notify = r.bool("notify", true);
        String provider = null;
        String type = null;
        if (spec != null) {
            String[] parts = spec.split(":", -1);
            if (parts.length == 3 && parts[0].equals("ocf")) {
                provider = parts[1];
                type = parts[2];
            } else if (parts.length == 2) {
                provider = parts[0];
                type = parts[1];
            } else if (parts.length == 1) {
                provider = "heartbeat";
                type = parts[0];
            }
            if (provider == null || !NAME.matcher(provider).matches() || !NAME.matcher(type).matches()) {
                r.problem("agent", "'agent' is '" + spec + "', not an OCF agent name",
                        "write ocf:<provider>:<agent>, such as ocf:heartbeat:IPaddr2");
                provider = null;
            }
        }
        OcfMetadata meta = null;
        Path agent = null;
        if (provider != null) {
            agent = root.resolve("resource.d").resolve(provider).resolve(type);
            if (!Files.isRegularFile(agent) || !Files.isExecutable(agent)) {
                Path dir = agent.getParent();
                r.problem("agent", "OCF agent " + provider + ":" + type + " not found at " + agent,
                        Files.isDirectory(dir) ? "fix the name (ls " + dir + " lists the agents of provider " + provider
                                + "), or install it on every node"
                                : "install the package that provides it (resource-agents) on every node, or fix the provider or ocfRoot");
            } else {
                OcfResource probe = new OcfResource(config.id(), provider, type, agent, root, agentParams, quick, deep, null,
                        context.stateDirectory());
                try {
                    meta = OcfMetadata.parse(probe.metaData(context.nodeId(), META_DATA_TIMEOUT));
                } catch (IllegalArgumentException ex) {
                    r.problem("agent", "OCF agent " + provider + ":" + type + ": " + ex.getMessage(),
                            "run 'OCF_ROOT=" + root + " " + agent + " meta-data' to see why; fix or reinstall the agent");
                }
            }
        }
        boolean paramsOk = meta != null && validate(r, meta, provider + ":" + type, agentParams);
        if (promotable && meta != null && (!meta.has("promote") || !meta.has("demote"))) {
            r.problem("agent", "OCF agent " + provider + ":" + type + " has no promote or demote action, so it cannot be"
                            + " the replicated resource of promotable group (resource " + config.id() + ")",
                    "use an agent that supports promotable clones (its meta-data lists promote and demote), or remove"
                            + " promotable: true from the group");
        }
        OcfResource res = meta == null ? null : build(config.id(), provider, type, agent, root, agentParams, quick, deep,
                meta, context, promotable, notify);
        if (res != null && paramsOk && meta.has("validate-all")) {
            validateAtLoad(r, res, meta, root, agent, context);
        }
        r.finish();
        if (res == null) {
            res = build(config.id(), provider, type, agent, root, agentParams, quick, deep, meta, context, promotable, notify);
        }
        return ResourceParts.of(res);
    }

    private static OcfResource build(String id, String provider, String type, Path agent, Path root, Map<String, String> params,
                                     int quick, int deep, OcfMetadata meta, NodeContext context, boolean promotable,
                                     boolean notify) {
        return promotable
                ? new OcfPromotable(id, provider, type, agent, root, params, quick, deep, meta, context.stateDirectory(), context, notify)
                : new OcfResource(id, provider, type, agent, root, params, quick, deep, meta, context.stateDirectory(), context);
    }

    /**
     * Runs the agent's {@code validate-all} when the configuration is loaded, as far as it can tell there: exit 6
     * (not configured) means the parameters are wrong on every node and is a configuration error; any other
     * failure may be this node's state at load time (a device not yet attached, a program installed later) and is
     * logged, then checked again before every start.
     */
    private static void validateAtLoad(PluginConfig.Reader r, OcfResource res, OcfMetadata meta, Path root, Path agent,
                                       NodeContext context) {
        Duration timeout = meta.timeout("validate-all", 0).filter(d -> d.compareTo(META_DATA_TIMEOUT) < 0).orElse(META_DATA_TIMEOUT);
        ActionResult v = res.validate(org.tandemha.api.ActionContext.of(context.nodeId(), "", res.id(), timeout));
        if (v.isDone()) {
            return;
        }
        if (v.severity() == org.tandemha.api.Severity.FATAL) {
            r.problem("agentParams", "OCF agent " + res.name() + ": validate-all says the configuration is wrong: "
                            + v.reason(),
                    "fix the parameters; 'OCF_ROOT=" + root + " OCF_RESKEY_<name>=<value> " + agent
                            + " validate-all' shows the agent's own message");
        } else {
            LOG.warn("resource {} on node {}: validate-all at load: {}; it runs again before every start", res.id(),
                    context.nodeId(), v.reason());
        }
    }

    private static int level(PluginConfig.Reader r, String key, int dflt) {
        int v = r.integer(key, dflt, 0, 20);
        if (v != 0 && v != 10 && v != 20) {
            r.problem(key, "'" + key + "' is " + v + "; OCF check levels are 0, 10 and 20", "use 0, 10 or 20");
            return dflt;
        }
        return v;
    }

    /** Checks the agent's parameters against its meta-data: required present, none unknown, types right; true if so. */
    static boolean validate(PluginConfig.Reader r, OcfMetadata meta, String agent, Map<String, String> values) {
        int[] found = {0};
        for (OcfMetadata.Param p : meta.params()) {
            if (p.required() && (!values.containsKey(p.name()) || values.get(p.name()).isEmpty())) {
                found[0]++;
                r.problem("agentParams", "OCF agent " + agent + " requires parameter '" + p.name() + "'"
                                + (p.shortdesc().isEmpty() ? "" : " (" + p.shortdesc() + ")"),
                        "add '" + p.name() + ": ...' under params.agentParams");
            }
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            var param = meta.param(e.getKey());
            if (param.isEmpty()) {
                TreeSet<String> names = new TreeSet<>();
                meta.params().forEach(p -> names.add(p.name()));
                found[0]++;
                r.problem("agentParams", "OCF agent " + agent + " has no parameter '" + e.getKey() + "'",
                        "remove it, or use one of: " + String.join(", ", names));
                continue;
            }
            String v = e.getValue();
            OcfMetadata.Param p = param.get();
            switch (p.type()) {
                case "integer" -> {
                    if (!v.trim().matches("[+-]?\\d+")) {
                        found[0]++;
                        r.problem("agentParams", "parameter '" + p.name() + "' of OCF agent " + agent + " is '" + v
                                + "', not an integer", "write a whole number" + (p.dflt() == null ? "" : " such as " + p.dflt()));
                    }
                }
                case "boolean" -> {
                    if (!OcfMetadata.isBoolean(v)) {
                        found[0]++;
                        r.problem("agentParams", "parameter '" + p.name() + "' of OCF agent " + agent + " is '" + v
                                + "', not a boolean", "write true or false");
                    }
                }
                case "select" -> {
                    if (!p.options().isEmpty() && !p.options().contains(v)) {
                        found[0]++;
                        r.problem("agentParams", "parameter '" + p.name() + "' of OCF agent " + agent + " is '" + v
                                + "', not one of " + String.join(", ", p.options()), "use one of " + String.join(", ", p.options()));
                    }
                }
                default -> {
                    // string, or a type the agent invented: any value
                }
            }
        }
        return found[0] == 0;
    }
}
