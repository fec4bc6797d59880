/**
 * Shared storage for Tandem: SCSI-3 persistent reservations (SPC-4) spoken at the CDB level over libiscsi or
 * SG_IO ({@link org.tandemha.scsi.ScsiDevice}), the node's hold on a shared LUN
 * ({@link org.tandemha.scsi.SharedLock}), the {@code volume} resource, the {@code scsi} and {@code disk-lease}
 * arbiters, the {@code scsi-preempt} fencer, and the {@code disk} heartbeat path ({@link org.tandemha.scsi.DiskLease}).
 */
package org.tandemha.scsi;
