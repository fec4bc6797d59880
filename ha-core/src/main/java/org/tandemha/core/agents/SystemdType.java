package org.tandemha.core.agents;

import java.nio.file.Path;
import java.util.regex.Pattern;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/**
 * Type {@code systemd}: a systemd unit, started and stopped with {@code systemctl}, checked with
 * {@code systemctl is-active}. Parameter: {@code unit} (required; {@code .service} is added when no suffix is given).
 * On a host where systemd does not run, start is NOT_INSTALLED and stop succeeds (nothing can run under it).
 */
public final class SystemdType implements ResourceType {
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9:_.\\\\@-]+");

    @Override
    public String name() {
        return "systemd";
    }

    @Override
    public ResourceParts create(PluginConfig config, NodeContext context) throws InvalidConfigException {
        PluginConfig.Reader r = config.reader();
        String unit = r.string("unit");
        if (unit != null && (!UNIT.matcher(unit).matches() || unit.startsWith("-"))) {
            r.problem("unit", "'unit' is '" + unit + "', not a systemd unit name", "write a unit name such as nginx.service");
        }
        r.finish();
        if (!unit.contains(".")) {
            unit = unit + ".service";
        }
        return ResourceParts.of(new SystemdResource(config.id(), unit, Path.of("/run/systemd/system")));
    }
}
