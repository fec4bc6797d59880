package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.tandemha.api.Problem;

/**
 * Reads the plugin lists {@code arbiters} and {@code fencing}: each entry's type, its id (the type when not given,
 * unique in its list) and its free {@code params}, which the plugin's factory checks when the node is built.
 */
final class PluginsReader extends ConfigFields {
    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final List<String> PLUGIN_KEYS = List.of("type", "id", "params");

    PluginsReader(List<Problem> problems) {
        super(problems);
    }

    List<PluginSpec> plugins(JsonNode list, String section) {
        List<PluginSpec> out = new ArrayList<>();
        List<JsonNode> items = list(list, section, false, 0, null);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode n = items.get(i);
            String at = section + "[" + i + "]";
            if (!object(n, at)) {
                continue;
            }
            knownFields(n, at, PLUGIN_KEYS);
            String type = null;
            JsonNode t = present(n.get("type"));
            if (t == null) {
                problem(at + ".type", "missing required field 'type'", "add type: <plugin type>, e.g. "
                        + (section.equals("arbiters") ? "disk-lease, scsi, witness or peer-probe" : "script or scsi"));
            } else if (!t.isTextual() || !TYPE.matcher(t.asText()).matches()) {
                problem(at + ".type", "invalid type " + show(t), "use a type name of letters, digits, '_', '.' or '-'");
            } else {
                type = t.asText();
            }
            String id = present(n.get("id")) == null ? type : id(n, "id", at + ".id", false);
            if (id != null && !seen.add(id)) {
                problem(at + ".id", "duplicate " + section + " id '" + id + "'",
                        "give each entry of " + section + " a different id (add id: <name>)");
                id = null;
            }
            Map<String, Object> params = freeMap(n.get("params"), at + ".params");
            if (id != null && type != null) {
                out.add(new PluginSpec(id, type, at, params));
            }
        }
        return out;
    }
}
