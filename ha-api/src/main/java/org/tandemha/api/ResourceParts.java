package org.tandemha.api;

import java.util.Objects;

/**
 * What a {@link ResourceType} builds for one configured resource: the resource itself, its checker and its
 * recoverer.
 *
 * @param resource  starts and stops it
 * @param checker   watches it
 * @param recoverer recovers it locally
 */
public record ResourceParts(Resource resource, Checker checker, Recoverer recoverer) {
    /** Checks that every part is given. */
    public ResourceParts {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(checker, "checker");
        Objects.requireNonNull(recoverer, "recoverer");
    }

    /** A resource and its checker, recovered by restarting it. */
    public static ResourceParts of(Resource resource, Checker checker) {
        return new ResourceParts(resource, checker, Recoverer.restart(resource));
    }

    /** A resource that is its own checker, recovered by restarting it. */
    public static <T extends Resource & Checker> ResourceParts of(T resourceAndChecker) {
        return of(resourceAndChecker, resourceAndChecker);
    }
}
