package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Pattern;

/** Shared helpers of the configuration tests. */
final class ConfigTesting {
    static final Set<String> TYPES = Set.of("ip", "process", "filesystem", "postgresql");
    /** What must never reach an operator: Java class names, exception names, stack frames. */
    static final Pattern JAVA_LEAK = Pattern.compile(
            "Exception|Error:|\\bat [a-z]+\\.|\\.java:\\d|com\\.fasterxml|org\\.yaml|java\\.[a-z]+\\.|org\\.tandemha|\\$[A-Z]");

    private ConfigTesting() {
    }

    static String resource(String name) {
        try (InputStream in = ConfigTesting.class.getResourceAsStream("/config/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource /config/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path resourcePath(String name) {
        try {
            return Path.of(ConfigTesting.class.getResource("/config/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void assertOperatorReadable(String message) {
        assertThat(message).as("operator message").isNotBlank();
        // What the loader quotes ('...') is the operator's own text echoed back: it may contain anything.
        String ours = message.replaceAll("'[^'\n]*'", "''");
        assertThat(JAVA_LEAK.matcher(ours).find()).as("no Java names or stack frames in:\n" + message).isFalse();
    }
}
