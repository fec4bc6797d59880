package org.tandemha.scsi;

import java.nio.file.Path;
import org.tandemha.core.testing.FakeNodeContext;

/** ha-core's test node context under a cluster name of the test's own, with the temp directory as state directory. */
final class TestContext extends FakeNodeContext {
    final String node;
    final String cluster;

    TestContext(String cluster, String node) {
        super(node, Path.of(System.getProperty("java.io.tmpdir")));
        this.cluster = cluster;
        this.node = node;
    }

    @Override
    public String clusterName() {
        return cluster;
    }
}
