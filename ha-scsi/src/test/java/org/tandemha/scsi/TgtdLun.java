package org.tandemha.scsi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One tgtd target with one LUN for all the tests of a class:
 * {@code @RegisterExtension static final TgtdLun tgt = new TgtdLun(8L << 20);}. Skips the class unless tgtd can run
 * here ({@link TgtdTarget#assumeAvailable}); after the class, stops tgtd and deletes its directory.
 */
final class TgtdLun implements BeforeAllCallback, AfterAllCallback {
    private final long sizeBytes;
    private Path dir;
    private TgtdTarget target;

    TgtdLun(long sizeBytes) {
        this.sizeBytes = sizeBytes;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        TgtdTarget.assumeAvailable();
        dir = Files.createTempDirectory("tgtd-lun-");
        target = TgtdTarget.start(dir.resolve("tgt"), sizeBytes);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            if (target != null) {
                target.close();
            }
        } finally {
            target = null;
            if (dir != null) {
                try (var files = Files.walk(dir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
                dir = null;
            }
        }
    }

    /** The LUN's URL for {@link ScsiDevice#open}. */
    String url() {
        return target.url();
    }

    /** An initiator IQN for a test node. */
    String initiator(String node) {
        return target.initiator(node);
    }
}
