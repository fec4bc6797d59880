package org.tandemha.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A {@link BlockStore} on a plain file, written with O_DSYNC. Created (sparse) if missing. */
final class FileBlockStore implements BlockStore {
    static final int BLOCK = 512;
    private final Path path;
    private final FileChannel ch;

    FileBlockStore(Path path, int blocks) throws IOException {
        this.path = path;
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IOException("lease file " + path + ": directory " + parent + " does not exist; create it or fix 'file'");
        }
        this.ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.DSYNC);
        long need = (long) blocks * BLOCK;
        if (ch.size() < need) {
            ch.write(ByteBuffer.wrap(new byte[1]), need - 1);
        }
    }

    @Override
    public int blockSize() {
        return BLOCK;
    }

    @Override
    public byte[] read(long block) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BLOCK);
        long pos = block * BLOCK;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                break; // past the end reads as zeros
            }
        }
        return b.array();
    }

    @Override
    public void write(long block, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        long pos = block * BLOCK;
        while (b.hasRemaining()) {
            ch.write(b, pos + b.position());
        }
    }

    @Override
    public String describe() {
        return "file " + path;
    }

    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
