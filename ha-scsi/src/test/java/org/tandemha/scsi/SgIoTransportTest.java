package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tandemha.core.exec.Posix;

/**
 * SG_IO against a real SCSI device, where the machine has one ({@code /dev/sg*}); skips with a clear message
 * otherwise (containers and CI runners usually have none; the kernel iSCSI initiator is not available there).
 * Read-only: REPORT CAPABILITIES, READ KEYS, READ RESERVATION; nothing is registered.
 */
class SgIoTransportTest {
    @Test
    void aDeviceThatIsNotScsiGivesAClearError() {
        // /dev/null takes the ioctl path through JNA and refuses SG_IO: the error names the device and the errno
        Assumptions.assumeTrue(Files.isWritable(Path.of("/dev/null")), "/dev/null not writable here");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            try (ScsiDevice d = ScsiDevice.open("/dev/null", null, Duration.ofSeconds(2))) {
                d.readKeys();
            }
        }).isInstanceOfSatisfying(ScsiException.class, e -> {
            assertThat(e.kind()).isEqualTo(ScsiException.Kind.TRANSPORT);
            assertThat(e.getMessage()).contains("READ KEYS on /dev/null").contains("SG_IO on /dev/null failed (errno");
        });
    }

    @Test
    void readsReservationStateThroughSgIo() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "SG_IO needs root");
        List<Path> sg;
        try (Stream<Path> s = Files.list(Path.of("/dev"))) {
            sg = s.filter(p -> p.getFileName().toString().matches("sg\\d+")).sorted().toList();
        } catch (IOException e) {
            sg = List.of();
        }
        Assumptions.assumeFalse(sg.isEmpty(), "no SCSI generic device (ls /dev/sg*): SG_IO transport not tested on this machine");
        try (ScsiDevice d = ScsiDevice.open(sg.get(0).toString(), null, Duration.ofSeconds(5))) {
            try {
                ScsiDevice.Keys k = d.readKeys();
                assertThat(k.keys()).isNotNull();
                d.readReservation();
            } catch (ScsiException e) {
                // a device without persistent reservations (a CD-ROM, a virtual disk) answers ILLEGAL REQUEST: a clear error
                assertThat(e.kind()).isIn(ScsiException.Kind.ILLEGAL_REQUEST, ScsiException.Kind.NOT_READY, ScsiException.Kind.CHECK_CONDITION);
                assertThat(e.getMessage()).contains(sg.get(0).toString());
            }
        }
    }
}
