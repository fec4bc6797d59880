package org.tandemha.zookeeper;

import java.io.IOException;
import java.util.stream.Collectors;
import org.apache.curator.test.TestingCluster;

/**
 * A three-server ZooKeeper ensemble in a JVM of its own, for the scale benchmark (so that the CPU it measures in its
 * own JVM is Tandem's, not the servers'): prints {@code ZK-PORTS p1,p2,p3} and runs until its standard input closes.
 */
public final class ZkEnsembleMain {
    private ZkEnsembleMain() {
    }

    public static void main(String[] args) throws Exception {
        int tick = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        try (TestingCluster zk = ZkHarness.ensemble(3, tick)) {
            System.out.println("ZK-PORTS " + zk.getInstances().stream().map(s -> String.valueOf(s.getPort()))
                    .collect(Collectors.joining(",")));
            System.out.flush();
            try {
                while (System.in.read() >= 0) {
                    // until the parent closes our input (or dies)
                }
            } catch (IOException e) {
                // the parent is gone
            }
        }
    }
}
