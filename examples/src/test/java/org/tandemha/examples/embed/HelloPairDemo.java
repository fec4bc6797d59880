package org.tandemha.examples.embed;

/**
 * Runs the hello cluster's two nodes in one JVM over the in-memory network, each with its HTTP API, until
 * stopped (at most {@code args[0]} seconds, default 600): a cluster to point the {@code tandem} command line at
 * without ha-heartbeat. Prints the two state directories (each with its {@code api-token}) and API addresses.
 */
public final class HelloPairDemo {
    private HelloPairDemo() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 600;
        try (HelloPair pair = HelloPair.start(true)) {
            System.out.println("READY node1=" + pair.stateDir("node1") + " node2=" + pair.stateDir("node2")
                    + " http=127.0.0.1:" + pair.httpPort + " api1=" + pair.server("node1").uri()
                    + " api2=" + pair.server("node2").uri());
            Thread.sleep(seconds * 1000);
        }
    }
}
