package org.tandemha.zookeeper;

import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Coordinator;
import org.tandemha.api.CoordinatorFactory;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;

/**
 * The {@code zookeeper} coordination service ({@code coordination: {type: zookeeper, ...}}), found through
 * {@link java.util.ServiceLoader}: one {@link ZooKeeperCoordinator} per node, with its leases under
 * {@code <path>/<cluster>/groups/<group>}.
 */
public final class ZooKeeperCoordinatorFactory implements CoordinatorFactory {
    @Override
    public String type() {
        return "zookeeper";
    }

    @Override
    public Coordinator create(Settings settings, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        if (settings.connect() == null || settings.connect().isBlank()) {
            throw new InvalidConfigException("coordination.connect", "no ZooKeeper servers given",
                    "add connect: \"zk1:2181,zk2:2181,zk3:2181\"");
        }
        return new ZooKeeperCoordinator(settings, cluster.cluster(), cluster.localNode());
    }
}
