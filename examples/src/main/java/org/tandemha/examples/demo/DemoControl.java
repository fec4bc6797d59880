package org.tandemha.examples.demo;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The demo's fault switch, shared by {@link DemoNode} (which flips it on the orchestrator's command) and the
 * {@code demo-http} resource (which reads it), through {@link org.tandemha.api.NodeContext#service(Class)}.
 */
final class DemoControl {
    private final AtomicBoolean sickOnce = new AtomicBoolean();

    /** The service's next {@code /health} answer is a 503: its deep check fails once. */
    void failNextHealthCheck() {
        sickOnce.set(true);
    }

    /** Whether this {@code /health} request must fail; true at most once per {@link #failNextHealthCheck()}. */
    boolean takeSick() {
        return sickOnce.compareAndSet(true, false);
    }
}
