package org.tandemha.core.agents;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.core.exec.Command;

/**
 * Type {@code process}: a program Tandem starts, tracks by pid and stops with its whole process tree.
 *
 * <p>Parameters: {@code command} (required: a list [program, args...], or one string run by {@code /bin/sh -c}),
 * {@code env} (map), {@code directory}, {@code user} (root only), {@code log} (stdout and stderr, appended; default
 * {@code <state dir>/<id>.log}), {@code pidFile} (default {@code <state dir>/<id>.pid}; lets a stop after a restart
 * of this node find a process a previous run left), {@code stopGrace} (SIGTERM to SIGKILL, default 10s), and the
 * deep check: {@code checkCommand} (exit 0 ok, 7 not running, else failed), {@code checkTcp} ({@code host:port}),
 * {@code checkHttp} (a URL; 2xx and 3xx are healthy), {@code waitReady} (default true: start returns once the deep
 * check passes).
 */
public final class ProcessType implements ResourceType {
    @Override
    public String name() {
        return "process";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        List<String> argv = Params.command(config, r, "command", true);
        Map<String, String> env = Params.env(r);
        Path dir = Params.path(r, "directory", null);
        String user = Params.user(r);
        String file = Params.fileName(config.id());
        Path state = context.stateDirectory();
        Path log = Params.path(r, "log", state.resolve(file + ".log"));
        Path pidFile = Params.path(r, "pidFile", state.resolve(file + ".pid"));
        Duration grace = r.duration("stopGrace", Duration.ofSeconds(10));
        List<Probe> probes = new ArrayList<>();
        List<String> check = Params.command(config, r, "checkCommand", false);
        if (check != null) {
            probes.add(new Probe.CommandProbe(new Command(check, env, dir, user, null)));
        }
        String tcp = r.string("checkTcp", null);
        if (tcp != null) {
            Probe.TcpProbe p = tcp(r, tcp);
            if (p != null) {
                probes.add(p);
            }
        }
        String http = r.string("checkHttp", null);
        if (http != null) {
            try {
                URI uri = new URI(http);
                if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                    r.problem("checkHttp", "'checkHttp' is '" + http + "', not an http:// or https:// URL with a host",
                            "write a URL such as http://127.0.0.1:8080/health");
                } else {
                    probes.add(new Probe.HttpProbe(uri));
                }
            } catch (java.net.URISyntaxException e) {
                r.problem("checkHttp", "'checkHttp' is not a URL: " + e.getMessage(), "write a URL such as http://127.0.0.1:8080/health");
            }
        }
        boolean waitReady = r.bool("waitReady", true);
        r.finish();
        Command command = new Command(argv, env, dir, user, log);
        ProcessResource resource = new ProcessResource(config.id(), command, pidFile, grace, probes, waitReady);
        return ResourceParts.of(resource);
    }

    private static Probe.TcpProbe tcp(PluginConfig.Reader r, String spec) {
        int colon = spec.lastIndexOf(':');
        String fix = "write host:port, such as 127.0.0.1:8080 or [::1]:8080";
        if (colon <= 0 || colon == spec.length() - 1) {
            r.problem("checkTcp", "'checkTcp' is '" + spec + "', not host:port", fix);
            return null;
        }
        String host = spec.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(spec.substring(colon + 1));
            if (port < 1 || port > 65535) {
                r.problem("checkTcp", "port " + port + " in 'checkTcp' is outside 1..65535", fix);
                return null;
            }
            return new Probe.TcpProbe(host, port);
        } catch (NumberFormatException e) {
            r.problem("checkTcp", "'checkTcp' is '" + spec + "': the port is not a number", fix);
            return null;
        }
    }
}
