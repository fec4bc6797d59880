package org.tandemha.api;

/**
 * One thing wrong with a configuration: where it is, what is wrong, and how to fix it.
 *
 * @param field   the path of the offending field, such as {@code groups[db].resources[pg].params.port}
 * @param message what is wrong
 * @param fix     what to do about it
 */
public record Problem(String field, String message, String fix) {
    @Override
    public String toString() {
        return field + ": " + message + (fix == null || fix.isEmpty() ? "" : " (fix: " + fix + ")");
    }
}
