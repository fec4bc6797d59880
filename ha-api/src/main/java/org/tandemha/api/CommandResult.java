package org.tandemha.api;

import java.time.Duration;

/**
 * The answer to an administrator command (switchover, switchback, maintenance, clear).
 *
 * @param accepted whether the command was carried out
 * @param message  what happened, or why it was refused and what to do
 * @param duration how long it took
 */
public record CommandResult(boolean accepted, String message, Duration duration) {
    /** A command carried out. */
    public static CommandResult ok(String message, Duration took) {
        return new CommandResult(true, message, took);
    }

    /** A command refused. */
    public static CommandResult refused(String message) {
        return new CommandResult(false, message, Duration.ZERO);
    }
}
