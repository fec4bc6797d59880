package org.tandemha.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.tandemha.api.ClusterEvent;

/**
 * The node's recent events as the API serves them: each gets an id (1, 2, ... since the server started) and the
 * last {@link #KEPT} are kept. Listeners (the event streams) get each new event after it is numbered, in order.
 */
public final class EventLog implements Consumer<ClusterEvent> {
    /** Events kept for paging and for resuming a stream. */
    public static final int KEPT = 10_000;

    /** A page of events: those after the asked id, the id to ask after next, and how many were dropped before them. */
    public record Page(List<ObjectNode> events, long next, long last, long missed) {
    }

    /** One numbered event, as JSON. */
    public record Numbered(long id, String kind, ObjectNode json) {
    }

    private final int kept;
    private final ArrayDeque<Numbered> ring = new ArrayDeque<>();
    private final List<Consumer<Numbered>> listeners = new CopyOnWriteArrayList<>();
    private long lastId;

    public EventLog() {
        this(KEPT);
    }

    EventLog(int kept) {
        this.kept = kept;
    }

    @Override
    public void accept(ClusterEvent e) {
        synchronized (this) {
            long id = ++lastId;
            Numbered n = new Numbered(id, e.kind() == null ? "NOTE" : e.kind().name(), StatusJson.event(id, e));
            ring.addLast(n);
            while (ring.size() > kept) {
                ring.removeFirst();
            }
            for (Consumer<Numbered> l : listeners) {
                l.accept(n);
            }
        }
    }

    /** The id of the newest event (0: none yet). */
    public synchronized long lastId() {
        return lastId;
    }

    /** Up to {@code limit} events with an id above {@code after}, oldest first. */
    public synchronized Page after(long after, int limit) {
        List<ObjectNode> out = new ArrayList<>();
        long oldest = ring.isEmpty() ? lastId + 1 : ring.peekFirst().id();
        long next = Math.min(after, lastId);
        for (Numbered n : ring) {
            if (n.id() > after && out.size() < limit) {
                out.add(n.json());
                next = n.id();
            }
        }
        long missed = Math.max(0, Math.min(oldest - 1, lastId) - after);
        return new Page(out, Math.max(next, 0), lastId, missed);
    }

    /**
     * Atomically: hands every kept event after {@code after} to {@code backlog} and subscribes {@code live} to the
     * events that follow, so none is lost or repeated between them. Returns how many events after {@code after}
     * were dropped from the ring already.
     */
    public synchronized long replayAndSubscribe(long after, Consumer<Numbered> backlog, Consumer<Numbered> live) {
        long oldest = ring.isEmpty() ? lastId + 1 : ring.peekFirst().id();
        for (Numbered n : ring) {
            if (n.id() > after) {
                backlog.accept(n);
            }
        }
        listeners.add(live);
        return Math.max(0, Math.min(oldest - 1, lastId) - after);
    }

    /** Stops handing events to {@code live}. */
    public void unsubscribe(Consumer<Numbered> live) {
        listeners.remove(live);
    }
}
