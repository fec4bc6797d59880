package org.tandemha.core.exec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run: its arguments, environment additions, working directory, the user to run as (root only), and
 * where its output goes (a temporary file when {@code null}).
 */
public record Command(List<String> argv, Map<String, String> environment, Path directory, String user, Path logFile) {
    public Command {
        Objects.requireNonNull(argv, "argv");
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        argv = List.copyOf(argv);
        environment = environment == null ? Map.of() : Map.copyOf(environment);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv), Map.of(), null, null, null);
    }

    public static Command of(List<String> argv) {
        return new Command(argv, Map.of(), null, null, null);
    }

    public Command withEnvironment(Map<String, String> env) {
        return new Command(argv, env, directory, user, logFile);
    }

    public Command withDirectory(Path dir) {
        return new Command(argv, environment, dir, user, logFile);
    }

    public Command withUser(String runAs) {
        return new Command(argv, environment, directory, runAs, logFile);
    }

    public Command withLogFile(Path file) {
        return new Command(argv, environment, directory, user, file);
    }

    @Override
    public String toString() {
        return String.join(" ", argv);
    }
}
