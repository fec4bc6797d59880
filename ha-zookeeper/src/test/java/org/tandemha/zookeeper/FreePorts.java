package org.tandemha.zookeeper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.InstanceSpec;

/**
 * Test ensembles with every port distinct: Curator's {@code InstanceSpec} picks each port at random on its own, and
 * a client port equal to another server's election port makes the ensemble refuse to start (seen in CI).
 */
final class FreePorts {
    private FreePorts() {
    }

    /** {@code n} distinct free ports on the loopback, held open together while chosen. */
    static int[] distinct(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** The specs of {@code servers} ZooKeeper servers with distinct client, quorum and election ports. */
    static List<InstanceSpec> ensemble(int servers, int tickMs) throws IOException {
        int[] p = distinct(3 * servers);
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < servers; i++) {
            specs.add(new InstanceSpec(null, p[3 * i], p[3 * i + 1], p[3 * i + 2], true, i + 1, tickMs, -1));
        }
        return specs;
    }
}
