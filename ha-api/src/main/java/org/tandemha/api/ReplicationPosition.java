package org.tandemha.api;

/**
 * How far a node's copy of replicated data goes, comparable between the nodes of a group: the engine promotes the
 * eligible standby with the highest position. Positions are ordered by {@code timeline} first (a promotion starts a
 * new timeline, so a copy on a newer timeline is ahead of any copy on an older one), then by {@code offset} (bytes
 * of the replication stream, such as a PostgreSQL LSN).
 *
 * <p>A position travels between nodes as a fact (see {@link #toFact()} and {@link #parse(String)}).
 *
 * @param timeline the history the copy is on (PostgreSQL's timeline id); 0 when the resource has none
 * @param offset   bytes of the replication stream applied or received on that timeline, never negative
 */
public record ReplicationPosition(long timeline, long offset) implements Comparable<ReplicationPosition> {
    /** No data at all (a node with no copy): below every real position. */
    public static final ReplicationPosition NONE = new ReplicationPosition(0, 0);

    public ReplicationPosition {
        if (timeline < 0 || offset < 0) {
            throw new IllegalArgumentException("a replication position has a timeline and an offset of zero or more,"
                    + " not " + timeline + "/" + offset);
        }
    }

    @Override
    public int compareTo(ReplicationPosition o) {
        int c = Long.compare(timeline, o.timeline);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }

    /** How many bytes {@code other} is behind this one on the same timeline (0 if it is not behind, or elsewhere). */
    public long bytesAhead(ReplicationPosition other) {
        return other.timeline == timeline ? Math.max(0, offset - other.offset) : 0;
    }

    /** The form a position takes in a fact: {@code timeline:offset}, both decimal. */
    public String toFact() {
        return timeline + ":" + offset;
    }

    /**
     * Reads a position written by {@link #toFact()}.
     *
     * @throws IllegalArgumentException when {@code s} is not {@code timeline:offset}
     */
    public static ReplicationPosition parse(String s) {
        int i = s == null ? -1 : s.indexOf(':');
        if (i < 0) {
            throw new IllegalArgumentException("a replication position reads timeline:offset, not '" + s + "'");
        }
        try {
            return new ReplicationPosition(Long.parseLong(s.substring(0, i)), Long.parseLong(s.substring(i + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a replication position reads timeline:offset (decimal), not '" + s + "'");
        }
    }

    @Override
    public String toString() {
        return toFact();
    }
}
