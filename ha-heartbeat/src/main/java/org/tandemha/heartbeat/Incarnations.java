package org.tandemha.heartbeat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incarnation numbers: wall-clock microseconds, strictly increasing within the process and, when the node has a
 * state directory, above the last one saved there, so that a clock stepped back across a restart still gives a
 * newer incarnation (peers drop frames from an older incarnation as stale).
 */
final class Incarnations {
    private static final Logger LOG = LoggerFactory.getLogger(Incarnations.class);

    private Incarnations() {
    }

    static long next(Path stateDirectory, String node) {
        long inc = HeartbeatMembership.nextIncarnation();
        if (stateDirectory == null) {
            return inc;
        }
        Path file = stateDirectory.resolve("heartbeat-incarnation-" + node.replaceAll("[^A-Za-z0-9._-]", "_"));
        try {
            if (Files.exists(file)) {
                long last = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
                if (last >= inc) {
                    LOG.warn("heartbeat: the clock is behind the last incarnation saved in {}; using {} instead of {}",
                            file, last + 1, inc);
                    inc = last + 1;
                }
            }
            Files.createDirectories(stateDirectory);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, Long.toString(inc), StandardCharsets.US_ASCII);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.warn("heartbeat: cannot keep the incarnation in {} ({}); using the clock alone", file, e.toString());
        }
        return inc;
    }
}
