package org.tandemha.scsi;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI-3 persistent reservation driver for one logical unit, spoken at the CDB level (SPC-4 6.14, 6.15), plus
 * the block reads and writes the disk lease needs (READ(16), WRITE(16)).
 *
 * <p>Every command has a deadline. A UNIT ATTENTION (a reset, a preempted registration, changed parameters) is
 * reported by the target once per event, so the command is repeated a bounded number of times; the last reason is
 * kept ({@link #lastUnitAttention()}). A lost session is reopened once per command; a second failure is returned
 * as an error. Errors are {@link ScsiException}s whose {@link ScsiException.Kind} tells a reservation conflict (we are
 * fenced) from a dead target. Thread-safe: commands are serialized.
 */
public final class ScsiDevice implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScsiDevice.class);
    /** Bounded retries for UNIT ATTENTION, BUSY and TASK SET FULL. */
    static final int MAX_RETRIES = 4;
    /** A command aborted by another initiator's PREEMPT AND ABORT (or a task management function). */
    private static final int TASK_ABORTED = 0x40;
    private static final int READ_KEYS_ALLOC = 8 + 8 * 256;

    /**
     * READ KEYS: the registered keys.
     *
     * @param generation the PRgeneration counter
     * @param keys       registered reservation keys, one per registered I_T nexus
     * @param truncated  whether more keys exist than were read
     */
    public record Keys(int generation, List<Long> keys, boolean truncated) {
        /** Whether {@code key} is registered. */
        public boolean contains(long key) {
            return keys.contains(key);
        }
    }

    /**
     * READ RESERVATION: the current reservation, if any.
     *
     * @param generation the PRgeneration counter
     * @param held       whether a persistent reservation exists
     * @param key        the holder's key (0 for the all-registrants types)
     * @param type       the type, {@code null} if none
     * @param scope      the scope (0 = logical unit)
     */
    public record Reservation(int generation, boolean held, long key, ReservationType type, int scope) {
        @Override
        public String toString() {
            return held ? type.shortName() + " held by key " + hex(key) : "no reservation";
        }
    }

    /**
     * REPORT CAPABILITIES.
     *
     * @param compatibleReservationHandling CRH
     * @param specifyInitiatorPorts          SIP_C
     * @param allTargetPorts                 ATP_C
     * @param persistThroughPowerLoss        PTPL_C
     * @param typeMaskValid                  TMV
     * @param allowCommands                  ALLOW COMMANDS field
     * @param persistThroughPowerLossActive  PTPL_A
     * @param types                          the reservation types the unit supports (when TMV is set)
     */
    public record Capabilities(boolean compatibleReservationHandling, boolean specifyInitiatorPorts, boolean allTargetPorts,
                               boolean persistThroughPowerLoss, boolean typeMaskValid, int allowCommands,
                               boolean persistThroughPowerLossActive, List<ReservationType> types) {
    }

    private final String target;
    private final String shown;
    private final String initiatorName;
    private final Duration timeout;
    private ScsiTransport transport;
    private volatile String lastUnitAttention = "";
    private boolean preemptAndAbortSupported = true;

    private ScsiDevice(String target, String initiatorName, Duration timeout, ScsiTransport transport) {
        this.target = target;
        this.shown = LibIscsiTransport.redact(target);
        this.initiatorName = initiatorName;
        this.timeout = timeout;
        this.transport = transport;
    }

    /**
     * Opens a logical unit: an {@code iscsi://host:port/target-iqn/lun} URL (libiscsi) or a {@code /dev/sg*} or
     * {@code /dev/sd*} path (SG_IO).
     *
     * @param initiatorName this node's iSCSI initiator name (IQN), which the target uses to tell nodes apart
     * @param timeout       the deadline of each command and of connecting
     */
    public static ScsiDevice open(String target, String initiatorName, Duration timeout) throws ScsiException {
        return new ScsiDevice(target, initiatorName, timeout, ScsiTransport.open(target, initiatorName, timeout));
    }

    /** A device over a given transport (tests). */
    static ScsiDevice over(ScsiTransport transport, Duration timeout) {
        return new ScsiDevice(transport.target(), null, timeout, transport);
    }

    /** The URL or device path. */
    public String target() {
        return shown;
    }

    /** The reason of the last UNIT ATTENTION seen ("registrations preempted"), or empty. */
    public String lastUnitAttention() {
        return lastUnitAttention;
    }

    // ---- PERSISTENT RESERVE IN ----

    /** READ KEYS. */
    public synchronized Keys readKeys() throws ScsiException {
        ScsiTransport.Response r = run(Cdb.prIn(Cdb.READ_KEYS, READ_KEYS_ALLOC), ScsiTransport.Direction.IN, null, READ_KEYS_ALLOC);
        return Cdb.parseKeys(r.data(), r.dataLength());
    }

    /** READ RESERVATION. */
    public synchronized Reservation readReservation() throws ScsiException {
        ScsiTransport.Response r = run(Cdb.prIn(Cdb.READ_RESERVATION, 24), ScsiTransport.Direction.IN, null, 24);
        return Cdb.parseReservation(r.data(), r.dataLength());
    }

    /** REPORT CAPABILITIES. */
    public synchronized Capabilities reportCapabilities() throws ScsiException {
        ScsiTransport.Response r = run(Cdb.prIn(Cdb.REPORT_CAPABILITIES, 8), ScsiTransport.Direction.IN, null, 8);
        return Cdb.parseCapabilities(r.data(), r.dataLength());
    }

    // ---- PERSISTENT RESERVE OUT ----

    /** REGISTER: replaces {@code currentKey} (0 if not registered) by {@code newKey} (0 unregisters). */
    public synchronized void register(long currentKey, long newKey) throws ScsiException {
        prOut(Cdb.REGISTER, null, currentKey, newKey);
    }

    /** REGISTER AND IGNORE EXISTING KEY: registers {@code newKey} whatever was registered before (0 unregisters). */
    public synchronized void registerAndIgnoreExistingKey(long newKey) throws ScsiException {
        prOut(Cdb.REGISTER_AND_IGNORE_EXISTING_KEY, null, 0, newKey);
    }

    /**
     * REGISTER AND IGNORE EXISTING KEY with the APTPL bit (Activate Persist Through Power Loss, SPC-4 6.16.3): with
     * {@code aptpl}, the unit keeps every registration and the reservation across its own power loss or restart.
     * Only for a unit whose REPORT CAPABILITIES sets PTPL_C; others answer ILLEGAL REQUEST.
     */
    public synchronized void registerAndIgnoreExistingKey(long newKey, boolean aptpl) throws ScsiException {
        run(Cdb.prOut(Cdb.REGISTER_AND_IGNORE_EXISTING_KEY, null), ScsiTransport.Direction.OUT, Cdb.prOutParams(0, newKey, aptpl), 0);
    }

    /** RESERVE with our registered key. */
    public synchronized void reserve(long key, ReservationType type) throws ScsiException {
        prOut(Cdb.RESERVE, type, key, 0);
    }

    /** RELEASE the reservation we hold. */
    public synchronized void release(long key, ReservationType type) throws ScsiException {
        prOut(Cdb.RELEASE, type, key, 0);
    }

    /** CLEAR: removes every registration and the reservation. */
    public synchronized void clear(long key) throws ScsiException {
        prOut(Cdb.CLEAR, null, key, 0);
    }

    /** PREEMPT: removes the registrations of {@code victimKey} (and takes its reservation if it held it). */
    public synchronized void preempt(long key, long victimKey, ReservationType type) throws ScsiException {
        prOut(Cdb.PREEMPT, type, key, victimKey);
    }

    /** PREEMPT AND ABORT: as {@link #preempt}, and aborts the victim's outstanding commands. */
    public synchronized void preemptAndAbort(long key, long victimKey, ReservationType type) throws ScsiException {
        prOut(Cdb.PREEMPT_AND_ABORT, type, key, victimKey);
    }

    /**
     * PREEMPT AND ABORT, or PREEMPT where the target rejects PREEMPT AND ABORT as an ILLEGAL REQUEST (tgtd 1.0.x
     * does not implement it). The registration removal, which is what fences, is the same; only the abort of the
     * victim's queued commands is lost. Remembered per device.
     *
     * @return {@code true} if PREEMPT AND ABORT was used
     */
    public synchronized boolean preemptAndAbortOrPreempt(long key, long victimKey, ReservationType type) throws ScsiException {
        if (preemptAndAbortSupported) {
            try {
                prOut(Cdb.PREEMPT_AND_ABORT, type, key, victimKey);
                return true;
            } catch (ScsiException e) {
                if (e.kind() != ScsiException.Kind.ILLEGAL_REQUEST) {
                    throw e;
                }
                preemptAndAbortSupported = false;
                LOG.warn("{} does not support PREEMPT AND ABORT ({}); using PREEMPT, which removes the key the same way",
                        shown, e.getMessage());
            }
        }
        prOut(Cdb.PREEMPT, type, key, victimKey);
        return false;
    }

    private void prOut(int sa, ReservationType type, long key, long saKey) throws ScsiException {
        run(Cdb.prOut(sa, type), ScsiTransport.Direction.OUT, Cdb.prOutParams(key, saKey, false), 0);
    }

    // ---- blocks ----

    /** TEST UNIT READY. */
    public synchronized void testUnitReady() throws ScsiException {
        run(Cdb.testUnitReady(), ScsiTransport.Direction.NONE, null, 0);
    }

    /** READ CAPACITY(16): {@code [number of blocks, block length]}. */
    public synchronized long[] capacity() throws ScsiException {
        ScsiTransport.Response r = run(Cdb.readCapacity16(32), ScsiTransport.Direction.IN, null, 32);
        return Cdb.parseCapacity16(r.data(), r.dataLength());
    }

    /** READ(16) of {@code blocks} blocks. */
    public synchronized byte[] read(long lba, int blocks, int blockSize) throws ScsiException {
        int len = blocks * blockSize;
        ScsiTransport.Response r = run(Cdb.read16(lba, blocks), ScsiTransport.Direction.IN, null, len);
        if (r.dataLength() != len) {
            throw new ScsiException(ScsiException.Kind.BAD_RESPONSE, "READ(16) on " + shown + ": " + r.dataLength() + " of " + len + " bytes returned");
        }
        return r.data();
    }

    /** WRITE(16) of whole blocks. */
    public synchronized void write(long lba, byte[] data, int blockSize) throws ScsiException {
        if (data.length % blockSize != 0) {
            throw new IllegalArgumentException("write of " + data.length + " bytes is not a whole number of " + blockSize + "-byte blocks");
        }
        run(Cdb.write16(lba, data.length / blockSize), ScsiTransport.Direction.OUT, data, 0);
    }

    // ---- the command loop ----

    private ScsiTransport.Response run(byte[] cdb, ScsiTransport.Direction dir, byte[] out, int inLen) throws ScsiException {
        String op = opName(cdb);
        boolean reopened = false;
        String lastRetry = "";
        for (int attempt = 0; ; attempt++) {
            ScsiTransport.Response r;
            boolean opening = transport == null;
            try {
                if (opening) {
                    transport = ScsiTransport.open(target, initiatorName, timeout);
                }
                r = transport.execute(cdb, dir, out == null ? new byte[0] : out, inLen, timeout);
            } catch (ScsiException e) {
                if (transport != null) {
                    transport.close();
                    transport = null;
                }
                boolean retryable = e.kind() == ScsiException.Kind.TRANSPORT || e.kind() == ScsiException.Kind.TIMEOUT;
                if (retryable && !reopened && !opening) {
                    // One new session per command: a target restart or a dropped connection heals here.
                    reopened = true;
                    LOG.info("{} on {}: {}; reconnecting once", op, shown, e.getMessage());
                    continue;
                }
                throw new ScsiException(e.kind(), op + " on " + shown + ": " + e.getMessage(), e);
            }
            switch (r.status()) {
                case ScsiTransport.GOOD:
                    return r;
                case ScsiTransport.RESERVATION_CONFLICT:
                    throw new ScsiException(ScsiException.Kind.RESERVATION_CONFLICT, op + " on " + shown
                            + ": RESERVATION CONFLICT: this node is not registered or another node holds the reservation (fenced)");
                case ScsiTransport.CHECK_CONDITION: {
                    Sense s = Sense.parse(r.sense(), r.sense().length);
                    if (s == null) {
                        if (attempt < MAX_RETRIES) {
                            lastRetry = "CHECK CONDITION without sense data";
                            continue;
                        }
                        throw new ScsiException(ScsiException.Kind.CHECK_CONDITION, op + " on " + shown + ": CHECK CONDITION without sense data");
                    }
                    if (s.key() == Sense.UNIT_ATTENTION) {
                        lastUnitAttention = s.reason();
                        if (attempt < MAX_RETRIES) {
                            LOG.debug("{} on {}: UNIT ATTENTION ({}), retrying", op, shown, s.reason());
                            lastRetry = s.toString();
                            continue;
                        }
                    }
                    throw senseError(op, s);
                }
                case ScsiTransport.BUSY:
                case ScsiTransport.TASK_SET_FULL:
                case TASK_ABORTED:
                    if (attempt < MAX_RETRIES) {
                        lastRetry = r.status() == ScsiTransport.BUSY ? "BUSY" : r.status() == TASK_ABORTED ? "TASK ABORTED" : "TASK SET FULL";
                        sleepQuietly(20L << attempt);
                        continue;
                    }
                    throw new ScsiException(ScsiException.Kind.CHECK_CONDITION, op + " on " + shown + ": target still "
                            + lastRetry + " after " + (MAX_RETRIES + 1) + " tries");
                default:
                    throw new ScsiException(ScsiException.Kind.CHECK_CONDITION, op + " on " + shown
                            + String.format(Locale.ROOT, ": SCSI status %02Xh", r.status()));
            }
        }
    }

    private ScsiException senseError(String op, Sense s) {
        String where = op + " on " + shown + ": ";
        return switch (s.key()) {
            case Sense.UNIT_ATTENTION -> new ScsiException(ScsiException.Kind.UNIT_ATTENTION, where + "UNIT ATTENTION (" + s.reason()
                    + ") still reported after " + (MAX_RETRIES + 1) + " tries");
            case Sense.NOT_READY -> new ScsiException(ScsiException.Kind.NOT_READY, where + "NOT READY (" + s.reason()
                    + "): the logical unit is not ready; check the array");
            case Sense.ILLEGAL_REQUEST -> new ScsiException(ScsiException.Kind.ILLEGAL_REQUEST, where + "ILLEGAL REQUEST (" + s.reason()
                    + "): the target does not support this command or field");
            default -> new ScsiException(ScsiException.Kind.CHECK_CONDITION, where + s);
        };
    }

    static String opName(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        return switch (op) {
            case Cdb.PR_IN -> Cdb.prInName(cdb[1] & 0x1F);
            case Cdb.PR_OUT -> Cdb.prOutName(cdb[1] & 0x1F);
            case Cdb.READ_16 -> "READ(16)";
            case Cdb.WRITE_16 -> "WRITE(16)";
            case Cdb.SERVICE_ACTION_IN_16 -> "READ CAPACITY(16)";
            case 0 -> "TEST UNIT READY";
            default -> String.format(Locale.ROOT, "opcode %02Xh", op);
        };
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A key as sg_persist prints it ({@code 0x...}). */
    public static String hex(long key) {
        return "0x" + Long.toHexString(key);
    }

    /** Closes the session; never throws. */
    @Override
    public synchronized void close() {
        if (transport != null) {
            transport.close();
            transport = null;
        }
    }
}
