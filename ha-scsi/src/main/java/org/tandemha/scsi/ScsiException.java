package org.tandemha.scsi;

/**
 * A SCSI command failed. {@link #kind()} says how, so that callers can tell a lost reservation from a dead target;
 * the message names the command, the target and what to do.
 */
public final class ScsiException extends Exception {
    private static final long serialVersionUID = 1L;

    /** How a command failed. */
    public enum Kind {
        /** Status RESERVATION CONFLICT: another node holds the reservation, or our key was removed (we are fenced). */
        RESERVATION_CONFLICT,
        /** CHECK CONDITION, sense key UNIT ATTENTION (still there after the bounded retries). */
        UNIT_ATTENTION,
        /** CHECK CONDITION, sense key NOT READY. */
        NOT_READY,
        /** CHECK CONDITION, sense key ILLEGAL REQUEST: the target does not support the command or a field. */
        ILLEGAL_REQUEST,
        /** Any other CHECK CONDITION or SCSI status (BUSY, TASK SET FULL, ...). */
        CHECK_CONDITION,
        /** The transport failed: connection refused or lost, login failed. */
        TRANSPORT,
        /** No answer before the deadline. */
        TIMEOUT,
        /** A library or device this transport needs is missing on this node. */
        NOT_INSTALLED,
        /** The target answered with data that does not parse. */
        BAD_RESPONSE
    }

    private final Kind kind;

    /** An error of the given kind; the message names the command, the target and the fix. */
    public ScsiException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** An error of the given kind with its cause. */
    public ScsiException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** How the command failed. */
    public Kind kind() {
        return kind;
    }
}
