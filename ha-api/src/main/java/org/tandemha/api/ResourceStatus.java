package org.tandemha.api;

import java.time.Instant;

/**
 * One resource of a group, on this node.
 *
 * @param id        the resource id
 * @param type      its type name
 * @param running   whether this node believes it runs here
 * @param lastCheck the last check result, or {@code null}
 * @param lastCheckAt when it was taken (wall clock), or {@code null}
 * @param failures  failures counted in the current recovery window
 */
public record ResourceStatus(String id, String type, boolean running, CheckResult lastCheck, Instant lastCheckAt,
                             int failures) {
}
