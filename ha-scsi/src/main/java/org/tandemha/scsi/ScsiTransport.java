package org.tandemha.scsi;

import java.time.Duration;

/**
 * Carries one CDB to a logical unit and back. Two implementations: Linux SG_IO on {@code /dev/sg*} or
 * {@code /dev/sd*} (a real array through the kernel), and libiscsi, a user-space iSCSI initiator
 * ({@code iscsi://host:port/target-iqn/lun}) that needs no kernel initiator. Open one with {@link #open}.
 *
 * <p>Transports report what the target answered (status, sense, data) and throw only when nothing came back
 * (connection lost, timeout, missing library or device). One transport is used by one thread at a time.
 */
public interface ScsiTransport extends AutoCloseable {
    /** Data direction of a command. */
    enum Direction { NONE, IN, OUT }

    /** SCSI status GOOD. */
    int GOOD = 0x00;
    /** SCSI status CHECK CONDITION. */
    int CHECK_CONDITION = 0x02;
    /** SCSI status BUSY. */
    int BUSY = 0x08;
    /** SCSI status RESERVATION CONFLICT. */
    int RESERVATION_CONFLICT = 0x18;
    /** SCSI status TASK SET FULL. */
    int TASK_SET_FULL = 0x28;

    /**
     * What the target answered.
     *
     * @param status     the SCSI status byte
     * @param sense      sense data (empty if none)
     * @param data       data-in (empty for other directions)
     * @param dataLength bytes of data-in actually transferred
     */
    record Response(int status, byte[] sense, byte[] data, int dataLength) {
    }

    /** A short description for messages: the URL or device path. */
    String target();

    /**
     * Runs one command.
     *
     * @param cdb          the command descriptor block
     * @param direction    the data direction
     * @param dataOut      data to send for {@link Direction#OUT}, else ignored
     * @param dataInLength bytes to receive for {@link Direction#IN}
     * @param timeout      the deadline for this command
     * @throws ScsiException of kind TRANSPORT, TIMEOUT or NOT_INSTALLED when the target did not answer
     */
    Response execute(byte[] cdb, Direction direction, byte[] dataOut, int dataInLength, Duration timeout) throws ScsiException;

    /** Closes the session or device; never throws. */
    @Override
    void close();

    /**
     * Opens a transport: an {@code iscsi://} URL through libiscsi (with {@code initiatorName} as this node's IQN),
     * or a device path ({@code /dev/sg3}, {@code /dev/sdb}, {@code /dev/disk/by-id/...}) through SG_IO.
     *
     * @param connectTimeout bound on connecting and logging in
     * @throws ScsiException NOT_INSTALLED naming the missing package or device, TRANSPORT or TIMEOUT otherwise
     */
    static ScsiTransport open(String target, String initiatorName, Duration connectTimeout) throws ScsiException {
        if (target == null || target.isBlank()) {
            throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, "no SCSI target given: set 'device' to an iscsi:// URL or a /dev/sg* or /dev/sd* path");
        }
        if (target.startsWith("iscsi://")) {
            return LibIscsiTransport.connect(target, initiatorName, connectTimeout);
        }
        if (target.startsWith("/dev/")) {
            return SgIoTransport.open(target);
        }
        throw new ScsiException(ScsiException.Kind.NOT_INSTALLED, "'" + target
                + "' is neither an iscsi://host:port/target-iqn/lun URL nor a /dev/ device path; fix the 'device' parameter");
    }
}
