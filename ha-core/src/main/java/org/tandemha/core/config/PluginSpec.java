package org.tandemha.core.config;

import java.util.Map;

/** A configured arbiter or fencer: its type and parameters. */
public record PluginSpec(String id, String type, String path, Map<String, Object> params) {
}
