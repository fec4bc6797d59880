package org.tandemha.core.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.api.CheckResult;
import org.tandemha.core.config.GroupSpec;
import org.tandemha.core.config.ResourceSpec;

/** What this node knows and does about one group: mutable, owned by the engine's parts. */
final class GroupRecord {
    /** One resource of the group as this node runs and checks it. */
    static final class Res {
        final ResourceSpec spec;
        boolean running;
        long nextQuick = Long.MAX_VALUE;
        long nextDeep = Long.MAX_VALUE;
        long quickId;
        long deepId;
        boolean failing;
        final Deque<Long> failures = new ArrayDeque<>();
        CheckResult last;
        long lastAt = -1;

        /** Its place in the group's start order. */
        final int index;

        Res(ResourceSpec spec, int index) {
            this.spec = spec;
            this.index = index;
        }
    }

    /** An operator command waiting for the group to arrive somewhere. */
    record Waiter(long commandId, String target, long sinceGen, long startedAt, long deadline) {
    }

    final GroupSpec spec;
    final Map<String, Res> res = new LinkedHashMap<>();
    LocalState state = LocalState.UNKNOWN;
    long gen;
    /** The highest generation known from before this node's last start (persisted by the runtime). */
    long floor;
    long claimGen;
    /**
     * The highest generation a peer announced for the group while not claiming it. Remembered because a peer that
     * claims announces only the generation it asks for: without this, a node could forget that a generation was held
     * since the latest hand-over and see that hand-over as still valid, where the claimer does not.
     */
    long heldSeen;
    /** The token of the lease this node holds for the group (0: none); lease ownership only. */
    long leaseToken;
    /** Whether this node asked for the group's lease and has not released it; lease ownership only. */
    boolean leaseWanted;
    long prevGen;
    String ackNode;
    long ackGen;
    /**
     * When this node's open claim first met another claim that has no precedence over it in this node's view (-1:
     * none yet). Views of the latest hand-over can differ between nodes (one knows of a generation held since, the
     * other does not), so both claimers may see precedence for themselves; such a conflict is ended after
     * {@link AcknowledgedOwnership#conflictPatience} by an order both agree on (see {@code yieldTo}).
     */
    long conflictSince = -1;
    /**
     * Whether this node's current run of the group started on a claim that a peer unable to hear it acknowledged by
     * its silence ({@code AcknowledgedOwnership.cannotHearTheClaim}): it then gives way at an equal generation too.
     */
    boolean startedOnSilence;
    /** The claim this node withdrew in favour of after such a conflict (node, generation); null: none. */
    String yieldTo;
    long yieldGen;
    String handoff;
    /** Promotable groups: the refusal of maxLagOnFailover last reported (an alarm once per refusal), or null. */
    String lagRefusal;
    /** The held generation at the operator's clear: until a newer one is held, maxLagOnFailover is waived. */
    long lagWaivedAt = -1;
    boolean blocked;
    String blockedReason;
    boolean fatal;
    long maintVer;
    String maintNode;
    boolean maintOn;
    long clearVer;
    boolean byAdmin;
    StopReason stopReason;
    StopReason stopAfter;
    int seq;
    long seqId;
    long epoch;
    String transition = "start";
    long transitionAt;
    String detail = "not yet started";
    String switchbackCandidate;
    long switchbackSince;
    final List<Waiter> waiters = new ArrayList<>();
    /**
     * Remote DR (see {@link DisasterRecovery}): until when this DR node may be promoted, as the operator's confirmed
     * {@code promote-dr} allows (-1: not asked). In the snapshot ({@link EngineSnapshot.Operator}), with
     * {@link #drFenced} and {@link #lagWaivedAt}: a restored engine keeps the operator's decisions.
     */
    long drPromoteUntil = -1;
    /** Remote DR: the primary site's nodes the operator fenced for this group (they hold or acknowledge nothing here). */
    final java.util.Set<String> drFenced = new java.util.TreeSet<>();
    /** Promotable groups: the replicated resource as a standby here (see {@link Standbys}). */
    StandbyState standby = StandbyState.NONE;
    /** The standby's action in flight (0: none). */
    long standbyId;
    /** The standby's check in flight (0: none). */
    long standbyCheckId;
    long standbyNextCheck = Long.MAX_VALUE;
    /** When a failed standby is started again. */
    long standbyRetryAt;
    String standbyDetail = "";

    GroupRecord(GroupSpec spec) {
        this.spec = spec;
        for (ResourceSpec r : spec.resources()) {
            res.put(r.id(), new Res(r, res.size()));
        }
    }

    String id() {
        return spec.id();
    }

    Res resAt(int i) {
        return res.get(spec.resources().get(i).id());
    }
}
