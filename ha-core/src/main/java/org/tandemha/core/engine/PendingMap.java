package org.tandemha.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * The actions in flight by id (iterated in id order, as before), with an index by deadline: the engine looks for
 * the expired ones and for the next deadline after every input, and with thousands of checks in flight a scan of
 * every one per input was most of its time. A wrapper, not a map: every change goes through a method here, which
 * keeps the index.
 */
final class PendingMap {
    private record Due(long deadline, long id) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(id, o.id);
        }
    }

    private final TreeMap<Long, EngineState.Pending> byId = new TreeMap<>();
    private final TreeSet<Due> byDeadline = new TreeSet<>();

    /** Adds or replaces the action {@code id}; returns the one replaced, or null. */
    EngineState.Pending put(long id, EngineState.Pending p) {
        EngineState.Pending old = byId.put(id, p);
        if (old != null) {
            byDeadline.remove(new Due(old.deadline(), id));
        }
        byDeadline.add(new Due(p.deadline(), id));
        return old;
    }

    /** The action {@code id}, or null. */
    EngineState.Pending get(long id) {
        return byId.get(id);
    }

    /** Removes the action {@code id}; returns it, or null if it was not in flight. */
    EngineState.Pending remove(long id) {
        EngineState.Pending old = byId.remove(id);
        if (old != null) {
            byDeadline.remove(new Due(old.deadline(), id));
        }
        return old;
    }

    /** Replaces every action by {@code f}'s answer (e.g. its deadline moved by a pause), in id order. */
    void replaceAll(BiFunction<Long, EngineState.Pending, EngineState.Pending> f) {
        byId.replaceAll(f);
        byDeadline.clear();
        byId.forEach((id, p) -> byDeadline.add(new Due(p.deadline(), id)));
    }

    /** Each action in flight, in id order. */
    void forEach(BiConsumer<Long, EngineState.Pending> f) {
        byId.forEach(f);
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
