package org.tandemha.heartbeat;

import java.util.List;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Membership;
import org.tandemha.api.MembershipFactory;
import org.tandemha.api.NodeContext;

/**
 * Builds Tandem's heartbeat membership from the configuration's {@code paths}: UDP unicast (the default), TCP and
 * UDP multicast over Netty (native epoll where available, NIO otherwise), plus any plugin transport found through
 * {@link org.tandemha.api.PathFactory} (such as {@code disk} from ha-scsi). Every frame is authenticated with
 * HMAC-SHA256 under the cluster key; frames are at most 60 KiB, so announced state is limited to a little less.
 * Registered through {@link java.util.ServiceLoader}.
 */
public final class HeartbeatMembershipFactory implements MembershipFactory {

    /** For {@link java.util.ServiceLoader}. */
    public HeartbeatMembershipFactory() {
    }

    @Override
    public Membership create(ClusterConfig config, NodeContext context) throws InvalidConfigException {
        List<PathSpec> specs = PathSpec.parse(config, context);
        java.nio.file.Path dir = null;
        try {
            dir = context == null ? null : context.stateDirectory();
        } catch (RuntimeException e) {
            dir = null;
        }
        return new HeartbeatMembership(config, specs, dir);
    }
}
