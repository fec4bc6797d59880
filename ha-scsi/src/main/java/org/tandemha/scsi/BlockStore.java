package org.tandemha.scsi;

import java.io.IOException;

/**
 * A few blocks of shared storage: a plain file (for demos and tests, or a file on a shared disk) or a LUN reached
 * through a {@link ScsiTransport} with READ(16) and WRITE(16). The disk lease is written in the same layout on
 * both. Each block is read and written whole; a write returns once it is durable (O_DSYNC, or the target's GOOD).
 */
interface BlockStore extends AutoCloseable {
    /** Block size in bytes (512 for a file; the LUN's logical block length). */
    int blockSize();

    /** Reads one block. */
    byte[] read(long block) throws IOException;

    /** Writes one block ({@code data.length == blockSize()}). */
    void write(long block, byte[] data) throws IOException;

    /** Where it is, for messages. */
    String describe();

    @Override
    void close();
}
