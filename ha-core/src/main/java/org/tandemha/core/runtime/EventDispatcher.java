package org.tandemha.core.runtime;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.tandemha.api.ClusterEvent;

/**
 * Hands a node's events to its log and, on a thread of their own, to its listeners: the engine's events and the
 * runtime's own (paths, notes), numbered in one sequence per node. A listener that throws is logged and skipped; a
 * slow one delays only the listeners, never the engine.
 *
 * <p>Each event is logged exactly once, here, on the logger {@value #EVENT_LOGGER} (ERROR, WARN or INFO as the
 * event's level), with the MDC keys {@value #MDC_NODE}, {@value #MDC_GROUP}, {@value #MDC_RESOURCE} and
 * {@value #MDC_EVENT} (the event kind) set while it is logged and while listeners run, so a log pattern such as
 * {@code %X{tandem.group}} or a JSON encoder picks them up. Listeners should not log the event again.
 */
final class EventDispatcher {
    /** The logger every cluster event goes to, once. */
    static final String EVENT_LOGGER = "org.tandemha.events";
    static final String MDC_NODE = "tandem.node";
    static final String MDC_GROUP = "tandem.group";
    static final String MDC_RESOURCE = "tandem.resource";
    static final String MDC_EVENT = "tandem.event";

    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);
    private static final Logger EVENTS = LoggerFactory.getLogger(EVENT_LOGGER);

    private final String self;
    private final List<Consumer<ClusterEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private final ExecutorService thread;

    EventDispatcher(String self, List<Consumer<ClusterEvent>> initialListeners) {
        this.self = self;
        this.listeners.addAll(initialListeners);
        this.thread = Executors.newSingleThreadExecutor(NodeRuntime.named("tandem-events-" + self, true));
    }

    AutoCloseable subscribe(Consumer<ClusterEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void dispatch(ClusterEvent raw) {
        ClusterEvent e = new ClusterEvent(sequence.incrementAndGet(), raw.time(), raw.kind(), raw.level(), raw.node(),
                raw.group(), raw.resource(), raw.message(), raw.details());
        Map<String, String> before = withMdc(e);
        try {
            switch (e.level()) {
                case ERROR -> EVENTS.error("{}", e);
                case WARNING -> EVENTS.warn("{}", e);
                case INFO -> EVENTS.info("{}", e);
            }
        } finally {
            restoreMdc(before);
        }
        try {
            thread.execute(() -> {
                Map<String, String> saved = withMdc(e);
                try {
                    for (Consumer<ClusterEvent> l : listeners) {
                        try {
                            l.accept(e);
                        } catch (RuntimeException ex) {
                            LOG.warn("node {}: an event listener failed: {}", self, ex.toString());
                        }
                    }
                } finally {
                    restoreMdc(saved);
                }
            });
        } catch (RejectedExecutionException ignored) {
            // closed
        }
    }

    /** Sets the event's MDC keys; returns what the MDC held before, to restore. */
    private static Map<String, String> withMdc(ClusterEvent e) {
        Map<String, String> before = MDC.getCopyOfContextMap();
        put(MDC_NODE, e.node());
        put(MDC_GROUP, e.group());
        put(MDC_RESOURCE, e.resource());
        MDC.put(MDC_EVENT, e.kind().name());
        return before;
    }

    private static void put(String key, String value) {
        if (value == null || value.isEmpty()) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    private static void restoreMdc(Map<String, String> before) {
        if (before == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(before);
        }
    }

    /** Delivers what is queued (for at most 2 s), then stops. */
    void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
