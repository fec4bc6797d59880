package org.tandemha.heartbeat.witness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.tandemha.api.Durations;
import org.tandemha.api.Problem;
import org.tandemha.core.config.RealtimeSpec;

/**
 * Runs a {@link WitnessServer} from a small YAML or JSON file or from arguments:
 *
 * <pre>
 * java -cp &lt;classpath&gt; org.tandemha.heartbeat.witness.WitnessMain --config witness.yaml
 * java -cp &lt;classpath&gt; org.tandemha.heartbeat.witness.WitnessMain --cluster demo --key-file /etc/tandem/cluster.key \
 *      --bind 203.0.113.5:7600 [--lease 300ms] [--state-file /var/lib/tandem/witness.state]
 * </pre>
 *
 * The file:
 * <pre>{@code
 * cluster: demo                            # the cluster's name, as in the nodes' configuration
 * key: "hex:00112233..."                   # the cluster key, or keyFile: /etc/tandem/cluster.key
 * bind: "203.0.113.5:7600"                 # where the nodes' witness arbiter sends (its 'address')
 * lease: 300ms                             # optional: a node silent this long counts as dead (its own longer lease wins;
 *                                          #   a node's lease is its heartbeat timeout by default)
 * stateFile: /var/lib/tandem/witness.state # optional: grants survive a restart (recommended)
 * realtime: {priority: 10, policy: fifo, lockMemory: true}  # optional: the answering thread at a real-time priority
 *                                          #   and the process locked in memory (the keys and messages of a node's
 *                                          #   realtime section; needs root or CAP_SYS_NICE / CAP_IPC_LOCK)
 * }</pre>
 *
 * Exit codes: 0 after SIGTERM, 2 for a bad configuration (every problem printed, each with its fix), 1 if the
 * address cannot be bound. With {@code --watch-stdin} it also exits when its standard input closes (for a supervisor
 * that holds a pipe to it).
 */
public final class WitnessMain {
    private static final Set<String> KEYS = Set.of("cluster", "key", "keyFile", "bind", "lease", "stateFile", "realtime");

    private WitnessMain() {
    }

    /** The settings of one witness, or the problems found. */
    record Settings(String cluster, byte[] key, InetSocketAddress bind, Duration lease, Path stateFile,
                    boolean watchStdin, RealtimeSpec realtime) {
    }

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: WitnessMain --config witness.yaml\n       WitnessMain --cluster NAME (--key hex:...|base64:... | --key-file FILE) --bind HOST:PORT [--lease 3s] [--state-file FILE] [--realtime '{priority: 10, lockMemory: true}'] [--watch-stdin]\nThe witness: a third party that grants a takeover to at most one node per generation (arbiter type 'witness').\n  --config FILE       a YAML or JSON file with cluster, key or keyFile, bind, lease, stateFile\n  --cluster NAME      the cluster's name, as in the nodes' configuration\n  --key, --key-file   the cluster's key (hex:... or base64:..., at least 16 bytes), or a file holding it\n  --bind HOST:PORT    where to listen (UDP), on a network both nodes reach\n  --lease DURATION    how long a node's report holds (default 3s; a node's own longer lease wins)\n  --state-file FILE   keeps grants across restarts (recommended)\n  --realtime MAP      real-time priority for the answering thread and memory locking, the keys of a node's realtime section: priority (1-99), policy (rr|fifo), lockMemory, required\n  --watch-stdin       exit when standard input closes (for a parent process)\nExit: 0 stopped, 1 cannot start (address in use...), 2 bad arguments.");
            return;                                             // --help: usage, exit 0
        }
        PrintStream out = System.out;
        List<String> problems = new ArrayList<>();
        Settings s = parse(args, problems);
        if (s == null) {
            System.err.println("witness: cannot start:");
            problems.forEach(p -> System.err.println("  " + p));
            System.err.println("usage: WitnessMain --config witness.yaml");
            System.err.println("       WitnessMain --cluster NAME (--key hex:...|base64:... | --key-file FILE) --bind HOST:PORT"
                    + " [--lease 300ms] [--state-file FILE] [--realtime '{priority: 10, lockMemory: true}'] [--watch-stdin]");
            System.exit(2);
            return;
        }
        WitnessServer w = new WitnessServer(s.cluster(), s.key(), s.bind(), s.lease(), s.stateFile()).realtime(s.realtime());
        try {
            w.start();
        } catch (IllegalStateException e) {
            System.err.println("witness: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        } catch (IOException e) {
            System.err.println("witness: cannot start on " + s.bind() + ": " + e.getMessage()
                    + " (use an address of this host and a free port)");
            System.exit(1);
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            w.close();
            done.countDown();
        }, "tandem-witness-stop"));
        out.println("witness for cluster " + s.cluster() + " listening on " + w.address().getAddress().getHostAddress()
                + ":" + w.address().getPort() + " pid " + ProcessHandle.current().pid()
                + (w.realtimeApplied().isEmpty() ? "" : " (" + String.join(", ", w.realtimeApplied()) + ")"));
        out.flush();
        if (s.watchStdin()) {
            Thread t = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // ignore input; wait for end of file
                    }
                } catch (IOException e) {
                    // treated as closed
                }
                System.exit(0);
            }, "tandem-witness-stdin");
            t.setDaemon(true);
            t.start();
        }
        done.await();
    }

    /** Parses arguments (and the file they name); returns null with {@code problems} filled on error. */
    static Settings parse(String[] args, List<String> problems) {
        Map<String, String> opts = new LinkedHashMap<>();
        boolean watch = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--watch-stdin")) {
                watch = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                problems.add("argument '" + a + "' " + (a.startsWith("--") ? "needs a value" : "is not an option"));
                continue;
            }
            String name = switch (a) {
                case "--config" -> "config";
                case "--cluster" -> "cluster";
                case "--key" -> "key";
                case "--key-file" -> "keyFile";
                case "--bind" -> "bind";
                case "--lease" -> "lease";
                case "--state-file" -> "stateFile";
                case "--realtime" -> "realtime";
                default -> null;
            };
            if (name == null) {
                problems.add("unknown option '" + a + "' (options: --config, --cluster, --key, --key-file, --bind,"
                        + " --lease, --state-file, --realtime, --watch-stdin)");
            } else {
                opts.put(name, args[++i]);
            }
        }
        Path base = null;
        JsonNode realtime = null;
        if (opts.containsKey("realtime")) {
            try {
                realtime = new YAMLMapper().readTree(opts.remove("realtime"));
            } catch (IOException e) {
                problems.add("--realtime: not a map like '{priority: 10, policy: fifo, lockMemory: true}' ("
                        + e.getMessage().lines().findFirst().orElse("") + ")");
            }
        }
        if (opts.containsKey("config")) {
            Path file = Path.of(opts.remove("config"));
            base = file.toAbsolutePath().getParent();
            try {
                JsonNode root = new YAMLMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
                if (root == null || !root.isObject()) {
                    problems.add(file + ": expected a map with cluster, key (or keyFile), bind, lease, stateFile");
                } else {
                    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        if (e.getKey().equals("realtime")) {
                            if (realtime == null) {
                                realtime = e.getValue(); // --realtime on the command line wins
                            }
                        } else if (!KEYS.contains(e.getKey())) {
                            problems.add(file + ": unknown field '" + e.getKey() + "' (fix: remove it, or use one of "
                                    + String.join(", ", KEYS.stream().sorted().toList()) + ")");
                        } else if (!e.getValue().isValueNode()) {
                            problems.add(file + ": '" + e.getKey() + "' must be a plain value");
                        } else {
                            opts.putIfAbsent(e.getKey(), e.getValue().asText());
                        }
                    }
                }
            } catch (IOException e) {
                problems.add("cannot read " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        String cluster = opts.get("cluster");
        if (cluster == null || cluster.isBlank()) {
            problems.add("cluster: missing (fix: the cluster's name, as in the nodes' configuration)");
        } else if (cluster.getBytes(StandardCharsets.UTF_8).length > 64) {
            problems.add("cluster: longer than 64 bytes");
        }
        byte[] key = null;
        if (opts.containsKey("key") && opts.containsKey("keyFile")) {
            problems.add("key and keyFile are both set (fix: keep one)");
        } else if (opts.containsKey("keyFile")) {
            Path kf = resolve(base, opts.get("keyFile"));
            try {
                key = Files.readAllBytes(kf);
            } catch (IOException e) {
                problems.add("keyFile: cannot read " + kf + ": " + e.getMessage());
            }
        } else if (opts.containsKey("key")) {
            key = key(opts.get("key"), problems);
        } else {
            problems.add("key: missing (fix: key: \"hex:...\" or keyFile: FILE, the same key as the nodes')");
        }
        if (key != null && key.length < 16) {
            problems.add("key: " + key.length + " bytes; at least 16 are required");
            key = null;
        }
        InetSocketAddress bind = null;
        if (opts.get("bind") == null) {
            problems.add("bind: missing (fix: the host:port the nodes' witness arbiter sends to, such as 203.0.113.5:7600)");
        } else {
            bind = WitnessArbiterFactory.parse(opts.get("bind"), 0);
            if (bind == null) {
                problems.add("bind: '" + opts.get("bind") + "' is not host:port (fix: write it like 203.0.113.5:7600)");
            }
        }
        // The floor under the nodes' own leases. Low, so that a node's lease (by default its heartbeat timeout)
        // decides and the witness learns of a silence when the peer does; a node's longer lease still wins.
        Duration lease = Duration.ofMillis(300);
        if (opts.containsKey("lease")) {
            try {
                lease = Durations.parse(opts.get("lease"));
                if (lease.isZero() || lease.isNegative()) {
                    problems.add("lease: must be longer than zero (fix: such as 3s)");
                }
            } catch (IllegalArgumentException e) {
                problems.add("lease: " + e.getMessage() + " (fix: a duration such as 3s)");
            }
        }
        Path state = opts.containsKey("stateFile") ? resolve(base, opts.get("stateFile")) : null;
        RealtimeSpec rt = RealtimeSpec.none();
        if (realtime != null) {
            List<Problem> found = new ArrayList<>();
            rt = RealtimeSpec.read(realtime, found);
            found.forEach(p -> problems.add(p.toString()));
            if (rt.checkPriority() > 0) {
                problems.add("realtime.checkPriority: the witness runs no checks, so it would not apply (fix: remove"
                        + " checkPriority; priority is for the thread that answers the nodes)");
            }
        }
        return problems.isEmpty() ? new Settings(cluster, key, bind, lease, state, watch, rt) : null;
    }

    private static Path resolve(Path base, String p) {
        Path path = Path.of(p);
        return base == null || path.isAbsolute() ? path : base.resolve(path);
    }

    private static byte[] key(String k, List<String> problems) {
        String s = k.trim();
        try {
            if (s.startsWith("hex:")) {
                return HexFormat.of().parseHex(s.substring(4));
            }
            if (s.startsWith("base64:")) {
                return Base64.getDecoder().decode(s.substring(7));
            }
            problems.add("key: must start with 'hex:' or 'base64:' (fix: write it as in the nodes' configuration)");
        } catch (IllegalArgumentException e) {
            problems.add("key: not valid " + (s.startsWith("hex:") ? "hex" : "base64") + " (" + e.getMessage() + ")");
        }
        return null;
    }
}
