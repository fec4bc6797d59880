package org.tandemha.heartbeat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.HeartbeatPath;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PathFactory;

/**
 * A fake plugin transport {@code memory} for the test of plugin paths: nodes of one JVM "write" their heartbeat to
 * a shared board that the others read (like a disk path's blocks). Pure logic, no I/O.
 */
public final class MemoryPathFactory implements PathFactory {
    static final Map<String, MemoryPath> BOARD = new ConcurrentHashMap<>();

    @Override
    public String transport() {
        return "memory";
    }

    @Override
    public HeartbeatPath create(ClusterConfig.Path path, ClusterConfig cluster, NodeContext context) throws InvalidConfigException {
        if (path.options().containsKey("bad")) {
            throw new InvalidConfigException("paths[" + path.name() + "].options.bad", "bad option", "remove it");
        }
        return new MemoryPath(path.name(), cluster.localNode());
    }

    static final class MemoryPath implements HeartbeatPath {
        final String name;
        final String node;
        volatile boolean silent;
        /** A write that hangs this long, as a write to a lost LUN does. */
        volatile long blockMs;
        private volatile Receiver receiver;

        MemoryPath(String name, String node) {
            this.name = name;
            this.node = node;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void start(Receiver r) {
            receiver = r;
            BOARD.put(node, this);
        }

        @Override
        public boolean beat(long incarnation, long sequence) {
            if (blockMs > 0) {
                try {
                    Thread.sleep(blockMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (silent) {
                return false;
            }
            for (MemoryPath other : BOARD.values()) {
                Receiver r = other.receiver;
                if (other != this && r != null) {
                    r.heard(node, incarnation, sequence, System.currentTimeMillis());
                }
            }
            return true;
        }

        @Override
        public void close() {
            BOARD.remove(node, this);
        }
    }
}
