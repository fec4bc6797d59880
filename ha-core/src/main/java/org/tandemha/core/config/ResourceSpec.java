package org.tandemha.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One configured resource, validated. Timeouts and intervals are what the engine enforces. */
public record ResourceSpec(String id, String type, String path, Map<String, Object> params, List<String> dependsOn,
                           Duration startTimeout, Duration stopTimeout, Duration recoverTimeout,
                           Duration quickInterval, Duration quickTimeout, Duration deepInterval, Duration deepTimeout) {
    public ResourceSpec {
        params = params == null ? Map.of() : params;
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    }
}
