package org.tandemha.scsi;

import java.io.IOException;

/**
 * A {@link BlockStore} on a LUN through the session of this node's {@link SharedLock} (so that under a
 * Write Exclusive – Registrants Only reservation our writes are those of a registrant). A write refused with
 * RESERVATION CONFLICT registers once and is retried, unless this node is fenced.
 */
final class LunBlockStore implements BlockStore {
    private final SharedLock lock;
    private final int blockSize;

    LunBlockStore(SharedLock lock) throws IOException {
        this.lock = lock;
        try {
            long[] cap = lock.scsi().capacity();
            this.blockSize = (int) cap[1];
        } catch (ScsiException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (blockSize < 512 || blockSize > 65536) {
            throw new IOException("LUN " + lock.target() + " reports a block length of " + blockSize + " bytes, not usable for a lease");
        }
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public byte[] read(long block) throws IOException {
        try {
            return lock.scsi().read(block, 1, blockSize);
        } catch (ScsiException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public void write(long block, byte[] data) throws IOException {
        try {
            try {
                lock.scsi().write(block, data, blockSize);
            } catch (ScsiException e) {
                if (e.kind() != ScsiException.Kind.RESERVATION_CONFLICT || lock.fenced()) {
                    throw e;
                }
                lock.register();
                lock.scsi().write(block, data, blockSize);
            }
        } catch (ScsiException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return "LUN " + lock.target();
    }

    @Override
    public void close() {
        // the session belongs to the shared lock
    }
}
