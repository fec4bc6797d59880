package org.tandemha.core.runtime;

import java.util.concurrent.CompletableFuture;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.EngineSnapshot;

/**
 * A running node's engine, as tools read it (the HTTP API's {@code GET /api/v1/snapshot}, what-if): the
 * {@link org.tandemha.api.ClusterNode} that {@code Tandem.builder()} builds implements it.
 */
public interface EngineView {
    /**
     * The engine's state ({@link EngineSnapshot}), taken on the engine's own thread between two inputs; completes
     * exceptionally with an {@link IllegalStateException} naming the node when the node is not running.
     */
    CompletableFuture<EngineSnapshot> snapshot();

    /** The configuration the node runs with (what a snapshot is restored with). */
    ClusterSpec configuration();
}
