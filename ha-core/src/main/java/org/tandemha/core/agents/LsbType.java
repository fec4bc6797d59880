package org.tandemha.core.agents;

import java.nio.file.Path;
import java.util.regex.Pattern;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * Type {@code lsb}: an LSB init script, run as {@code <script> start|stop|status}. Parameter: {@code script}
 * (required: a name under {@code /etc/init.d}, or an absolute path). Start and stop succeed on exit 0 (stop also on
 * 7); status: 0 running, 3 not running, 1 and 2 dead with a pid or lock file left, 4 unknown.
 */
public final class LsbType implements ResourceType {
    static final Path INIT_D = Path.of("/etc/init.d");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+@-]*");

    @Override
    public String name() {
        return "lsb";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String s = r.string("script");
        Path script = null;
        if (s != null) {
            if (s.startsWith("/")) {
                script = Path.of(s).normalize();
            } else if (NAME.matcher(s).matches()) {
                script = INIT_D.resolve(s);
            } else {
                r.problem("script", "'script' is '" + s + "', neither an init script name nor an absolute path",
                        "write a name under /etc/init.d, such as nginx, or an absolute path");
            }
        }
        r.finish();
        return ResourceParts.of(new LsbResource(config.id(), script,
                context.stateDirectory().resolve(Params.fileName(config.id()) + ".log")));
    }
}
