package org.tandemha.core.agents;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.tandemha.api.ActionContext;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;

/** A node context on a temporary state directory, and small helpers. */
final class TestSupport {
    private TestSupport() {
    }

    static NodeContext node(Path state) {
        return new org.tandemha.core.testing.FakeNodeContext("node1", state);
    }

    static ActionContext ctx(Duration timeout) {
        return ActionContext.of("node1", "web", "app", timeout);
    }

    static ActionContext ctx(long seconds) {
        return ctx(Duration.ofSeconds(seconds));
    }

    static ResourceParts create(ResourceType type, Path state, String id, Map<String, Object> params) throws InvalidConfigException {
        return type.create(PluginConfig.of(id, type.name(), params), node(state));
    }

    /** Copies a test resource under {@code agents/} to {@code dir}, executable. */
    static Path executable(String resource, Path dir) throws IOException {
        Path out = dir.resolve(resource);
        Files.createDirectories(out.getParent());
        try (InputStream in = TestSupport.class.getResourceAsStream("/agents/" + resource)) {
            if (in == null) {
                throw new IOException("test resource agents/" + resource + " missing");
            }
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
        return out;
    }

    /** Waits for a condition, at most {@code max}; returns whether it came true. */
    static boolean await(BooleanSupplier condition, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() - end < 0) {
            if (condition.getAsBoolean()) {
                return true;
            }
            LockSupport.parkNanos(20_000_000L);
        }
        return condition.getAsBoolean();
    }

    static List<Long> readPids(Path file) {
        try {
            return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
