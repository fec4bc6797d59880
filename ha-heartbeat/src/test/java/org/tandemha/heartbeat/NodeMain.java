package org.tandemha.heartbeat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.tandemha.api.Membership;
import org.tandemha.api.PathStatus;

/**
 * A heartbeat node in its own JVM, for the namespace tests and the benchmark. Arguments: the local node id, then
 * {@code path:NAME:TRANSPORT:PRIORITY:INTERVALMS:MISSES} and {@code node:ID:PATH@HOST:PORT,...} (see
 * {@link TestNodes#parse}). It prints one line per event on stdout ({@code READY}, {@code REACHABLE},
 * {@code UNREACHABLE}, {@code PATH}, {@code STATE}, {@code MESSAGE}) and reads commands on stdin
 * ({@code announce TEXT}, {@code send PEER TEXT}, {@code paths}, {@code quit}); it exits when stdin closes, so it
 * never outlives its parent.
 */
public final class NodeMain {
    private NodeMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        String local = args[0];
        Membership m;
        try {
            m = new HeartbeatMembershipFactory().create(TestNodes.parse(local, Arrays.asList(args).subList(1, args.length)),
                    TestNodes.context(local));
        } catch (Exception e) {
            out.println("ERROR " + e.getMessage().replace('\n', ' '));
            System.exit(2);
            return;
        }
        Object lock = new Object();
        m.start(new Membership.Listener() {
            private void say(String s) {
                synchronized (lock) {
                    out.println(s);
                }
            }

            @Override
            public void peerReachable(String peer, long incarnation) {
                say("REACHABLE " + peer + " " + incarnation);
            }

            @Override
            public void peerUnreachable(String peer, String reason) {
                say("UNREACHABLE " + peer + " " + reason);
            }

            @Override
            public void peerState(String peer, long incarnation, byte[] state) {
                say("STATE " + peer + " " + new String(state, StandardCharsets.UTF_8));
            }

            @Override
            public void message(String peer, byte[] message) {
                say("MESSAGE " + peer + " " + new String(message, StandardCharsets.UTF_8));
            }

            @Override
            public void pathChanged(PathStatus path, String reason) {
                say("PATH " + path.name() + " " + path.peer() + " " + path.state() + " " + reason);
            }
        });
        synchronized (lock) {
            out.println("READY " + ((HeartbeatMembership) m).incarnation() + " " + ProcessHandle.current().pid());
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.split(" ", 3);
                switch (w[0]) {
                    case "announce" -> m.announce((w.length > 1 ? line.substring(9) : "").getBytes(StandardCharsets.UTF_8));
                    case "send" -> m.send(w[1], w[2].getBytes(StandardCharsets.UTF_8));
                    case "paths" -> {
                        synchronized (lock) {
                            for (PathStatus p : m.paths()) {
                                out.println("STATUS " + p);
                            }
                        }
                    }
                    case "quit" -> {
                        m.close();
                        System.exit(0);
                    }
                    default -> out.println("ERROR unknown command " + w[0]);
                }
            }
        }
        m.close();
        System.exit(0);
    }
}
