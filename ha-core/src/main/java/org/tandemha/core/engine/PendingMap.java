package org.tandemha.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The actions in flight by id (iterated in id order, as before), with an index by deadline: the engine looks for
 * the expired ones and for the next deadline after every input, and with thousands of checks in flight a scan of
 * every one per input was most of its time. Only the mutators the engine uses keep the index.
 */
final class PendingMap extends TreeMap<Long, EngineState.Pending> {
    private record Due(long deadline, long id) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(id, o.id);
        }
    }

    private final TreeSet<Due> byDeadline = new TreeSet<>();

    @Override
    public EngineState.Pending put(Long id, EngineState.Pending p) {
        EngineState.Pending old = super.put(id, p);
        if (old != null) {
            byDeadline.remove(new Due(old.deadline(), id));
        }
        byDeadline.add(new Due(p.deadline(), id));
        return old;
    }

    @Override
    public EngineState.Pending remove(Object id) {
        EngineState.Pending old = super.remove(id);
        if (old != null) {
            byDeadline.remove(new Due(old.deadline(), (Long) id));
        }
        return old;
    }

    @Override
    public void replaceAll(BiFunction<? super Long, ? super EngineState.Pending, ? extends EngineState.Pending> f) {
        super.replaceAll(f);
        byDeadline.clear();
        forEach((id, p) -> byDeadline.add(new Due(p.deadline(), id)));
    }

    @Override
    public void clear() {
        super.clear();
        byDeadline.clear();
    }

    /** The ids whose deadline is at or before {@code now}, in id order. */
    List<Long> dueIds(long now) {
        List<Long> ids = new ArrayList<>();
        for (Due d : byDeadline) {
            if (d.deadline() > now) {
                break;
            }
            ids.add(d.id());
        }
        ids.sort(null);
        return ids;
    }

    /** The earliest deadline after {@code now}, or {@link Long#MAX_VALUE}. */
    long nextDeadlineAfter(long now) {
        Due d = byDeadline.higher(new Due(now, Long.MAX_VALUE));
        return d == null ? Long.MAX_VALUE : d.deadline();
    }
}
