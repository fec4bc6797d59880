package org.tandemha.server.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.tandemha.core.json.JsonTrees;

/**
 * The configuration file as a plain tree, for what the core does not read itself: the cluster's name (for the
 * default state directory), the {@code server:} section, and the resources' parameters when the core part is not
 * valid yet. Never throws: an unreadable file gives an empty tree, and {@link org.tandemha.core.config.ConfigLoader}
 * reports why.
 */
final class ConfigFile {
    private ConfigFile() {
    }

    static JsonNode tree(Path file) {
        boolean json = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT).endsWith(".json");
        try (JsonParser p = (json ? new JsonFactory() : new YAMLFactory()).createParser(file.toFile())) {
            JsonNode n = JsonTrees.parse(p, false, false);
            return n.isMissingNode() ? JsonTrees.NODES.objectNode() : n;
        } catch (IOException | RuntimeException e) {
            return JsonTrees.NODES.objectNode();
        }
    }

    /**
     * The node's default state directory, as the core chooses it: {@code /var/lib/tandem/CLUSTER/NODE} for root,
     * else {@code $XDG_STATE_HOME/tandem/CLUSTER/NODE} ({@code ~/.local/state} when unset).
     */
    static Path defaultStateDir(String cluster, String node) {
        String c = cluster.replaceAll("[^A-Za-z0-9._-]", "_");
        String n = node.replaceAll("[^A-Za-z0-9._-]", "_");
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/tandem", c, n);
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("tandem").resolve(c).resolve(n);
    }
}
