package org.tandemha.core.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tandemha.api.ClusterEvent.Level;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;
import org.tandemha.api.EventKind;
import org.tandemha.api.ReplicationPosition;
import org.tandemha.api.ReplicationState;
import org.tandemha.core.config.DrSpec;

/**
 * Remote disaster recovery ({@link DrSpec}): a DR node runs a standby like any other node of a promotable group, but
 * is never the cluster's choice to promote ({@link #eligible}) unless {@code autoPromote} is on. The operator's
 * {@code promote-dr} decides it:
 *
 * <ol>
 *   <li>{@code PROMOTE_DR_PREVIEW}: the data at risk (bytes the DR copy is behind the best position last heard, and
 *       the DR standby's lag in seconds, from its replication state) and what stands in the way; nothing changes.</li>
 *   <li>{@code PROMOTE_DR} (confirmed), given on the DR node itself: refused while a node of the primary site is
 *       heard, or silent and not declared dead by the safety check (it may still hold the group); otherwise this DR
 *       node may claim the group for {@code commandTimeout}, and the claim is made, acknowledged and fenced by the
 *       generation like any takeover. The command is answered once the group is online here.</li>
 *   <li>{@code PROMOTE_DR_FENCE}: the same, with the primary site's nodes fenced by the operator for this group: this
 *       node no longer waits for them (their acknowledgement, a verdict), never counts them eligible, and takes the
 *       group at a generation above theirs. A fenced old primary that returns sees the newer generation and stops
 *       (demoted, then rewound as a standby): it never comes back as a primary. The operator's fence lasts until the
 *       group's failures are cleared ({@code tandem clear}).</li>
 * </ol>
 */
final class DisasterRecovery {
    private final EngineState s;

    DisasterRecovery(EngineState s) {
        this.s = s;
    }

    /** Whether {@code node} may be promoted as far as DR goes: not a DR node, auto-promotion, or the operator's word. */
    boolean eligible(GroupRecord g, String node) {
        DrSpec dr = g.spec.dr();
        if (g.drFenced.contains(node)) {
            return false;
        }
        if (!dr.isDr(node) || dr.autoPromote()) {
            return true;
        }
        return node.equals(s.self) && (s.now < g.drPromoteUntil || g.state.active());
    }

    /** Whether the operator fenced {@code node} for the group: treated as dead or fenced by this node's claims. */
    boolean fenced(GroupRecord g, String node) {
        return g.drFenced.contains(node);
    }

    /** The operator's fence ends with a clear. */
    void cleared(GroupRecord g) {
        if (!g.drFenced.isEmpty()) {
            s.emit(EventKind.DR_PROMOTION, Level.INFO, g.id(), null, "the operator's fence of " + String.join(", ", g.drFenced)
                    + " for group " + g.id() + " is cleared on " + s.self + ": they may hold it again", Map.of());
            g.drFenced.clear();
        }
    }

    void command(long cmdId, GroupRecord g, Input.Command.Kind kind, String target) {
        DrSpec dr = g.spec.dr();
        if (!g.spec.promotable() || dr.nodes().isEmpty()) {
            s.commands.refuse(cmdId, "group " + g.id() + " has no DR site; configure dr: {nodes: [...]} in a promotable group");
            return;
        }
        if (target == null) {
            if (dr.nodes().size() != 1) {
                s.commands.refuse(cmdId, "name the DR node to promote (--node): group " + g.id() + " has DR nodes " + dr.nodes());
                return;
            }
            target = dr.nodes().get(0);
        }
        if (!dr.isDr(target)) {
            s.commands.refuse(cmdId, "node '" + target + "' is not a DR node of group " + g.id() + "; its DR nodes are "
                    + dr.nodes() + " (for a node of the primary site, use switchover)");
            return;
        }
        Map<String, String> risk = risk(g, target);
        List<String> site = primarySite(g);
        List<String> standing = inTheWay(g, site);
        String bytesText = risk.get("atRiskBytes").matches("\\d+") ? risk.get("atRiskBytes") + " bytes"
                : "an unknown number of bytes (the best copy last heard is on another timeline)";
        String riskText = "data at risk: " + bytesText + ", " + risk.get("atRiskSeconds") + " s of lag ("
                + target + "'s lag behind its primary" + (risk.containsKey("primarySilentSeconds") ? " plus "
                + risk.get("primarySilentSeconds") + " s since " + risk.get("lastPrimary") + ", the last primary, went silent" : "") + "; its copy "
                + risk.get("position") + ", best known " + risk.get("bestKnown") + ")"
                + (risk.containsKey("standby") ? "; its standby is " + risk.get("standby") : "");
        if (kind == Input.Command.Kind.PROMOTE_DR_PREVIEW) {
            String next = standing.isEmpty() ? "to promote it: promote-dr " + g.id() + " --node " + target + " --confirm"
                    : "the primary site may still hold it (" + String.join("; ", standing) + "): promote only with"
                    + " --confirm --fence-primary-site, once its nodes are powered off or cut off";
            s.emit(EventKind.DR_PROMOTION, Level.INFO, g.id(), null, "promote-dr of group " + g.id() + " to " + target
                    + " previewed: " + riskText + "; nothing changed", risk);
            s.commands.complete(cmdId, CommandResult.ok("promote-dr of group " + g.id() + " to " + target + " (not done: add"
                    + " --confirm): " + riskText + "; " + next, Duration.ZERO));
            return;
        }
        if (!target.equals(s.self)) {
            s.commands.refuse(cmdId, "promote-dr must be given on the DR node " + target + " itself (this is " + s.self
                    + "): run it there, e.g. tandem promote-dr " + g.id() + " --node " + target + " --confirm");
            return;
        }
        if (g.maintOn) {
            s.commands.refuse(cmdId, "group " + g.id() + " is in maintenance; take it out of maintenance first");
            return;
        }
        if (g.state.active()) {
            s.commands.refuse(cmdId, "group " + g.id() + " already runs on " + s.self + " (" + g.state + ")");
            return;
        }
        boolean fence = kind == Input.Command.Kind.PROMOTE_DR_FENCE;
        if (!standing.isEmpty() && !fence) {
            String why = "promote-dr of group " + g.id() + " to " + target + " refused: the primary site may still hold it ("
                    + String.join("; ", standing) + "). Promote only once its nodes are powered off or cut off, with"
                    + " --fence-primary-site (they are then demoted when they return: the generation is the fencing token)";
            s.emit(EventKind.DR_PROMOTION, Level.WARNING, g.id(), null, why, risk);
            s.commands.complete(cmdId, CommandResult.refused(why));
            return;
        }
        if (fence) {
            g.drFenced.addAll(site);
            s.emit(EventKind.DR_PROMOTION, Level.WARNING, g.id(), null, "the operator fenced the primary site (" + String.join(", ", site)
                    + ") for group " + g.id() + ": " + s.self + " no longer waits for them, and they are demoted if they"
                    + " return (" + (standing.isEmpty() ? "none of them was heard" : String.join("; ", standing)) + ")",
                    Map.of("fenced", String.join(",", site)));
        }
        Map<String, String> d = new LinkedHashMap<>(risk);
        d.put("fencedPrimarySite", String.valueOf(fence));
        s.emit(EventKind.DR_PROMOTION, Level.WARNING, g.id(), null, "promote-dr of group " + g.id() + " to " + s.self
                + " confirmed by the operator: promoting the DR standby; " + riskText, d);
        long timeout = s.spec.timing().commandTimeout().toMillis();
        g.drPromoteUntil = s.now + timeout;
        g.waiters.add(new GroupRecord.Waiter(cmdId, s.self, s.ownership.knownGeneration(g), s.now, s.now + timeout));
    }

    /** The group's nodes that are not at the DR site. */
    private static List<String> primarySite(GroupRecord g) {
        List<String> site = new ArrayList<>();
        for (String n : g.spec.nodes()) {
            if (!g.spec.dr().isDr(n)) {
                site.add(n);
            }
        }
        return site;
    }

    /** Why each primary-site node may still hold the group (heard, or silent and not declared dead); empty if none may. */
    private List<String> inTheWay(GroupRecord g, List<String> site) {
        List<String> why = new ArrayList<>();
        for (String n : site) {
            if (n.equals(s.self)) {
                why.add(g.state.active() ? n + " holds it (" + g.state + ", generation " + g.gen + ")"
                        : n + " is up (this node)");
                continue;
            }
            PeerRecord p = s.peers.get(n);
            if (p == null) {
                continue;
            }
            Announcement.GroupAnn a = s.ann(p, g);
            if (p.reachable) {
                why.add(a != null && a.active() ? n + " holds it (" + a.state() + ", generation " + a.gen() + ")"
                        : n + " is heard (the primary site is up)");
            } else if (!p.deadOrFenced && !g.drFenced.contains(n)) {
                why.add(n + " is silent and the safety check has not declared it dead");
            }
        }
        return why;
    }

    /** The data a promotion of {@code node} puts at risk: its copy against the best last heard, and its standby's lag. */
    Map<String, String> risk(GroupRecord g, String node) {
        ReplicationPosition mine = s.standbys.position(g, node);
        ReplicationPosition best = mine;
        String bestNode = node;
        for (String n : g.spec.nodes()) {
            ReplicationPosition p = s.standbys.position(g, n);
            if (p.compareTo(best) > 0) {
                best = p;
                bestNode = n;
            }
        }
        Map<String, String> f = node.equals(s.self) ? s.facts : s.peers.get(node) == null ? Map.of() : s.peers.get(node).facts;
        long lagMs;
        try {
            lagMs = Long.parseLong(f.getOrDefault(ReplicationState.LAG_FACT + g.id(), "0"));
        } catch (NumberFormatException e) {
            lagMs = 0;
        }
        // The standby's lag reads 0 once its WAL receiver is gone (the primary died): what the primary acknowledged
        // after the DR copy last heard from it may be lost, so a silent primary's time since it went silent counts.
        long silentMs = 0;
        String silent = null;
        for (String n : g.spec.nodes()) {
            PeerRecord q = s.peers.get(n);
            if (q != null && !n.equals(node) && !g.spec.dr().isDr(n) && !q.reachable && q.unreachableSince >= 0
                    && q.mayRun.contains(g.id()) && s.now - q.unreachableSince > silentMs) {
                silentMs = s.now - q.unreachableSince;
                silent = n;
            }
        }
        lagMs += silentMs;
        long bytes = best.timeline() == mine.timeline() ? best.bytesAhead(mine) : -1;
        Map<String, String> d = new LinkedHashMap<>();
        d.put("node", node);
        d.put("position", mine.toFact());
        d.put("bestKnown", best.toFact() + " (" + bestNode + ")");
        d.put("atRiskBytes", bytes < 0 ? "unknown" : String.valueOf(bytes));
        d.put("atRiskSeconds", String.format(Locale.ROOT, "%.3f", lagMs / 1000.0));
        if (silent != null) {
            d.put("primarySilentSeconds", String.format(Locale.ROOT, "%.3f", silentMs / 1000.0));
            d.put("lastPrimary", silent);
        }
        if (node.equals(s.self) && g.standby != StandbyState.RUNNING) {
            d.put("standby", g.standby + (g.standbyDetail.isEmpty() ? "" : ": " + g.standbyDetail));
        }
        PeerRecord p = s.peers.get(node);
        if (p != null && !p.reachable) {
            d.put("heard", "not reachable: as last heard " + (p.unreachableSince >= 0
                    ? Durations.format(Duration.ofMillis(s.now - p.unreachableSince)) + " ago" : "never"));
        }
        return d;
    }
}
