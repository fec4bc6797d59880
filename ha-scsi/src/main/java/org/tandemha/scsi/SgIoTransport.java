package org.tandemha.scsi;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * SCSI through the Linux SG_IO ioctl on {@code /dev/sg*} or {@code /dev/sd*} (sg(4), "SCSI generic v3"), for a
 * real array reached by the kernel's initiator. The kernel enforces the command timeout given in the header.
 */
final class SgIoTransport implements ScsiTransport {
    private static final int SG_IO = 0x2285;
    private static final int O_RDWR = 2;
    private static final int O_NONBLOCK = 0x800;
    private static final int SG_DXFER_NONE = -1;
    private static final int SG_DXFER_TO_DEV = -2;
    private static final int SG_DXFER_FROM_DEV = -3;
    private static final int HDR_SIZE = 88;
    private static final int SENSE_MAX = 64;

    interface LibC extends Library {
        int open(String path, int flags);

        int close(int fd);

        int ioctl(int fd, long request, Pointer arg);
    }

    private static LibC libc;

    private final String path;
    private int fd;

    private SgIoTransport(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    static SgIoTransport open(String path) throws ScsiException {
        if (!Files.exists(Path.of(path))) {
            throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, "SCSI device " + path
                    + " does not exist on this node: check the 'device' parameter (ls /dev/sg* /dev/disk/by-id/)");
        }
        synchronized (SgIoTransport.class) {
            if (libc == null) {
                try {
                    libc = Native.load("c", LibC.class);
                } catch (UnsatisfiedLinkError e) {
                    throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, "libc cannot be loaded through JNA: " + e.getMessage(), e);
                }
            }
        }
        int fd = libc.open(path, O_RDWR | O_NONBLOCK);
        if (fd < 0) {
            throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, "cannot open SCSI device " + path + " (errno "
                    + Native.getLastError() + "): SG_IO needs root (or CAP_SYS_RAWIO) and a SCSI disk or sg node");
        }
        return new SgIoTransport(path, fd);
    }

    @Override
    public String target() {
        return path;
    }

    @Override
    public Response execute(byte[] cdb, Direction direction, byte[] dataOut, int dataInLength, Duration timeout) throws ScsiException {
        if (fd < 0) {
            throw new ScsiException(ScsiException.Kind.TRANSPORT, "device " + path + " is closed");
        }
        int len = direction == Direction.IN ? dataInLength : direction == Direction.OUT ? dataOut.length : 0;
        try (Memory hdr = new Memory(HDR_SIZE); Memory c = new Memory(cdb.length); Memory sb = new Memory(SENSE_MAX);
             Memory buf = new Memory(Math.max(1, len))) {
            hdr.clear();
            sb.clear();
            c.write(0, cdb, 0, cdb.length);
            if (direction == Direction.OUT && len > 0) {
                buf.write(0, dataOut, 0, len);
            }
            hdr.setInt(0, 'S');
            hdr.setInt(4, direction == Direction.IN ? SG_DXFER_FROM_DEV : direction == Direction.OUT ? SG_DXFER_TO_DEV : SG_DXFER_NONE);
            hdr.setByte(8, (byte) cdb.length);
            hdr.setByte(9, (byte) SENSE_MAX);
            hdr.setInt(12, len);
            hdr.setPointer(16, len > 0 ? buf : null);
            hdr.setPointer(24, c);
            hdr.setPointer(32, sb);
            hdr.setInt(40, (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
            if (libc.ioctl(fd, SG_IO, hdr) < 0) {
                throw new ScsiException(ScsiException.Kind.TRANSPORT, "SG_IO on " + path + " failed (errno " + Native.getLastError() + ")");
            }
            int status = hdr.getByte(64) & 0xFF;
            int senseLen = hdr.getByte(67) & 0xFF;
            int host = hdr.getShort(68) & 0xFFFF;
            int driver = hdr.getShort(70) & 0xFFFF;
            int resid = hdr.getInt(72);
            if (host != 0 && status == 0) {
                // DID_TIME_OUT is 3; others are transport failures (no connect, bus busy, reset)
                throw new ScsiException(host == 3 ? ScsiException.Kind.TIMEOUT : ScsiException.Kind.TRANSPORT,
                        "SG_IO on " + path + ": host status " + host + ", driver status " + driver);
            }
            byte[] sense = sb.getByteArray(0, Math.min(senseLen, SENSE_MAX));
            byte[] data = new byte[Math.max(0, dataInLength)];
            int got = 0;
            if (direction == Direction.IN) {
                got = Math.max(0, Math.min(len, len - resid));
                buf.read(0, data, 0, got);
            }
            return new Response(status, sense, data, got);
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            libc.close(fd);
            fd = -1;
        }
    }
}
