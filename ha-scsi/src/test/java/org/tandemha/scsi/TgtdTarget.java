package org.tandemha.scsi;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * A private tgtd (the user-space SCSI target of the {@code tgt} package) serving one file-backed disk LUN on a
 * loopback iSCSI portal, for tests that need a real SPC-3 target with persistent reservations.
 *
 * <p>Each instance uses its own free TCP port on 127.0.0.1 and its own management channel ({@code tgtd -C N},
 * socket {@code /var/run/tgtd/socket.N}), so it never touches a system tgtd or another test's. It is stopped by
 * its PID (tgtd ignores SIGTERM), also from a JVM shutdown hook.
 *
 * <pre>{@code
 * TgtdTarget.assumeAvailable();                 // skips the test unless root, tgtd and libiscsi.so.7 are here
 * try (TgtdTarget t = TgtdTarget.start(tempDir, 64 << 20)) {
 *     ScsiDevice a = ScsiDevice.open(t.url(), t.initiator("node1"), Duration.ofSeconds(5));
 *     ...
 *     t.restart();                               // kill -9 and start again on the same port and backing file
 * }
 * }</pre>
 * The LUN is LUN 1 (LUN 0 is tgtd's controller); {@link #url()} is {@code iscsi://127.0.0.1:PORT/IQN/1}.
 */
public final class TgtdTarget implements AutoCloseable {
    private static final Path TGTD = Path.of("/usr/sbin/tgtd");
    private static final Path TGTADM = Path.of("/usr/sbin/tgtadm");
    private static final Duration READY = Duration.ofSeconds(15);

    private final Path dir;
    private final Path backing;
    private final int port;
    private final int controlPort;
    private final String iqn;
    private Process process;
    private final Thread hook;

    private TgtdTarget(Path dir, Path backing, int port, int controlPort, String iqn) {
        this.dir = dir;
        this.backing = backing;
        this.port = port;
        this.controlPort = controlPort;
        this.iqn = iqn;
        this.hook = new Thread(this::kill, "tgtd-" + port + "-cleanup");
    }

    /** Skips the calling test (JUnit assumption) unless this node runs as root with tgtd and libiscsi7. */
    public static void assumeAvailable() {
        Assumptions.assumeTrue(Posix.isRoot(), "needs root to run tgtd (CI runs as root)");
        Assumptions.assumeTrue(Files.isExecutable(TGTD) && Files.isExecutable(TGTADM),
                "tgtd not installed: apt-get install tgt");
        try {
            LibIscsiTransport.library();
        } catch (ScsiException e) {
            Assumptions.abort(e.getMessage());
        }
    }

    /**
     * Starts tgtd with one LUN backed by a sparse file of {@code sizeBytes} in {@code dir}.
     *
     * @throws IOException naming what failed (tgtd's log is in {@code dir/tgtd.log})
     */
    public static TgtdTarget start(Path dir, long sizeBytes) throws IOException {
        Files.createDirectories(dir);
        Path backing = dir.resolve("lun1.img");
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a port taken between our probe and tgtd's bind: try others
            try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
                f.setLength(sizeBytes);
            }
            int port = freePort();
            int control = freeControlPort();
            String iqn = "iqn.2026-11.org.tandemha:test." + port;
            TgtdTarget t = new TgtdTarget(dir, backing, port, control, iqn);
            Runtime.getRuntime().addShutdownHook(t.hook);
            try {
                t.launch();
                return t;
            } catch (IOException e) {
                t.close();
                last = e;
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
        }
        throw last;
    }

    /** The LUN's URL for {@link ScsiDevice#open}. */
    public String url() {
        return "iscsi://127.0.0.1:" + port + "/" + iqn + "/1";
    }

    /** The portal's TCP port. */
    public int port() {
        return port;
    }

    /** The target's IQN. */
    public String iqn() {
        return iqn;
    }

    /** The file behind LUN 1. */
    public Path backingFile() {
        return backing;
    }

    /** An initiator IQN for a test node. */
    public String initiator(String node) {
        return "iqn.2026-11.org.tandemha:test-initiator." + node;
    }

    /** The PID of the running tgtd, or -1. */
    public long pid() {
        Process p = process;
        return p != null && p.isAlive() ? p.pid() : -1;
    }

    /** Kills tgtd (SIGKILL, by PID); every session drops and reservations are lost (no APTPL). */
    public synchronized void kill() {
        Process p = process;
        process = null;
        if (p != null) {
            CommandRunner.killTree(p.pid());
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Kills tgtd and starts it again on the same port and backing file. */
    public synchronized void restart() throws IOException {
        kill();
        launch();
    }

    /** Starts tgtd again after {@link #kill}. */
    public synchronized void launch() throws IOException {
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort));
        Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort + ".lock"));
        Command cmd = Command.of(TGTD.toString(), "-f", "-C", String.valueOf(controlPort),
                "--iscsi", "portal=127.0.0.1:" + port).withLogFile(dir.resolve("tgtd.log"));
        process = CommandRunner.start(cmd);
        long deadline = System.nanoTime() + READY.toNanos();
        // Wait for the management socket, then configure the target, then wait for the portal.
        Execution last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("tgtd exited at start: exit " + process.exitValue() + ": " + logTail());
            }
            last = adm("--mode", "target", "--op", "show");
            if (last.ok()) {
                break;
            }
            pause(50);
        }
        if (last == null || !last.ok()) {
            throw new IOException("tgtd did not answer on control port " + controlPort + ": " + (last == null ? "" : last.describe()));
        }
        check(adm("--lld", "iscsi", "--mode", "target", "--op", "new", "--tid", "1", "--targetname", iqn));
        check(adm("--lld", "iscsi", "--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "1",
                "--backing-store", backing.toString()));
        check(adm("--lld", "iscsi", "--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "ALL"));
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                pause(50);
            }
        }
        throw new IOException("tgtd portal 127.0.0.1:" + port + " did not open within " + READY.toSeconds() + " s");
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("tgtd.log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private Execution adm(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(TGTADM.toString());
        argv.add("-C");
        argv.add(String.valueOf(controlPort));
        argv.addAll(List.of(args));
        return CommandRunner.run(Command.of(argv), Duration.ofSeconds(10));
    }

    private static void check(Execution e) throws IOException {
        if (!e.ok()) {
            throw new IOException("tgtadm failed: " + e.command() + ": " + e.describe());
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeControlPort() {
        for (int i = 0; i < 100; i++) {
            int n = 1000 + ThreadLocalRandom.current().nextInt(31000); // tgtd accepts 0..32767
            if (!Files.exists(Path.of("/var/run/tgtd/socket." + n + ".lock"))) {
                return n;
            }
        }
        return 1000 + (int) (ProcessHandle.current().pid() % 31000);
    }

    /** Stops tgtd and deletes the backing file. */
    @Override
    public void close() {
        kill();
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down: the hook runs anyway
        }
        try {
            Files.deleteIfExists(backing);
            Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort));
            Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort + ".lock"));
        } catch (IOException ignored) {
            // best effort
        }
    }
}
