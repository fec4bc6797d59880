package org.tandemha.scsi;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SCSI over libiscsi (libiscsi.so.7), a user-space iSCSI initiator: no kernel initiator, no /dev node.
 *
 * <p>Why the asynchronous API and our own poll loop: libiscsi's {@code *_sync} calls poll without a bound when the
 * target stops answering (a stopped tgtd keeps the TCP connection open), and tearing a context down under a
 * pending sync call lets libiscsi call back into a stack frame that is gone. Here every connect and command runs
 * the event loop on the caller's thread with our deadline; when it passes, the context is destroyed (libiscsi
 * then cancels the task through our long-lived callback) and the transport is dead: the caller opens a new one.
 * Auto-reconnect is off, so a lost connection fails the command at once instead of looping inside libiscsi.
 */
final class LibIscsiTransport implements ScsiTransport {
    /** iscsi://[user[%password]@]host[:port]/target-iqn/lun, as libiscsi writes it. */
    private static final Pattern URL = Pattern.compile("iscsi://(?:([^@/%]*)(?:%([^@/]*))?@)?([^/@]+)/([^/]+)/(\\d+)/?");
    private static final int SESSION_NORMAL = 2;
    private static final int HEADER_DIGEST_NONE = 0;
    private static final int XFER_NONE = 0;
    private static final int XFER_READ = 1;
    private static final int XFER_WRITE = 2;
    /** libiscsi's pseudo-statuses for a task that never got a SCSI status. */
    private static final int STATUS_CANCELLED = 0x0f000000;
    private static final int STATUS_ERROR = 0x0f000001;
    private static final int STATUS_TIMEOUT = 0x0f000002;
    private static final short POLLIN = 0x1;
    private static final short POLLOUT = 0x4;

    /** The libiscsi functions used, as exported by libiscsi.so.7 (see iscsi.h and scsi-lowlevel.h). */
    interface Lib extends Library {
        Pointer iscsi_create_context(String initiatorName);

        int iscsi_destroy_context(Pointer iscsi);

        int iscsi_set_targetname(Pointer iscsi, String targetName);

        int iscsi_set_session_type(Pointer iscsi, int type);

        int iscsi_set_header_digest(Pointer iscsi, int digest);

        int iscsi_set_initiator_username_pwd(Pointer iscsi, String user, String password);

        void iscsi_set_noautoreconnect(Pointer iscsi, int state);

        int iscsi_set_timeout(Pointer iscsi, int seconds);

        int iscsi_full_connect_async(Pointer iscsi, String portal, int lun, CommandCallback cb, Pointer priv);

        int iscsi_get_fd(Pointer iscsi);

        int iscsi_which_events(Pointer iscsi);

        int iscsi_service(Pointer iscsi, int revents);

        String iscsi_get_error(Pointer iscsi);

        Pointer scsi_create_task(int cdbSize, byte[] cdb, int xferDir, int expXferLen);

        void scsi_free_scsi_task(Pointer task);

        int iscsi_scsi_command_async(Pointer iscsi, int lun, Pointer task, CommandCallback cb, Pointer data, Pointer priv);
    }

    interface LibC extends Library {
        int poll(Pointer fds, int nfds, int timeoutMillis);
    }

    /** libiscsi's {@code iscsi_command_cb}. */
    public interface CommandCallback extends Callback {
        void invoke(Pointer iscsi, int status, Pointer commandData, Pointer privateData);
    }

    private static volatile Lib lib;
    private static volatile LibC libc;

    /** Loads libiscsi.so.7 once; a clear NOT_INSTALLED error when it is missing. */
    static Lib library() throws ScsiException {
        Lib l = lib;
        if (l != null) {
            return l;
        }
        synchronized (LibIscsiTransport.class) {
            if (lib == null) {
                lib = load("libiscsi.so.7");
            }
            return lib;
        }
    }

    /** Loads a libiscsi by file name; NOT_INSTALLED naming the package when it is missing. */
    static Lib load(String name) throws ScsiException {
        try {
            if (libc == null) {
                libc = Native.load("c", LibC.class);
            }
            return Native.load(name, Lib.class);
        } catch (UnsatisfiedLinkError e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, name + " cannot be loaded (" + why
                    + "): install the libiscsi7 package (apt-get install libiscsi7)", e);
        }
    }

    private final String url;
    private final int lun;
    private final Lib l;
    private Pointer ctx;
    // Set by the callback, read by the loop on the same thread (libiscsi calls back from iscsi_service).
    private boolean finished;
    private int cbStatus;
    private Pointer cbData;
    private final CommandCallback callback = (iscsi, status, commandData, priv) -> {
        finished = true;
        cbStatus = status;
        cbData = commandData;
    };
    private final Memory pollfd = new Memory(8);

    private LibIscsiTransport(String url, int lun, Lib l, Pointer ctx) {
        this.url = redact(url);
        this.lun = lun;
        this.l = l;
        this.ctx = ctx;
    }

    static LibIscsiTransport connect(String url, String initiatorName, Duration timeout) throws ScsiException {
        String shown = redact(url);
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, "'" + redact(url)
                    + "' is not an iSCSI URL: write it as iscsi://host:port/iqn.2001-04.com.example:target/1");
        }
        String user = m.group(1);
        String password = m.group(2);
        String portal = m.group(3);
        String target = m.group(4);
        int lun = Integer.parseInt(m.group(5));
        Lib l = library();
        String iqn = initiatorName == null || initiatorName.isBlank() ? "iqn.2026-11.org.tandemha:initiator" : initiatorName;
        Pointer ctx = l.iscsi_create_context(iqn);
        if (ctx == null) {
            throw new ScsiException(ScsiException.Kind.TRANSPORT, "libiscsi could not create a context for initiator " + iqn);
        }
        LibIscsiTransport t = new LibIscsiTransport(url, lun, l, ctx);
        try {
            l.iscsi_set_targetname(ctx, target);
            if (user != null && !user.isEmpty()) {
                l.iscsi_set_initiator_username_pwd(ctx, user, password == null ? "" : password); // CHAP
            }
            l.iscsi_set_session_type(ctx, SESSION_NORMAL);
            l.iscsi_set_header_digest(ctx, HEADER_DIGEST_NONE);
            l.iscsi_set_noautoreconnect(ctx, 1);
            l.iscsi_set_timeout(ctx, (int) Math.max(1, (timeout.toMillis() + 999) / 1000));
            t.finished = false;
            if (l.iscsi_full_connect_async(ctx, portal, lun, t.callback, null) != 0) {
                throw new ScsiException(ScsiException.Kind.TRANSPORT, "cannot connect to " + shown + ": " + t.error()
                        + "; check that the target runs and the portal " + portal + " is reachable");
            }
            t.loop(System.nanoTime() + timeout.toNanos(), "cannot connect to " + shown);
            if (t.cbStatus == STATUS_TIMEOUT || t.error().contains("timed out")) {
                throw new ScsiException(ScsiException.Kind.TIMEOUT, "cannot log in to " + shown + ": no answer within the deadline ("
                        + t.error() + "); the target accepts connections but does not answer");
            }
            if (t.cbStatus != 0) {
                String err = t.error();
                throw new ScsiException(ScsiException.Kind.TRANSPORT, "cannot log in to " + shown + " as " + iqn + ": " + err
                        + "; check that the target " + target + " exists, has LUN " + lun + " and accepts this initiator");
            }
            return t;
        } catch (ScsiException e) {
            t.close();
            throw e;
        }
    }

    @Override
    public String target() {
        return url;
    }

    /** The URL without a CHAP password, for messages. */
    static String redact(String url) {
        return url.replaceFirst("^(iscsi://[^@/%]*)%[^@/]*@", "$1%***@");
    }

    /** Runs libiscsi's event loop until the callback fires or the deadline passes. */
    private void loop(long deadline, String what) throws ScsiException {
        while (!finished) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                close();
                throw new ScsiException(ScsiException.Kind.TIMEOUT, what + ": no answer within the deadline; the session was dropped");
            }
            int fd = l.iscsi_get_fd(ctx);
            int events = l.iscsi_which_events(ctx);
            pollfd.setInt(0, fd);
            pollfd.setShort(4, (short) (events & (POLLIN | POLLOUT)));
            pollfd.setShort(6, (short) 0);
            int n = libc.poll(pollfd, 1, (int) Math.max(1, Math.min(200, left / 1_000_000)));
            if (n < 0) {
                continue; // EINTR
            }
            int revents = n == 0 ? 0 : pollfd.getShort(6);
            if (l.iscsi_service(ctx, revents) < 0) {
                String err = error();
                close();
                throw new ScsiException(ScsiException.Kind.TRANSPORT, what + ": connection refused or lost (" + err
                        + "); check that the target runs and its portal is reachable");
            }
        }
    }

    @Override
    public Response execute(byte[] cdb, Direction direction, byte[] dataOut, int dataInLength, Duration timeout) throws ScsiException {
        if (ctx == null) {
            throw new ScsiException(ScsiException.Kind.TRANSPORT, "session to " + url + " is closed");
        }
        int dir = switch (direction) {
            case NONE -> XFER_NONE;
            case IN -> XFER_READ;
            case OUT -> XFER_WRITE;
        };
        int xferLen = direction == Direction.IN ? dataInLength : direction == Direction.OUT ? dataOut.length : 0;
        Pointer task = l.scsi_create_task(cdb.length, cdb, dir, xferLen);
        if (task == null) {
            throw new ScsiException(ScsiException.Kind.TRANSPORT, "libiscsi could not allocate a task");
        }
        Memory out = null;
        Memory iov = null;
        try {
            if (direction == Direction.OUT && dataOut.length > 0) {
                out = new Memory(dataOut.length);
                out.write(0, dataOut, 0, dataOut.length);
                iov = new Memory(16); // struct iscsi_data { size_t size; unsigned char *data; }
                iov.setLong(0, dataOut.length);
                iov.setPointer(8, out);
            }
            finished = false;
            cbData = null;
            String what = opName(cdb) + " on " + url;
            if (l.iscsi_scsi_command_async(ctx, lun, task, callback, iov, null) != 0) {
                String err = error();
                close();
                throw new ScsiException(ScsiException.Kind.TRANSPORT, what + ": cannot send (" + err + ")");
            }
            loop(System.nanoTime() + timeout.toNanos(), what);
            int status = task.getInt(0);
            switch (status) {
                case STATUS_CANCELLED, STATUS_ERROR -> {
                    String err = error();
                    close();
                    throw new ScsiException(ScsiException.Kind.TRANSPORT, what + ": failed in transport (" + err + ")");
                }
                case STATUS_TIMEOUT -> {
                    close();
                    throw new ScsiException(ScsiException.Kind.TIMEOUT, what + ": timed out in libiscsi");
                }
                default -> {
                    // a SCSI status
                }
            }
            byte[] sense = new byte[0];
            if (status == CHECK_CONDITION) {
                int key = task.getInt(52);
                int ascq = task.getInt(56);
                sense = Sense.fixed(key, (ascq >> 8) & 0xFF, ascq & 0xFF);
            }
            byte[] data = new byte[Math.max(0, dataInLength)];
            int got = 0;
            if (direction == Direction.IN) {
                int size = task.getInt(64);
                Pointer p = task.getPointer(72);
                got = p == null ? 0 : Math.max(0, Math.min(size, data.length));
                if (got > 0) {
                    p.read(0, data, 0, got);
                }
            }
            return new Response(status & 0xFF, sense, data, got);
        } finally {
            // After close() libiscsi has cancelled the task, so it is ours to free in every case.
            l.scsi_free_scsi_task(task);
            if (out != null) {
                out.close();
            }
            if (iov != null) {
                iov.close();
            }
        }
    }

    private static String opName(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        return switch (op) {
            case Cdb.PR_IN -> "PERSISTENT RESERVE IN/" + Cdb.prInName(cdb[1] & 0x1F);
            case Cdb.PR_OUT -> "PERSISTENT RESERVE OUT/" + Cdb.prOutName(cdb[1] & 0x1F);
            case Cdb.READ_16 -> "READ(16)";
            case Cdb.WRITE_16 -> "WRITE(16)";
            case 0 -> "TEST UNIT READY";
            default -> String.format(Locale.ROOT, "opcode %02Xh", op);
        };
    }

    private String error() {
        String e = ctx == null ? null : l.iscsi_get_error(ctx);
        return e == null ? "no detail" : e.strip();
    }

    @Override
    public void close() {
        Pointer c = ctx;
        ctx = null;
        if (c != null) {
            l.iscsi_destroy_context(c);
        }
    }
}
