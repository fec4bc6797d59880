package org.tandemha.core.agents;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PromotableResource;
import org.tandemha.api.ReplicationPosition;
import org.tandemha.api.ReplicationRole;
import org.tandemha.api.ReplicationState;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Execution;

/**
 * An OCF agent as the replicated resource of a promotable group, run as Pacemaker runs a promotable clone with one
 * instance per node of the group:
 *
 * <ul>
 *   <li>Every call gets {@code OCF_RESKEY_CRM_meta_promotable=true}, {@code clone_max} (the group's nodes),
 *       {@code clone_node_max=1}, {@code promoted_max=1} and {@code master_max=1} (with their {@code _node_max}),
 *       {@code clone} (this node's index in the group), {@code globally_unique=false}, {@code notify} and
 *       {@code OCF_RESKEY_crm_feature_set}.</li>
 *   <li>The role comes from monitor: 0 unpromoted (Tandem's standby), 8 promoted (primary), 9 failed promoted,
 *       7 stopped.</li>
 *   <li>{@link #start} brings it up unpromoted (a copy found promoted is demoted first); {@link #promote} starts it
 *       first when it is not running; {@link #stop} demotes a promoted copy first, as Pacemaker does.</li>
 *   <li>With {@code notify} (default true, when the agent has a notify action) each action of this node's instance
 *       is wrapped in {@code notify} calls (type pre, then post) with the {@code OCF_RESKEY_CRM_meta_notify_*}
 *       variables: the operation, the node doing it ({@code *_uname}, {@code *_resource}) and the roles before it
 *       ({@code active}, {@code inactive}, {@code master}/{@code promoted}, {@code slave}/{@code unpromoted},
 *       {@code all}, {@code available}); an empty list is one space, as Pacemaker writes it. A peer's action
 *       reaches this node's instance as a post notification when this node next sees the peer's role change (its
 *       role is a fact, {@code ocf.role/<resource>}); peers' pre notifications are not delivered (Tandem's nodes act
 *       without a cluster-wide transition).</li>
 *   <li>The replication position is the promotion score the agent set on this node ({@code crm_attribute -p},
 *       {@code master-<resource>}), carried as the position's timeline ({@code score + 1,000,000}, offset 0) so
 *       that the engine promotes the eligible node with the highest score and invents no byte count for the data
 *       at risk (positions on different "timelines" are 0 bytes apart); no score is {@link ReplicationPosition#NONE}.
 *       A score of {@code -INFINITY} holds promote (monitor keeps running, as under Pacemaker) and, if it stays,
 *       refuses it.</li>
 * </ul>
 */
final class OcfPromotable extends OcfResource implements PromotableResource {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OcfPromotable.class);
    static final String ROLE_FACT = "ocf.role/";
    static final String FEATURE_SET = "3.16.2";
    static final long INFINITY = 1_000_000;
    private static final Duration NOTIFY_TIMEOUT = Duration.ofSeconds(90);

    private final boolean notify;
    private final Object lock = new Object();
    /** This node's instance: promoted, unpromoted or stopped (as last found). */
    private String selfRole = "stopped";
    /** Peers' roles as last acted on (post notifications are sent for changes). */
    private Map<String, String> seenPeers;

    OcfPromotable(String id, String provider, String type, Path agent, Path root, Map<String, String> params, int quickLevel,
                  int deepLevel, OcfMetadata meta, Path stateDir, NodeContext node, boolean notify) {
        super(id, provider, type, agent, root, params, quickLevel, deepLevel, meta, stateDir, node);
        this.notify = notify && meta != null && meta.has("notify");
    }

    private String self(ActionContext ctx) {
        return node != null ? node.nodeId() : ctx.node();
    }

    /** The group's nodes (this one at least). */
    List<String> nodes(ActionContext ctx) {
        List<String> g = node == null ? List.of() : node.groupNodes(id());
        if (g.isEmpty()) {
            List<String> l = new ArrayList<>();
            l.add(self(ctx));
            if (node != null) {
                l.addAll(node.peers());
            }
            return l;
        }
        return g;
    }

    @Override
    Map<String, String> metaEnv(ActionContext ctx, String action) {
        Map<String, String> env = new LinkedHashMap<>();
        List<String> nodes = nodes(ctx);
        env.put("OCF_RESKEY_crm_feature_set", FEATURE_SET);
        env.put("OCF_RESKEY_CRM_meta_promotable", "true");
        env.put("OCF_RESKEY_CRM_meta_clone_max", Integer.toString(Math.max(1, nodes.size())));
        env.put("OCF_RESKEY_CRM_meta_clone_node_max", "1");
        env.put("OCF_RESKEY_CRM_meta_clone", Integer.toString(Math.max(0, nodes.indexOf(self(ctx)))));
        env.put("OCF_RESKEY_CRM_meta_promoted_max", "1");
        env.put("OCF_RESKEY_CRM_meta_promoted_node_max", "1");
        env.put("OCF_RESKEY_CRM_meta_master_max", "1");
        env.put("OCF_RESKEY_CRM_meta_master_node_max", "1");
        env.put("OCF_RESKEY_CRM_meta_globally_unique", "false");
        env.put("OCF_RESKEY_CRM_meta_notify", Boolean.toString(notify));
        return env;
    }

    // ---- the cluster as this node sees it --------------------------------------------------------------------

    /** Each group node's role: this node's as last found, a peer's as it published it (stopped if dead or unheard). */
    Map<String, String> roles(ActionContext ctx) {
        Map<String, String> m = new LinkedHashMap<>();
        String me = self(ctx);
        for (String n : nodes(ctx)) {
            m.put(n, n.equals(me) ? selfRole : peerRole(n));
        }
        return m;
    }

    private String peerRole(String peer) {
        if (node == null) {
            return "stopped";
        }
        try {
            if (node.peerDeadOrFenced(peer)) {
                return "stopped";
            }
            String r = node.peerFacts(peer).get(ROLE_FACT + id());
            return r == null ? "stopped" : r;
        } catch (RuntimeException e) {
            return "stopped";
        }
    }

    private List<String> online(ActionContext ctx) {
        List<String> l = new ArrayList<>();
        String me = self(ctx);
        for (String n : nodes(ctx)) {
            if (n.equals(me)) {
                l.add(n);
            } else if (node != null) {
                try {
                    if (!node.peerDeadOrFenced(n) && !node.peerFacts(n).isEmpty()) {
                        l.add(n);
                    }
                } catch (RuntimeException e) {
                    // unknown: offline
                }
            }
        }
        return l;
    }

    @Override
    void beforeCall(ActionContext ctx) {
        if (shims() != null && node != null) {
            shims().importPeers(node);
        }
        Map<String, String> shown = new LinkedHashMap<>();
        roles(ctx).forEach((n, r) -> {
            if (!r.equals("stopped")) {
                shown.put(n, r.equals("promoted") ? "Promoted" : "Unpromoted");
            }
        });
        writeStatus(online(ctx), shown);
    }

    private void setRole(String role) {
        selfRole = role;
        if (node != null) {
            node.publishFact(ROLE_FACT + id(), role);
        }
    }

    // ---- notifications ---------------------------------------------------------------------------------------

    private static String list(List<String> l) {
        return l.isEmpty() ? " " : String.join(" ", l);
    }

    /** The notify environment for {@code op} done by {@code opNode}, with the roles {@code before} it. */
    Map<String, String> notifyEnv(ActionContext ctx, String type, String op, String opNode, Map<String, String> before) {
        List<String> all = nodes(ctx);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OCF_RESKEY_CRM_meta_notify_type", type);
        env.put("OCF_RESKEY_CRM_meta_notify_operation", op);
        env.put("OCF_RESKEY_CRM_meta_notify_key_type", type);
        env.put("OCF_RESKEY_CRM_meta_notify_key_operation", type.equals("pre") ? op : switch (op) {
            case "start" -> "running";
            case "stop" -> "stopped";
            case "promote" -> "promoted";
            default -> "demoted";
        });
        List<String> active = new ArrayList<>();
        List<String> inactive = new ArrayList<>();
        List<String> promoted = new ArrayList<>();
        List<String> unpromoted = new ArrayList<>();
        for (String n : all) {
            String r = before.getOrDefault(n, "stopped");
            (r.equals("stopped") ? inactive : active).add(n);
            if (r.equals("promoted")) {
                promoted.add(n);
            } else if (r.equals("unpromoted")) {
                unpromoted.add(n);
            }
        }
        Map<String, List<String>> lists = new LinkedHashMap<>();
        for (String o : List.of("start", "stop", "promote", "demote")) {
            lists.put(o, o.equals(op) ? List.of(opNode) : List.of());
        }
        lists.put("active", active);
        lists.put("inactive", inactive);
        lists.put("master", promoted);
        lists.put("promoted", promoted);
        lists.put("slave", unpromoted);
        lists.put("unpromoted", unpromoted);
        lists.put("all", all);
        lists.put("available", online(ctx));
        for (Map.Entry<String, List<String>> e : lists.entrySet()) {
            env.put("OCF_RESKEY_CRM_meta_notify_" + e.getKey() + "_uname", list(e.getValue()));
            env.put("OCF_RESKEY_CRM_meta_notify_" + e.getKey() + "_resource",
                    list(e.getValue().stream().map(n -> id() + ":" + Math.max(0, all.indexOf(n))).toList()));
        }
        env.put("OCF_RESKEY_CRM_meta_notify_all_hosts", list(all));
        return env;
    }

    /** Runs notify on this node's instance; a failure is logged and noted, never fatal (as in Pacemaker). */
    private void runNotify(ActionContext ctx, String type, String op, String opNode, Map<String, String> before) {
        if (!notify) {
            return;
        }
        ActionContext nctx = ctx.remaining().compareTo(NOTIFY_TIMEOUT) > 0 ? ctx.withTimeout(NOTIFY_TIMEOUT) : ctx;
        Execution e = runAction("notify", nctx, null, false, false, null, notifyEnv(nctx, type, op, opNode, before));
        ActionResult r = ExitCodes.ocfAction(what("notify (" + type + "-" + op + " on " + opNode + ")"), "notify", e);
        if (!r.isDone()) {
            LOG.warn("resource {} on node {}: {}", id(), self(ctx), r.reason());
            if (node != null) {
                node.note(ctx.group(), id(), r.reason());
            }
        }
    }

    /** Sends this node's instance the post notifications of what its peers did since it last looked. */
    private void observePeers(ActionContext ctx) {
        Map<String, String> now = roles(ctx);
        String me = self(ctx);
        now.remove(me);
        if (seenPeers == null || selfRole.equals("stopped")) {
            seenPeers = now; // a stopped instance is not notified; it learns the roles when it starts
            return;
        }
        for (Map.Entry<String, String> e : now.entrySet()) {
            String was = seenPeers.getOrDefault(e.getKey(), "stopped");
            String is = e.getValue();
            if (was.equals(is)) {
                continue;
            }
            Map<String, String> before = new LinkedHashMap<>(roles(ctx));
            before.putAll(seenPeers);
            before.put(me, selfRole);
            for (String[] step : steps(was, is)) {
                runNotify(ctx, "post", step[0], e.getKey(), before);
                before.put(e.getKey(), step[1]);
            }
            seenPeers.put(e.getKey(), is);
        }
    }

    /** The operations that take an instance from one role to another, with the role after each. */
    static List<String[]> steps(String from, String to) {
        List<String[]> s = new ArrayList<>();
        String r = from;
        if (r.equals("stopped") && !to.equals("stopped")) {
            s.add(new String[] {"start", "unpromoted"});
            r = "unpromoted";
        }
        if (r.equals("unpromoted") && to.equals("promoted")) {
            s.add(new String[] {"promote", "promoted"});
            r = "promoted";
        }
        if (r.equals("promoted") && !to.equals("promoted")) {
            s.add(new String[] {"demote", "unpromoted"});
            r = "unpromoted";
        }
        if (r.equals("unpromoted") && to.equals("stopped")) {
            s.add(new String[] {"stop", "stopped"});
        }
        return s;
    }

    // ---- actions ---------------------------------------------------------------------------------------------

    /** Runs monitor (level 0) and returns its exit code, updating this node's role; -1 when it did not run. */
    private int monitorCode(ActionContext ctx) {
        Execution e = runAction("monitor", ctx, 0, false, false, null);
        if (e.timedOut() || e.notFound()) {
            return -1;
        }
        int c = e.exitCode();
        switch (c) {
            case ExitCodes.OCF_SUCCESS, ExitCodes.OCF_DEGRADED -> setRole("unpromoted");
            case ExitCodes.OCF_RUNNING_PROMOTED, ExitCodes.OCF_DEGRADED_PROMOTED, ExitCodes.OCF_FAILED_PROMOTED -> setRole("promoted");
            case ExitCodes.OCF_NOT_RUNNING -> setRole("stopped");
            default -> {
                // unknown: keep the role as last found
            }
        }
        return c;
    }

    /** One action wrapped in its notifications; on success this node's instance has {@code after}. */
    private ActionResult step(ActionContext ctx, String op, String after, java.util.function.Supplier<ActionResult> action) {
        Map<String, String> before = roles(ctx);
        runNotify(ctx, "pre", op, self(ctx), before);
        ActionResult r = action.get();
        if (r.isDone()) {
            setRole(after);
            runNotify(ctx, "post", op, self(ctx), before);
        }
        return r;
    }

    @Override
    public ActionResult start(ActionContext ctx) {
        synchronized (lock) {
            observePeers(ctx);
            int c = monitorCode(ctx);
            if (c == ExitCodes.OCF_SUCCESS || c == ExitCodes.OCF_DEGRADED) {
                return ActionResult.done(what("start") + ": already running unpromoted");
            }
            if (c == ExitCodes.OCF_RUNNING_PROMOTED || c == ExitCodes.OCF_DEGRADED_PROMOTED || c == ExitCodes.OCF_FAILED_PROMOTED) {
                // a standby is wanted: the copy found promoted (this node held the primary before) is demoted
                return step(ctx, "demote", "unpromoted", () -> ExitCodes.ocfAction(what("demote"), "demote",
                        runAction("demote", ctx, null, false, null)));
            }
            return step(ctx, "start", "unpromoted", () -> super.start(ctx));
        }
    }

    @Override
    public ActionResult promote(ActionContext ctx) {
        synchronized (lock) {
            observePeers(ctx);
            int c = monitorCode(ctx);
            if (c == ExitCodes.OCF_RUNNING_PROMOTED) {
                return ActionResult.done(what("promote") + ": already promoted");
            }
            if (c != ExitCodes.OCF_SUCCESS && c != ExitCodes.OCF_DEGRADED) {
                ActionResult s = step(ctx, "start", "unpromoted", () -> super.start(ctx));
                if (!s.isDone()) {
                    return s.withReason("start before promote: " + s.reason());
                }
            }
            ActionResult refused = awaitScore(ctx);
            if (refused != null) {
                return refused;
            }
            return step(ctx, "promote", "promoted", () -> ExitCodes.ocfAction(what("promote"), "promote",
                    runAction("promote", ctx, null, true, null)));
        }
    }

    /**
     * Pacemaker promotes an instance only once its promotion score allows it, and keeps monitoring it meanwhile
     * (pgsql raises the score after a few monitors that compare the nodes' WAL positions). A score of
     * {@code -INFINITY} therefore makes promote wait, running monitor every second, for at most half the time left
     * to the action; still {@code -INFINITY} then, promotion is refused (null: it may go on).
     */
    private ActionResult awaitScore(ActionContext ctx) {
        Long score = score(ctx);
        if (score == null || score > -INFINITY) {
            return null;
        }
        long start = System.nanoTime();
        long until = start + ctx.remaining().toNanos() / 2;
        int monitors = 0;
        while (System.nanoTime() < until) {
            try {
                Thread.sleep(Math.min(1000, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            int c = monitorCode(ctx.withTimeout(Duration.ofNanos(Math.max(1, until - System.nanoTime()))));
            monitors++;
            if (c != ExitCodes.OCF_SUCCESS && c != ExitCodes.OCF_DEGRADED) {
                break;
            }
            score = score(ctx);
            if (score == null || score > -INFINITY) {
                LOG.info("resource {} on node {}: promotion score {} after {} monitor(s): promoting", id(), self(ctx),
                        score, monitors);
                return null;
            }
        }
        return ActionResult.failed(Severity.SOFT, what("promote") + ": refused: the agent keeps this node's promotion"
                + " score (master-" + id() + ") at -INFINITY (" + monitors + " monitor(s) in "
                + Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s): it says its copy must not be promoted");
    }

    @Override
    public ActionResult demote(ActionContext ctx) {
        synchronized (lock) {
            observePeers(ctx);
            int c = monitorCode(ctx);
            if (c == ExitCodes.OCF_SUCCESS || c == ExitCodes.OCF_NOT_RUNNING || c == ExitCodes.OCF_DEGRADED) {
                return ActionResult.done(what("demote") + ": not promoted");
            }
            return step(ctx, "demote", "unpromoted", () -> ExitCodes.ocfAction(what("demote"), "demote",
                    runAction("demote", ctx, null, false, null)));
        }
    }

    @Override
    public ActionResult stop(ActionContext ctx) {
        synchronized (lock) {
            observePeers(ctx);
            int c = monitorCode(ctx);
            if (c == ExitCodes.OCF_RUNNING_PROMOTED || c == ExitCodes.OCF_DEGRADED_PROMOTED || c == ExitCodes.OCF_FAILED_PROMOTED) {
                ActionResult d = step(ctx, "demote", "unpromoted", () -> ExitCodes.ocfAction(what("demote"), "demote",
                        runAction("demote", ctx, null, false, null)));
                if (!d.isDone()) {
                    LOG.warn("resource {}: demote before stop failed ({}); stopping anyway", id(), d.reason());
                }
            }
            return step(ctx, "stop", "stopped", () -> super.stop(ctx));
        }
    }

    @Override
    public CheckResult quickCheck(ActionContext ctx) {
        return ExitCodes.ocfPromotableCheck(what("monitor (OCF_CHECK_LEVEL=" + quickLevel() + ")"),
                runAction("monitor", ctx, quickLevel(), false, null));
    }

    @Override
    public CheckResult deepCheck(ActionContext ctx) {
        return ExitCodes.ocfPromotableCheck(what("monitor (OCF_CHECK_LEVEL=" + deepLevel() + ")"),
                runAction("monitor", ctx, deepLevel(), false, null));
    }

    @Override
    public CheckResult probe(ActionContext ctx) {
        return ExitCodes.ocfPromotableCheck(what("probe (monitor, OCF_RESKEY_CRM_meta_interval=0)"),
                runAction("monitor", ctx, 0, true, false, null));
    }

    @Override
    public ReplicationState replicationState(ActionContext ctx) {
        synchronized (lock) {
            observePeers(ctx);
            int c = monitorCode(ctx);
            Long score = score(ctx);
            ReplicationPosition pos = score == null ? ReplicationPosition.NONE
                    : new ReplicationPosition(Math.max(0, Math.min(2 * INFINITY, score + INFINITY)), 0);
            String s = "promotion score " + (score == null ? "unset" : score);
            return switch (c) {
                case ExitCodes.OCF_SUCCESS, ExitCodes.OCF_DEGRADED -> new ReplicationState(ReplicationRole.STANDBY, pos, Duration.ZERO, "unpromoted; " + s);
                case ExitCodes.OCF_RUNNING_PROMOTED, ExitCodes.OCF_DEGRADED_PROMOTED -> new ReplicationState(ReplicationRole.PRIMARY, pos, Duration.ZERO, "promoted; " + s);
                case ExitCodes.OCF_NOT_RUNNING -> new ReplicationState(ReplicationRole.STOPPED, pos, Duration.ZERO, "not running");
                case ExitCodes.OCF_FAILED_PROMOTED -> new ReplicationState(ReplicationRole.UNKNOWN, pos, Duration.ZERO, "monitor exit 9 (failed promoted)");
                default -> new ReplicationState(ReplicationRole.UNKNOWN, pos, Duration.ZERO, c < 0 ? "monitor did not finish"
                        : "monitor exit " + c + " (" + ExitCodes.ocfName(c) + ")");
            };
        }
    }

    /** This node's promotion score ({@code master-<resource>}, lifetime reboot), or null when the agent set none. */
    Long score(ActionContext ctx) {
        OcfShims shims = shims();
        if (shims == null) {
            return null;
        }
        String v = shims.get("reboot", self(ctx), "master-" + id());
        if (v == null) {
            v = shims.get("forever", self(ctx), "master-" + id());
        }
        if (v == null) {
            return null;
        }
        String t = v.trim();
        if (t.equalsIgnoreCase("INFINITY") || t.equalsIgnoreCase("+INFINITY")) {
            return INFINITY;
        }
        if (t.equalsIgnoreCase("-INFINITY")) {
            return -INFINITY;
        }
        try {
            return Math.max(-INFINITY, Math.min(INFINITY, Long.parseLong(t)));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
