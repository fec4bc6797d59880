package org.tandemha.ip;

import java.nio.file.Path;
import java.util.function.Consumer;

/** ha-core's test node context, with the temp directory as state directory. */
final class FakeNodeContext extends org.tandemha.core.testing.FakeNodeContext {
    FakeNodeContext(String nodeId, Consumer<String> onEvent) {
        super(nodeId, Path.of(System.getProperty("java.io.tmpdir")), onEvent);
    }
}
