package org.tandemha.examples.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;

/**
 * {@code tandemctl}: the operator's command line for a running node, a client of its {@link AdminServer}.
 *
 * <pre>
 * tandemctl status      --state-dir DIR [--json]
 * tandemctl events      --state-dir DIR [--after N]
 * tandemctl switchover  --state-dir DIR GROUP NODE
 * tandemctl switchback  --state-dir DIR GROUP
 * tandemctl maintenance --state-dir DIR GROUP on|off
 * tandemctl clear       --state-dir DIR GROUP
 * </pre>
 *
 * {@code --state-dir} defaults to {@code $TANDEM_STATE_DIR}. Exit codes: 0 done, 1 the cluster refused the
 * command, 2 usage, access or connection errors.
 */
public final class TandemCtl {
    /** Exit code: done. */
    public static final int OK = 0;
    /** Exit code: the cluster refused the command (the reason is printed). */
    public static final int REFUSED = 1;
    /** Exit code: bad usage, node not running, not allowed. */
    public static final int ERROR = 2;

    static final String USAGE = """
            usage: tandemctl COMMAND --state-dir DIR [ARGS]
              status [--json]            the node's view of the cluster: nodes, paths, groups, resources
              events [--after N]         recent events (the last 1000), those after id N
              switchover GROUP NODE      move GROUP to NODE, stopping it in order where it runs
              switchback GROUP           move GROUP back to its most preferred available node
              maintenance GROUP on|off   leave GROUP alone (on), or manage it again (off)
              clear GROUP                clear the failures recorded for GROUP
            --state-dir DIR: the node's state directory (default: $TANDEM_STATE_DIR), where it keeps admin.json
            exit codes: 0 done, 1 refused by the cluster, 2 usage, access or connection error
            """;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration READ_TIMEOUT = Duration.ofSeconds(15);
    /** Longer than the endpoint's own wait for a command, so that its answer arrives. */
    static final Duration COMMAND_TIMEOUT = AdminServer.DEFAULT_COMMAND_WAIT.plusSeconds(30);

    private final PrintStream out;
    private final PrintStream err;
    private final boolean color;
    private final Map<String, String> env;

    TandemCtl(PrintStream out, PrintStream err, boolean color, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.color = color;
        this.env = env;
    }

    public static void main(String[] args) {
        boolean tty = System.console() != null && System.getenv("NO_COLOR") == null
                && !"dumb".equals(System.getenv("TERM"));
        System.exit(new TandemCtl(System.out, System.err, tty, System.getenv()).run(args));
    }

    /** Thrown to end a run with a message and an exit code. */
    private static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Failure(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /** Runs one command; returns the exit code. */
    int run(String... args) {
        try {
            return execute(args);
        } catch (Failure f) {
            err.println("tandemctl: " + f.getMessage());
            if (f.code == ERROR && f.getMessage().startsWith("usage")) {
                err.print(USAGE);
            }
            return f.code;
        }
    }

    private int execute(String[] args) throws Failure {
        List<String> words = new ArrayList<>();
        String stateDir = env.get("TANDEM_STATE_DIR");
        boolean json = false;
        String after = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help") || a.equals("help")) {
                out.print(USAGE);
                return OK;
            } else if (a.equals("--state-dir") || a.equals("--after")) {
                if (i + 1 >= args.length) {
                    throw usage(a + " needs a value");
                }
                if (a.equals("--state-dir")) {
                    stateDir = args[++i];
                } else {
                    after = args[++i];
                }
            } else if (a.startsWith("--state-dir=")) {
                stateDir = a.substring("--state-dir=".length());
            } else if (a.startsWith("--after=")) {
                after = a.substring("--after=".length());
            } else if (a.equals("--json")) {
                json = true;
            } else if (a.startsWith("-") && a.length() > 1) {
                throw usage("unknown option " + a);
            } else {
                words.add(a);
            }
        }
        if (words.isEmpty()) {
            throw usage("no command given");
        }
        String cmd = words.get(0);
        List<String> rest = words.subList(1, words.size());
        if (json && !cmd.equals("status")) {
            throw usage("--json goes with status only");
        }
        if (after != null && !cmd.equals("events")) {
            throw usage("--after goes with events only");
        }
        Map<String, String> params = new LinkedHashMap<>();
        switch (cmd) {
            case "status", "events" -> arity(cmd, rest, 0, "");
            case "switchover" -> {
                arity(cmd, rest, 2, "GROUP NODE");
                params.put("group", rest.get(0));
                params.put("node", rest.get(1));
            }
            case "switchback", "clear" -> {
                arity(cmd, rest, 1, "GROUP");
                params.put("group", rest.get(0));
            }
            case "maintenance" -> {
                arity(cmd, rest, 2, "GROUP on|off");
                String onOff = rest.get(1);
                if (!onOff.equals("on") && !onOff.equals("off")) {
                    throw usage("maintenance takes on or off, not '" + onOff + "'");
                }
                params.put("group", rest.get(0));
                params.put("on", Boolean.toString(onOff.equals("on")));
            }
            default -> throw usage("unknown command '" + cmd + "'");
        }
        if (after != null) {
            try {
                if (Long.parseLong(after) < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw usage("--after takes the id of the last event seen (a whole number >= 0), not '" + after + "'");
            }
            params.put("after", after);
        }
        if (stateDir == null || stateDir.isBlank()) {
            throw usage("say which node with --state-dir DIR (or set TANDEM_STATE_DIR)");
        }
        Endpoint ep = endpoint(Path.of(stateDir));
        switch (cmd) {
            case "status" -> {
                JsonNode body = ep.call("GET", "/status", params, READ_TIMEOUT);
                if (json) {
                    out.println(body.toPrettyString());
                } else {
                    out.print(StatusTable.render(parse(() -> StatusJson.readStatus(body), ep), color));
                }
                return OK;
            }
            case "events" -> {
                JsonNode body = ep.call("GET", "/events", params, READ_TIMEOUT);
                long missed = body.path("missed").asLong();
                if (missed > 0) {
                    out.println("(" + missed + " older events were dropped; the node keeps the last " + AdminServer.EVENTS_KEPT + ")");
                }
                for (JsonNode e : body.path("events")) {
                    ClusterEvent ev = parse(() -> StatusJson.readEvent(e), ep);
                    out.println("#" + e.path("id").asLong() + " " + (ev.time() == null ? "-" : ev.time().truncatedTo(ChronoUnit.MILLIS))
                            + " " + ev.level() + " " + ev);
                }
                return OK;
            }
            default -> {
                JsonNode body = ep.call("POST", "/" + cmd, params, COMMAND_TIMEOUT);
                CommandResult r = parse(() -> StatusJson.readCommand(body), ep);
                if (r.accepted()) {
                    String took = Durations.format(r.duration());
                    out.println("done: " + r.message() + (r.duration().isZero() || r.message().contains(took) ? "" : " (" + took + ")"));
                    return OK;
                }
                err.println("refused: " + r.message());
                return REFUSED;
            }
        }
    }

    private static void arity(String cmd, List<String> rest, int n, String what) throws Failure {
        if (rest.size() != n) {
            throw usage(n == 0 ? cmd + " takes no arguments, got: " + String.join(" ", rest)
                    : cmd + " takes " + what + (rest.size() < n ? "" : ", got: " + String.join(" ", rest)));
        }
    }

    private static Failure usage(String message) {
        return new Failure(ERROR, "usage: " + message);
    }

    private interface Reader<T> {
        T read();
    }

    private static <T> T parse(Reader<T> r, Endpoint ep) throws Failure {
        try {
            return r.read();
        } catch (RuntimeException e) {
            throw new Failure(ERROR, "the node at " + ep.where() + " answered something this tandemctl cannot read ("
                    + e.getMessage() + "); are both the same version?");
        }
    }

    // ------------------------------------------------------------------ talking to the node

    private record Endpoint(Path file, String host, int port, String token) {
        String where() {
            return host + ":" + port;
        }

        JsonNode call(String method, String path, Map<String, String> params, Duration timeout) throws Failure {
            StringBuilder url = new StringBuilder("http://").append(where()).append(path);
            char sep = '?';
            for (Map.Entry<String, String> p : params.entrySet()) {
                url.append(sep).append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
                sep = '&';
            }
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection) new URL(url.toString()).openConnection(Proxy.NO_PROXY);
                c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
                c.setReadTimeout((int) timeout.toMillis());
                c.setRequestMethod(method);
                c.setRequestProperty("Authorization", "Bearer " + token);
                c.setRequestProperty("Accept", "application/json");
                if (method.equals("POST")) {
                    c.setDoOutput(true);
                    c.setFixedLengthStreamingMode(0);
                    try (OutputStream o = c.getOutputStream()) {
                        o.flush();
                    }
                }
                int code = c.getResponseCode();
                byte[] bytes;
                try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
                    bytes = in == null ? new byte[0] : in.readNBytes(16 << 20);
                }
                JsonNode body;
                try {
                    body = StatusJson.MAPPER.readTree(bytes);
                } catch (JsonProcessingException e) {
                    throw new Failure(ERROR, "the node at " + where() + " answered " + code + " with something that is not JSON;"
                            + " is another program using that port? (check " + file + ")");
                }
                if (body == null || body.isMissingNode()) {
                    throw new Failure(ERROR, "the node at " + where() + " answered " + code + " with an empty body");
                }
                String error = body.path("error").asText("");
                if (code == 401) {
                    throw new Failure(ERROR, "not allowed: the node refused the token from " + file + ": " + error);
                }
                if (code == 409 || code == 200) {
                    return body;
                }
                throw new Failure(ERROR, "the node answered " + code + ": " + error);
            } catch (ConnectException e) {
                throw new Failure(ERROR, "node is not running (no answer on " + where() + "); start it, or check --state-dir");
            } catch (SocketTimeoutException e) {
                throw new Failure(ERROR, "the node at " + where() + " did not answer within "
                        + Durations.format(timeout) + "; it may be paused or overloaded");
            } catch (IOException e) {
                throw new Failure(ERROR, "cannot talk to the node at " + where() + ": " + e);
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
        }
    }

    private static Endpoint endpoint(Path stateDir) throws Failure {
        Path file = stateDir.resolve(AdminServer.FILE_NAME);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new Failure(ERROR, Files.isDirectory(stateDir)
                    ? "node is not running (no " + file + "); start it, or check --state-dir"
                    : "node is not running (no state directory " + stateDir + "); start it, or check --state-dir");
        } catch (AccessDeniedException e) {
            throw new Failure(ERROR, "not allowed: cannot read " + file + " (run as the node's user or root)");
        } catch (IOException e) {
            throw new Failure(ERROR, "cannot read " + file + ": " + e.getMessage());
        }
        try {
            JsonNode j = StatusJson.MAPPER.readTree(text);
            int port = j.path("port").asInt(-1);
            String token = j.path("token").asText("");
            if (port < 1 || port > 65535 || token.isEmpty()) {
                throw new IOException("no port or token in it");
            }
            return new Endpoint(file, j.path("host").asText("127.0.0.1"), port, token);
        } catch (IOException e) {
            throw new Failure(ERROR, file + " is damaged (" + e.getMessage().lines().findFirst().orElse("")
                    + "); restart the node to write it again");
        }
    }
}
