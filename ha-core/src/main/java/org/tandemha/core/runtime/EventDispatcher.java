package org.tandemha.core.runtime;

import java.util.List;
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
 */
final class EventDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

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
        // Logged once here, with the event's fields in the MDC for a structured log (ha-server's conf/logback.xml).
        mdc("node", e.node());
        mdc("group", e.group());
        mdc("resource", e.resource());
        mdc("kind", e.kind() == null ? null : e.kind().name());
        try {
            switch (e.level()) {
                case ERROR -> LOG.error("{}", e);
                case WARNING -> LOG.warn("{}", e);
                default -> LOG.info("{}", e);
            }
        } finally {
            MDC.remove("node");
            MDC.remove("group");
            MDC.remove("resource");
            MDC.remove("kind");
        }
        try {
            thread.execute(() -> {
                for (Consumer<ClusterEvent> l : listeners) {
                    try {
                        l.accept(e);
                    } catch (RuntimeException ex) {
                        LOG.warn("node {}: an event listener failed: {}", self, ex.toString());
                    }
                }
            });
        } catch (RejectedExecutionException ignored) {
            // closed
        }
    }

    private static void mdc(String key, String value) {
        if (value != null) {
            MDC.put(key, value);
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
