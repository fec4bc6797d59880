package org.tandemha.core.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One configured resource, validated. Timeouts and intervals are what the engine enforces. {@code explicitTimeouts}
 * names the timeouts the configuration set itself ({@code start}, {@code stop}, {@code recover},
 * {@code quickCheck}, {@code deepCheck}): the others are defaults, which a resource whose program advises timeouts
 * (an OCF agent's meta-data) replaces with its advised ones when the node is built ({@link #withAdvised}).
 */
public record ResourceSpec(String id, String type, String path, Map<String, Object> params, List<String> dependsOn,
                           Duration startTimeout, Duration stopTimeout, Duration recoverTimeout,
                           Duration quickInterval, Duration quickTimeout, Duration deepInterval, Duration deepTimeout,
                           Set<String> explicitTimeouts) {
    /** The timeouts a configuration can set, by the names {@link #explicitTimeouts} uses. */
    public static final List<String> TIMEOUTS = List.of("start", "stop", "recover", "quickCheck", "deepCheck");

    public ResourceSpec {
        params = params == null ? Map.of() : params;
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
        explicitTimeouts = explicitTimeouts == null ? Set.of() : Set.copyOf(explicitTimeouts);
    }

    /** A resource whose timeouts are all taken as set by the configuration. */
    public ResourceSpec(String id, String type, String path, Map<String, Object> params, List<String> dependsOn,
                        Duration startTimeout, Duration stopTimeout, Duration recoverTimeout,
                        Duration quickInterval, Duration quickTimeout, Duration deepInterval, Duration deepTimeout) {
        this(id, type, path, params, dependsOn, startTimeout, stopTimeout, recoverTimeout, quickInterval, quickTimeout,
                deepInterval, deepTimeout, Set.copyOf(TIMEOUTS));
    }

    /** Whether the configuration set this timeout itself (one of {@link #TIMEOUTS}). */
    public boolean explicit(String timeout) {
        return explicitTimeouts.contains(timeout);
    }

    /**
     * This resource with the timeouts its program advises ({@code advised}: a name of {@link #TIMEOUTS} to its
     * advised timeout) where the configuration set none; an unset {@code recover} is the effective start plus stop
     * (as the configuration's default is). Unchanged when nothing applies.
     */
    public ResourceSpec withAdvised(Map<String, Duration> advised) {
        Duration start = pick("start", startTimeout, advised);
        Duration stop = pick("stop", stopTimeout, advised);
        Duration recover = explicit("recover") ? recoverTimeout : start.plus(stop);
        return new ResourceSpec(id, type, path, params, dependsOn, start, stop, recover, quickInterval,
                pick("quickCheck", quickTimeout, advised), deepInterval, pick("deepCheck", deepTimeout, advised),
                explicitTimeouts);
    }

    private Duration pick(String name, Duration configured, Map<String, Duration> advised) {
        Duration a = advised.get(name);
        return explicit(name) || !valid(a) ? configured : a;
    }

    private static boolean valid(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }
}
