package org.tandemha.server.daemon;

import java.io.PrintStream;
import java.util.List;
import org.tandemha.heartbeat.witness.WitnessMain;

/** {@code tandem witness}: the witness of ha-heartbeat ({@link WitnessMain}), from the same distribution. */
public final class Witness {
    static final String USAGE = """
            usage: tandem witness --config witness.yaml
                   tandem witness --cluster NAME (--key hex:... | --key-file FILE) --bind HOST:PORT [--lease 300ms]
                                  [--state-file FILE] [--realtime '{priority: 10, lockMemory: true}']
            runs the witness, the tie breaker the nodes' witness arbiter asks when they cannot hear each other;
            put it on a third machine. The file:
              cluster: demo                              # the cluster's name, as in the nodes' configuration
              keyFile: /etc/tandem/cluster.key           # or key: "hex:..."
              bind: "203.0.113.5:7600"                   # the address the nodes' witness arbiter sends to
              stateFile: /var/lib/tandem/witness.state   # grants survive a restart (recommended)
              realtime: {priority: 10, lockMemory: true} # optional: answer on time on a busy host (root or
                                                         #   CAP_SYS_NICE, CAP_IPC_LOCK; the keys of a node's realtime)
            exit codes: 0 after SIGTERM, 1 the address cannot be bound, 2 a bad configuration
            """;

    private Witness() {
    }

    public static int main(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.print(USAGE);
            return 0;
        }
        try {
            WitnessMain.main(args.toArray(String[]::new)); // exits the JVM itself (0 after SIGTERM, 1, 2)
            return 0;
        } catch (Exception e) {
            err.println("tandem witness: " + e);
            return 1;
        }
    }
}
