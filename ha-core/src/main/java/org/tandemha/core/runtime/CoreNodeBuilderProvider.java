package org.tandemha.core.runtime;

import org.tandemha.api.NodeBuilder;
import org.tandemha.api.NodeBuilderProvider;

/** Registers the engine with {@link org.tandemha.api.Tandem#builder()}. */
public final class CoreNodeBuilderProvider implements NodeBuilderProvider {
    @Override
    public NodeBuilder newBuilder() {
        return new CoreNodeBuilder();
    }
}
