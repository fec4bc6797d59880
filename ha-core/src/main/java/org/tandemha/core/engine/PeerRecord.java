package org.tandemha.core.engine;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What this node knows of one peer: mutable, owned by the engine's parts, copied into an {@link EngineSnapshot}. */
final class PeerRecord {
    final String id;
    boolean reachable;
    boolean everHeard;
    long incarnation;
    Announcement ann;
    /** {@link #ann}'s groups by id, built for {@link #annIndexOf} (a cache: derived, never in a snapshot). */
    private Map<String, Announcement.GroupAnn> annIndex = Map.of();
    private Announcement annIndexOf;
    long unreachableSince = -1;
    boolean deadOrFenced;
    String deadReason;
    long safetyId;
    long nextSafetyAt;
    long backoff;
    boolean degradedReported;
    long fenceId;
    long nextFenceAt;
    long fenceBackoff;
    boolean fingerprintWarned;
    /** Fenced by this cluster's fencing (not merely declared dead by an arbiter). */
    boolean fenced;
    /**
     * The facts of its latest announcement (its MACs, ...), kept when the announcement itself is forgotten
     * (a rejoin, a pause): a resource taking over from it after it died needs them most then.
     */
    Map<String, String> facts = Map.of();
    /** Groups this peer last announced active or claimed: what may still run there after its daemon died. */
    final Set<String> mayRun = new TreeSet<>();
    /** It said it left, with nothing running. */
    boolean leftCleanly;
    /** Groups this peer last announced FAILED (a stop failed there): kept while it is silent. */
    final Set<String> failed = new TreeSet<>();
    /**
     * Groups this peer last announced running in maintenance: unmanaged there, so it keeps them running while silent
     * (even if it stands down or loses quorum) and nobody else may start them until it is fenced or an operator clears.
     */
    final Set<String> maintHeld = new TreeSet<>();
    /** Until when this peer counts as duplicated (two copies heard at once); -1: not duplicated. */
    long duplicateUntil = -1;
    long duplicateNewer;
    /** Until when a peer that just restarted is not trusted (it may be a second copy, not a restart). */
    long settleUntil;
    /**
     * Since when this peer has announced, without a break, that it cannot hear this node and still waits for it
     * ({@link OneWayCut#silentAbout}); -1: it does not. Its silence counts as consent to a claim only after
     * {@link OneWayCut#GRACE_MS}: right after a heal a peer's first announcement may still say it cannot hear.
     */
    long silentSince = -1;

    PeerRecord(String id) {
        this.id = id;
    }

    /**
     * The group as {@link #ann} announces it, or null: looked up by id in an index of the announcement (a linear
     * scan per group cost groups x groups per peer on every input, the hot spot with hundreds of groups).
     */
    Announcement.GroupAnn annGroup(String group) {
        Announcement a = ann;
        if (a == null) {
            return null;
        }
        if (annIndexOf != a) {
            Map<String, Announcement.GroupAnn> m = new java.util.HashMap<>(a.groups().size() * 2);
            for (Announcement.GroupAnn g : a.groups()) {
                m.putIfAbsent(g.group(), g); // the first one, as Announcement.group(id) finds
            }
            annIndex = m;
            annIndexOf = a;
        }
        return annIndex.get(group);
    }
}
