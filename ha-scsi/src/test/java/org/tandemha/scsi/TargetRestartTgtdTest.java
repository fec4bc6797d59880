package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.core.exec.Posix;

/**
 * A target that dies, restarts or stops answering mid-run: every call returns within its bound with an error that
 * says what happened; nothing hangs. (The preemptive timeouts below are hang guards, not speed targets.)
 */
class TargetRestartTgtdTest {
    private static final Duration T = Duration.ofSeconds(2);
    private static final Duration HANG_GUARD = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    TgtdTarget tgt;

    @BeforeEach
    void start() throws Exception {
        TgtdTarget.assumeAvailable();
        tgt = TgtdTarget.start(dir.resolve("tgt"), 8L << 20);
    }

    @AfterEach
    void stop() {
        if (tgt != null) {
            if (tgt.pid() > 0) {
                Posix.kill(tgt.pid(), Posix.SIGCONT);
            }
            tgt.close();
        }
    }

    @Test
    void deadTargetGivesClearBoundedErrorsAndRestartHeals() throws Exception {
        try (SharedLock lock = SharedLock.create(tgt.url(), "restart", "n1", T, tgt.initiator("restart-1"))) {
            lock.acquire();
            assertThat(lock.holds()).isTrue();
            tgt.kill();
            assertTimeoutPreemptively(HANG_GUARD, () -> {
                assertThatThrownBy(() -> lock.scsi().readKeys())
                        .isInstanceOfSatisfying(ScsiException.class, e -> {
                            assertThat(e.kind()).isIn(ScsiException.Kind.TRANSPORT, ScsiException.Kind.TIMEOUT);
                            assertThat(e.getMessage()).contains("READ KEYS").contains(tgt.url());
                        });
                // the periodic check counts an unreachable target, it does not call it fencing
                assertThat(lock.check()).isTrue();
                assertThat(lock.fenced()).isFalse();
                assertThat(lock.checkFailures()).isGreaterThanOrEqualTo(1);
            });
            tgt.launch();
            assertTimeoutPreemptively(HANG_GUARD, () -> {
                // a new session is opened by itself; tgtd kept no reservation state (no APTPL): the unit is empty,
                // which is not a preempt, so the holder registers and reserves again (ArrayRestartTgtdTest)
                assertThat(lock.scsi().readKeys().keys()).isEmpty();
                assertThat(lock.check()).isTrue();
                assertThat(lock.fenced()).isFalse();
                assertThat(lock.reestablishments()).isEqualTo(1);
            });
            assertThat(lock.holds()).isTrue();
        }
    }

    @Test
    void stoppedTargetTimesOutInsteadOfHanging() throws Exception {
        try (ScsiDevice d = ScsiDevice.open(tgt.url(), tgt.initiator("stop-1"), T)) {
            d.registerAndIgnoreExistingKey(0x51);
            assertThat(Posix.kill(tgt.pid(), Posix.SIGSTOP)).isTrue();
            try {
                assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(d::readReservation)
                        .isInstanceOfSatisfying(ScsiException.class, e -> {
                            assertThat(e.kind()).as(e.getMessage()).isEqualTo(ScsiException.Kind.TIMEOUT);
                            assertThat(e.getMessage()).contains("READ RESERVATION").contains("no answer");
                        }));
            } finally {
                Posix.kill(tgt.pid(), Posix.SIGCONT);
            }
            // the target answers again: a new session works
            assertTimeoutPreemptively(HANG_GUARD, () -> assertThat(d.readKeys().keys()).contains(0x51L));
        }
    }

    @Test
    void arbiterAnswersUnknownWithinItsTimeoutWhenTheTargetHangs() throws Exception {
        String name = "hang-" + ProcessHandle.current().pid();
        org.tandemha.api.ClusterConfig cluster = new org.tandemha.api.ClusterConfig(name, "n1", new byte[32], java.util.List.of(
                new org.tandemha.api.ClusterConfig.Node("n1", java.util.Map.of()), new org.tandemha.api.ClusterConfig.Node("n2", java.util.Map.of())),
                java.util.List.of());
        org.tandemha.api.Arbiter arbiter = new ScsiArbiterFactory().create(org.tandemha.api.PluginConfig.of("san", "scsi",
                java.util.Map.of("device", tgt.url(), "timeout", "2s")), cluster, new TestContext(name, "n1"));
        SharedLock lock = SharedLock.shared(tgt.url(), name, "n1", T);
        lock.register();
        assertThat(Posix.kill(tgt.pid(), Posix.SIGSTOP)).isTrue();
        try {
            assertTimeoutPreemptively(HANG_GUARD, () -> {
                org.tandemha.api.Verdict v = arbiter.ask("n2", 1, Duration.ofMillis(500));
                assertThat(v.answer()).isEqualTo(org.tandemha.api.Verdict.Answer.UNKNOWN);
                assertThat(v.reason()).contains("no answer");
            });
        } finally {
            Posix.kill(tgt.pid(), Posix.SIGCONT);
            lock.close();
        }
    }

    @Test
    void missingTargetOrLibraryOrDeviceSaySoClearly() {
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            assertThatThrownBy(() -> ScsiDevice.open("iscsi://127.0.0.1:" + tgt.port() + "/iqn.2026-11.org.tandemha:nosuch/1",
                    tgt.initiator("x"), T))
                    .isInstanceOfSatisfying(ScsiException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ScsiException.Kind.TRANSPORT);
                        assertThat(e.getMessage()).contains("nosuch");
                    });
            tgt.kill();
            assertThatThrownBy(() -> ScsiDevice.open(tgt.url(), tgt.initiator("x"), T))
                    .isInstanceOfSatisfying(ScsiException.class, e -> assertThat(e.getMessage()).contains("cannot connect"));
        });
        assertThatThrownBy(() -> ScsiDevice.open("/dev/sg-does-not-exist", "x", T))
                .isInstanceOfSatisfying(ScsiException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ScsiException.Kind.NOT_INSTALLED);
                    assertThat(e.getMessage()).contains("/dev/sg-does-not-exist").contains("does not exist");
                });
        assertThatThrownBy(() -> ScsiDevice.open("nfs://x", "x", T))
                .isInstanceOfSatisfying(ScsiException.class, e -> assertThat(e.getMessage()).contains("iscsi://"));
    }
}
