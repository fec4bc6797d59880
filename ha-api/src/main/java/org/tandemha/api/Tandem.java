package org.tandemha.api;

import java.util.ServiceLoader;

/**
 * Where an embedding application starts:
 *
 * <pre>{@code
 * ClusterNode node = Tandem.builder()
 *         .config(Path.of("cluster.yaml"))
 *         .localNode("node1")
 *         .build();
 * node.start();
 * }</pre>
 *
 * The engine ({@code ha-core}) must be on the class path.
 */
public final class Tandem {
    private Tandem() {
    }

    /** A new node builder. */
    public static NodeBuilder builder() {
        return ServiceLoader.load(NodeBuilderProvider.class).findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "no Tandem engine on the class path: add the dependency org.tandemha:ha-core"))
                .newBuilder();
    }
}
