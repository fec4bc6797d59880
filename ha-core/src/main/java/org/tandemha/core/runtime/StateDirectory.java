package org.tandemha.core.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A node's state directory: the generations it has seen (its fencing tokens), its heartbeat incarnation, its
 * resources' files. One process per node id may use it: {@link #lock} takes an exclusive lock on a file in it
 * before the node does anything else, and the operating system releases it when the process dies, however it
 * dies. A second copy of the node (started by a unit file and by hand) fails at once, before it touches anything.
 */
final class StateDirectory {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private StateDirectory() {
    }

    /**
     * The default for a node given none: {@code /var/lib/tandem/CLUSTER/NODE} for root, else
     * {@code $XDG_STATE_HOME/tandem/CLUSTER/NODE} ({@code ~/.local/state} when unset). Durable across reboots,
     * unlike a temporary directory, because it holds the generations.
     */
    static Path defaultFor(String cluster, String node) {
        String safeCluster = cluster.replaceAll("[^A-Za-z0-9._-]", "_");
        String safeNode = node.replaceAll("[^A-Za-z0-9._-]", "_");
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/tandem", safeCluster, safeNode);
        }
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("tandem").resolve(safeCluster).resolve(safeNode);
    }

    /** Creates the directory (and missing parents) readable by its owner only. */
    static void create(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.setPosixFilePermissions(dir, OWNER_ONLY); // the umask may have taken bits away, never added
        } else {
            Files.createDirectories(dir);
        }
    }

    /**
     * Takes the node's lock in {@code dir}, or explains who holds it.
     *
     * @throws IllegalStateException when another process (or another node object in this one) holds it
     */
    static AutoCloseable lock(Path dir, String node) {
        Path file = dir.resolve("node-" + node.replaceAll("[^A-Za-z0-9._-]", "_") + ".lock");
        FileChannel ch = null;
        try {
            create(dir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = readHolder(ch);
                ch.close();
                throw new IllegalStateException("node " + node + " already runs from the state directory " + dir
                        + " (" + (holder.isEmpty() ? "another process" : holder) + " holds its lock " + file + ")"
                        + ": a second copy of a node must not start;"
                        + " stop the other copy, or give this one its own node id and state directory");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            FileChannel held = ch;
            FileLock heldLock = lock;
            return () -> {
                try {
                    heldLock.release();
                } finally {
                    held.close();
                }
            };
        } catch (IOException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new IllegalStateException("node " + node + ": cannot lock its state directory " + dir + " ("
                    + e.getMessage() + "); give it a writable local directory with stateDirectory(...)", e);
        }
    }

    private static String readHolder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
            return s.startsWith("pid ") ? "process " + s.substring(4) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
