package org.tandemha.heartbeat.witness;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.tandemha.api.Verdict;

/**
 * What the witness knows and decides: when it last heard each node, the highest generation it has seen, and the
 * takeovers it granted (at most one node per generation). Pure: time comes in as monotonic nanoseconds, saving
 * goes through a {@link Store}; not thread-safe (the server calls it from its one receive thread).
 *
 * <p>A question from node A about its silent peer B, with A's generation g:
 * <ol>
 *   <li>if a takeover was granted for generation g or higher to another node that is still alive (heard within its
 *       lease): {@code WE_LOST} (A is the one cut off, or too late), unless that takeover was not from A to the peer B
 *       it asks about. With three nodes or more, the two survivors of a dead node both ask about
 *       it: the first one's grant does not mean that the second lost (which of them runs the group is the claim
 *       protocol's decision); a node taken over from once by C (it was told so, and stood down) that asks about
 *       another peer B has not lost to B. (With two nodes the peer asked about is always the
 *       grantee.) Nor does it count when the takeover was from an earlier incarnation of A: A restarted since and
 *       runs nothing from then. After a restart of the witness, whom an earlier grant was from is not known: it
 *       counts;</li>
 *   <li>if B was heard within its lease: {@code PEER_ALIVE};</li>
 *   <li>if the witness started less than a lease ago and has not heard B since: {@code UNKNOWN} (B may be alive
 *       and not yet have reported to a restarted witness);</li>
 *   <li>otherwise the takeover is granted to A ({@code PEER_DEAD}): again the same grant if the highest grant is
 *       A's and nothing higher was seen since, else a new one at the highest generation seen (above every earlier
 *       grant); the grant is saved before it is answered, and a grant that cannot be saved is not given
 *       ({@code UNKNOWN}). The answer's generation is the grant's, and no two grants share one.</li>
 * </ol>
 * When the takeover from B is granted while the witness knows B's incarnation (B reported before it went silent),
 * the witness keeps a notice for that incarnation of B: if the same incarnation reports again (it was paused, or
 * cut off from the witness and its peer, not dead), the answer to its report tells it that it lost, so that it
 * stands down even when another arbiter (a probe of the peer) would say "alive". A restarted B (a new incarnation)
 * gets no notice: it runs nothing.
 *
 * <p>Every answer carries the highest generation seen (reports, questions, grants), so that the node that takes over
 * claims above it.
 */
final class WitnessState {
    /** Saves the grants before they are answered. */
    interface Store {
        /** Returns null when saved, else why not. */
        String save(long seen, NavigableMap<Long, String> grants);
    }

    /** One answer. */
    record Answer(Verdict.Answer answer, String reason, long generation) {
    }

    /** "You lost": the takeover from this incarnation of a node was granted to another node. */
    record Notice(long incarnation, long generation, String text) {
    }

    /** The answer to a report: the highest generation seen, and a notice for the reporting node, or null. */
    record Reported(long seen, Notice notice) {
    }

    /** Grants older than the most recent ones are forgotten (only the highest ever matter). */
    static final int MAX_GRANTS = 64;
    static final int MAX_NODES = 1024;

    private final long startNanos;
    private final long minLeaseNanos;
    private final Store store;
    private final Map<String, Heard> heard = new HashMap<>();
    private final NavigableMap<Long, String> grants = new TreeMap<>();
    /** node -> the notice for the incarnation it had when the takeover from it was granted. */
    private final Map<String, Notice> notices = new HashMap<>();
    /**
     * generation -> the node (and its incarnation, -1 when the witness had not heard it) the takeover granted at that
     * generation was from (this run's grants only: a restarted witness does not know).
     */
    private final Map<Long, TakenFrom> takenFrom = new HashMap<>();

    private record TakenFrom(String node, long incarnation) {
    }
    private long seen;

    private static final class Heard {
        long incarnation;
        long at;
        long lease;
        long generation;
    }

    /**
     * @param startNanos    when the witness started (monotonic)
     * @param minLeaseNanos the witness's own lease; a node's longer lease (sent with its reports) wins
     * @param seen          the highest generation saved by an earlier run
     * @param grants        grants saved by an earlier run
     */
    WitnessState(long startNanos, long minLeaseNanos, long seen, Map<Long, String> grants, Store store) {
        this.startNanos = startNanos;
        this.minLeaseNanos = minLeaseNanos;
        this.seen = seen;
        this.grants.putAll(grants);
        this.store = store;
    }

    long seen() {
        return seen;
    }

    NavigableMap<Long, String> grants() {
        return new TreeMap<>(grants);
    }

    /** This incarnation of {@code node} reports that it is alive at {@code generation}. */
    /**
     * Whether the grant for {@code generation} was a takeover from an earlier incarnation of {@code node}, which has
     * restarted since (it reports a new one): that grant was the answer to the old incarnation, which runs nothing
     * now, so it does not make the new one "the one cut off". Without this, a node restarted after losing a takeover
     * and asking about the very node that won it (dead moments ago, still inside its lease) was told it lost, and
     * stood down for a retry before it could take over (a 776 ms failover in the keepalived lab).
     */
    private boolean restartedSince(String node, long generation) {
        TakenFrom t = takenFrom.get(generation);
        Heard me = heard.get(node);
        return t != null && t.node().equals(node) && t.incarnation() >= 0 && me != null && me.incarnation != t.incarnation();
    }

    Reported report(String node, long incarnation, long generation, long leaseNanos, long now) {
        Heard h = heard.get(node);
        if (h == null) {
            if (heard.size() >= MAX_NODES) {
                return new Reported(seen, null); // bounded memory; a real cluster has a handful of nodes
            }
            h = new Heard();
            heard.put(node, h);
        }
        h.incarnation = incarnation;
        h.at = now;
        h.lease = Math.max(minLeaseNanos, leaseNanos);
        if (generation > seen) {
            seen = generation;
            store.save(seen, grants); // best effort: a generation seen is a hint, not a promise
        }
        Notice n = notices.get(node);
        if (n != null && n.incarnation() != incarnation) {
            notices.remove(node); // it restarted: it runs nothing
            n = null;
        }
        return new Reported(seen, n);
    }

    /** Node {@code node} asks about its silent peer {@code peer}. */
    Answer ask(String node, String peer, long generation, long leaseNanos, long now) {
        seen = Math.max(seen, generation);
        long lease = Math.max(minLeaseNanos, leaseNanos);
        for (Map.Entry<Long, String> g : grants.tailMap(generation, true).descendingMap().entrySet()) {
            if (g.getValue().equals(node)) {
                continue;
            }
            TakenFrom from = takenFrom.get(g.getKey());
            if (from != null && (!from.node().equals(node) || !g.getValue().equals(peer))) {
                continue; // not a takeover from the asker by the peer it asks about: not its loss
            }
            if (restartedSince(node, g.getKey())) {
                continue; // a takeover from an earlier incarnation of the asker, which runs nothing now
            }
            Heard h = heard.get(g.getValue());
            if (h != null && now - h.at <= h.lease) {
                return new Answer(Verdict.Answer.WE_LOST, "witness granted the takeover to " + g.getValue()
                        + " for generation " + g.getKey() + ", and " + g.getValue() + " reported " + ago(now - h.at)
                        + " ago", seen);
            }
        }
        Heard h = heard.get(peer);
        if (h != null && now - h.at <= h.lease) {
            return new Answer(Verdict.Answer.PEER_ALIVE, "witness heard " + peer + " " + ago(now - h.at) + " ago", seen);
        }
        String silence;
        if (h == null) {
            long up = now - startNanos;
            if (up <= lease) {
                return new Answer(Verdict.Answer.UNKNOWN, "witness started " + ago(up) + " ago and has not heard " + peer
                        + " yet; it grants nothing before a full lease (" + ago(lease) + ") has passed", seen);
            }
            silence = "witness has not heard " + peer + " since it started " + ago(up) + " ago";
        } else {
            silence = "witness has not heard " + peer + " for " + ago(now - h.at);
        }
        Map.Entry<Long, String> top = grants.lastEntry();
        long grant;
        if (top != null && top.getValue().equals(node) && top.getKey() >= seen) {
            grant = top.getKey(); // asked again: the same grant (seen >= generation)
        } else {
            // above everything seen, so that the generation answered to an earlier grantee (the floor it claims
            // above) is always below this one
            grant = Math.max(seen, top == null ? 0 : top.getKey() + 1);
            grant = Math.max(grant, 1);
            NavigableMap<Long, String> next = new TreeMap<>(grants);
            next.put(grant, node);
            while (next.size() > MAX_GRANTS) {
                next.pollFirstEntry();
            }
            long nextSeen = Math.max(seen, grant);
            String failed = store.save(nextSeen, next);
            if (failed != null) {
                return new Answer(Verdict.Answer.UNKNOWN, silence + ", but the witness cannot save a grant (" + failed
                        + "): granting nothing", seen);
            }
            grants.clear();
            grants.putAll(next);
            takenFrom.put(grant, new TakenFrom(peer, h == null ? -1 : h.incarnation));
            takenFrom.keySet().retainAll(grants.keySet());
            seen = nextSeen;
            if (h != null) {
                notices.put(peer, new Notice(h.incarnation, grant, "the witness granted the takeover to " + node
                        + " for generation " + grant + " after " + peer + " had not reported for " + ago(now - h.at)
                        + " (paused, or cut off from the witness and from " + node + ")"));
            }
        }
        return new Answer(Verdict.Answer.PEER_DEAD, silence + "; takeover granted to " + node + " for generation "
                + grant, seen);
    }

    static String ago(long nanos) {
        double s = nanos / 1e9;
        return s < 10 ? String.format(Locale.ROOT, "%.1f s", s) : String.format(Locale.ROOT, "%.0f s", s);
    }
}
