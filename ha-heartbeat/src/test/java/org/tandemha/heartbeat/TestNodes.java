package org.tandemha.heartbeat;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.tandemha.api.ClusterConfig;
import org.tandemha.api.Membership;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PathStatus;
import org.tandemha.core.testing.FakeNodeContext;

/** Helpers shared by the socket tests, the child node and the benchmark. */
final class TestNodes {
    static final byte[] KEY = "tandem-test-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private TestNodes() {
    }

    /** Two ports free for both UDP and TCP on 127.0.0.1 (best effort). */
    static int freePort() {
        for (int i = 0; i < 200; i++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                 ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                if (d.isBound() && s.isBound()) {
                    return port;
                }
            } catch (Exception e) {
                // taken, try another
            }
        }
        throw new IllegalStateException("no free port found in 200 tries");
    }

    static ClusterConfig.Path path(String name, String transport, int priority, long intervalMs, int misses) {
        return new ClusterConfig.Path(name, transport, priority, Duration.ofMillis(intervalMs), misses, Map.of());
    }

    static ClusterConfig config(String local, List<ClusterConfig.Node> nodes, List<ClusterConfig.Path> paths) {
        return new ClusterConfig("test", local, KEY, nodes, paths);
    }

    /**
     * Parses the compact command-line form used by {@link NodeMain}: {@code path:NAME:TRANSPORT:PRIORITY:INTERVALMS:MISSES}
     * and {@code node:ID:PATH@HOST:PORT,PATH@HOST:PORT}, and {@code realtime:PRIORITY:POLICY:LOCKMEMORY}.
     */
    static ClusterConfig parse(String local, List<String> specs) {
        List<ClusterConfig.Node> nodes = new ArrayList<>();
        List<ClusterConfig.Path> paths = new ArrayList<>();
        ClusterConfig.Realtime rt = ClusterConfig.Realtime.NONE;
        for (String s : specs) {
            String[] p = s.split(":", 3);
            if (p[0].equals("realtime")) {
                String[] f = s.split(":");
                rt = new ClusterConfig.Realtime(Integer.parseInt(f[1]), f[2], Boolean.parseBoolean(f[3]), false);
            } else if (p[0].equals("path")) {
                String[] f = s.split(":");
                Map<String, Object> options = new LinkedHashMap<>();
                for (int i = 6; i < f.length; i++) {
                    String[] kv = f[i].split("=", 2);
                    options.put(kv[0], kv[1]);
                }
                paths.add(new ClusterConfig.Path(f[1], f[2], Integer.parseInt(f[3]), Duration.ofMillis(Long.parseLong(f[4])),
                        Integer.parseInt(f[5]), options));
            } else if (p[0].equals("node")) {
                Map<String, String> addrs = new LinkedHashMap<>();
                for (String a : p[2].split(",")) {
                    String[] kv = a.split("@", 2);
                    addrs.put(kv[0], kv[1]);
                }
                nodes.add(new ClusterConfig.Node(p[1], addrs));
            } else {
                throw new IllegalArgumentException("bad spec " + s);
            }
        }
        return new ClusterConfig("test", local, KEY, nodes, paths, rt);
    }

    /** ha-core's test node context, with the temp directory as state directory. */
    static NodeContext context(String node) {
        return new FakeNodeContext(node, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** An event as the tests see it, with the monotonic time it arrived. */
    record Event(String kind, String peer, String path, String detail, long atNanos, byte[] bytes) {
        @Override
        public String toString() {
            return kind + " " + peer + (path == null ? "" : " " + path) + (detail == null ? "" : " " + detail);
        }
    }

    /** Records every listener call in order. */
    static final class Recorder implements Membership.Listener {
        final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final List<Event> all = java.util.Collections.synchronizedList(new ArrayList<>());

        private void add(Event e) {
            all.add(e);
            events.add(e);
        }

        @Override
        public void peerReachable(String peer, long incarnation) {
            add(new Event("reachable", peer, null, Long.toString(incarnation), System.nanoTime(), null));
        }

        @Override
        public void peerUnreachable(String peer, String reason) {
            add(new Event("unreachable", peer, null, reason, System.nanoTime(), null));
        }

        @Override
        public void peerState(String peer, long incarnation, byte[] state) {
            add(new Event("state", peer, null, new String(state, StandardCharsets.UTF_8), System.nanoTime(), state));
        }

        @Override
        public void message(String peer, byte[] message) {
            add(new Event("message", peer, null, new String(message, StandardCharsets.UTF_8), System.nanoTime(), message));
        }

        @Override
        public void pathChanged(PathStatus path, String reason) {
            add(new Event(path.state().name().toLowerCase(java.util.Locale.ROOT), path.peer(), path.name(), reason,
                    System.nanoTime(), null));
        }

        @Override
        public void duplicate(String peer, long older, long newer) {
            add(new Event("duplicate", peer, null, older + "<" + newer, System.nanoTime(), null));
        }

        /** Waits (bounded) for the next event matching {@code p}, skipping others. */
        Event await(Predicate<Event> p, long timeoutMs, String what) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                long left = end - System.nanoTime();
                Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
                if (e == null) {
                    throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what + "; events so far: " + all);
                }
                if (p.test(e)) {
                    return e;
                }
            }
        }

        long count(String kind) {
            return countSince(kind, 0);
        }

        /** Events of {@code kind} recorded at index {@code from} or later (see {@link #mark}). */
        long countSince(String kind, int from) {
            synchronized (all) {
                return all.subList(Math.min(from, all.size()), all.size()).stream().filter(e -> e.kind().equals(kind)).count();
            }
        }

        int mark() {
            return all.size();
        }
    }
}
