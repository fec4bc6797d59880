package org.tandemha.api;

/**
 * The engine's entry point, found through {@link java.util.ServiceLoader} by {@link Tandem#builder()}.
 * {@code ha-core} provides it; applications do not implement it.
 */
public interface NodeBuilderProvider {
    /** A fresh builder. */
    NodeBuilder newBuilder();
}
