package org.tandemha.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.ResourceType;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * The volume resource for real: an ext4 filesystem on a loop device, guarded by a reservation on a tgtd LUN.
 * Needs root (skips otherwise); the loop device is always detached.
 */
class VolumeTest {
    @TempDir
    Path dir;
    TgtdTarget tgt;
    String loop;

    @BeforeEach
    void setUp() throws Exception {
        TgtdTarget.assumeAvailable();
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/losetup")) && Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")),
                "losetup and mkfs.ext4 needed (util-linux, e2fsprogs)");
        tgt = TgtdTarget.start(dir.resolve("tgt"), 8L << 20);
        Path img = dir.resolve("fs.img");
        Execution t = CommandRunner.run(Command.of("truncate", "-s", "32M", img.toString()), Duration.ofSeconds(10));
        assertThat(t.ok()).as(t.describe()).isTrue();
        Execution l = CommandRunner.run(Command.of("losetup", "-f", "--show", img.toString()), Duration.ofSeconds(10));
        Assumptions.assumeTrue(l.ok() && !l.tail().isEmpty(), "no loop device available: " + l.describe());
        loop = l.tail().get(l.tail().size() - 1).trim();
        Execution m = CommandRunner.run(Command.of("mkfs.ext4", "-q", "-F", loop), Duration.ofSeconds(60));
        assertThat(m.ok()).as(m.describe()).isTrue();
    }

    @AfterEach
    void tearDown() {
        Path mp = dir.resolve("mnt");
        CommandRunner.run(Command.of("umount", "-l", mp.toString()), Duration.ofSeconds(10));
        if (loop != null) {
            CommandRunner.run(Command.of("losetup", "-d", loop), Duration.ofSeconds(10));
        }
        if (tgt != null) {
            tgt.close();
        }
    }

    private ResourceParts volume(TestContext ctx, Path mp) throws InvalidConfigException {
        ResourceType type = ServiceLoader.load(ResourceType.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.name().equals("volume")).findFirst().orElseThrow();
        return type.create(PluginConfig.of("data", "volume", Map.of("device", loop, "mountpoint", mp.toString(),
                "reservation", tgt.url(), "stopGrace", "1s", "checkInterval", "200ms")), ctx);
    }

    private static ActionContext ctx(String node) {
        return ActionContext.of(node, "g", "data", Duration.ofSeconds(60));
    }

    @Test
    void startMountsUnderTheReservationChecksPassAndStopReleases() throws Exception {
        Path mp = dir.resolve("mnt");
        TestContext node = new TestContext("vol-" + ProcessHandle.current().pid(), "n1");
        ResourceParts parts = volume(node, mp);
        SharedLock lock = SharedLock.shared(tgt.url(), node.clusterName(), "n1", Duration.ofSeconds(5));

        // the engine's clean-up stop at start-up: nothing mounted, nothing held, no I/O
        ActionResult cleanup = parts.resource().stop(ctx("n1"));
        assertThat(cleanup.isDone()).as(cleanup.toString()).isTrue();
        assertThat(cleanup.reason()).contains("not mounted");
        assertThat(parts.checker().quickCheck(ctx("n1")).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);

        ActionResult started = parts.resource().start(ctx("n1"));
        assertThat(started.isDone()).as(started.toString()).isTrue();
        assertThat(Volume.mountedDevice(mp)).isNotNull();
        assertThat(lock.holds()).isTrue();
        assertThat(parts.resource().start(ctx("n1")).reason()).contains("already mounted");

        CheckResult quick = parts.checker().quickCheck(ctx("n1"));
        assertThat(quick.health()).as(quick.toString()).isEqualTo(CheckResult.Health.OK);
        CheckResult deep = parts.checker().deepCheck(ctx("n1"));
        assertThat(deep.health()).as(deep.toString()).isEqualTo(CheckResult.Health.OK);
        assertThat(Files.readString(mp.resolve(".tandem-check"))).startsWith("n1 ");

        ActionResult stopped = parts.resource().stop(ctx("n1"));
        assertThat(stopped.isDone()).as(stopped.toString()).isTrue();
        assertThat(Volume.mountedDevice(mp)).isNull();
        assertThat(lock.scsi().readReservation().held()).isFalse();
        assertThat(parts.resource().stop(ctx("n1")).isDone()).isTrue();
        lock.close();
    }

    @Test
    void stopKillsBusyUsersAfterTheGraceTime() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "needs root");
        Path mp = dir.resolve("mnt");
        TestContext node = new TestContext("volbusy-" + ProcessHandle.current().pid(), "n1");
        ResourceParts parts = volume(node, mp);
        assertThat(parts.resource().start(ctx("n1")).isDone()).isTrue();
        Files.writeString(mp.resolve("held"), "x");
        // a user that keeps the mount busy: its working directory is on it, and it holds a file open
        Process busy = CommandRunner.start(Command.of("sh", "-c", "exec 3<held; sleep 600").withDirectory(mp));
        try {
            DiskLeaseTest.await(() -> Volume.usersOf(mp).contains(busy.pid()), "busy process seen as a user of the mount");
            ActionResult stopped = parts.resource().stop(ctx("n1"));
            assertThat(stopped.isDone()).as(stopped.toString()).isTrue();
            assertThat(stopped.reason()).contains("unmounted");
            assertThat(Volume.mountedDevice(mp)).isNull();
            assertThat(busy.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            CommandRunner.killTree(busy.pid());
        }
        SharedLock.shared(tgt.url(), node.clusterName(), "n1", Duration.ofSeconds(5)).close();
    }

    @Test
    void aPeerPreemptingTheVolumesReservationFencesThisNode() throws Exception {
        Path mp = dir.resolve("mnt");
        TestContext n1 = new TestContext("volfence-" + ProcessHandle.current().pid(), "n1");
        ResourceParts parts = volume(n1, mp);
        assertThat(parts.resource().start(ctx("n1")).isDone()).isTrue();
        try (SharedLock peer = SharedLock.create(tgt.url(), n1.clusterName(), "n2", Duration.ofSeconds(5), tgt.initiator("volfence-n2"))) {
            assertThat(peer.preemptPeer("n1")).isEqualTo(SharedLock.Preempt.WON);
            DiskLeaseTest.await(() -> !n1.fenced.isEmpty(), "n1's engine told it is fenced");
            assertThat(n1.fenced.get(0)).contains("SCSI reservation lost");
            CheckResult q = parts.checker().quickCheck(ctx("n1"));
            assertThat(q.health()).isEqualTo(CheckResult.Health.FAILED);
            // stop still unmounts; the release is a no-op (not ours any more)
            assertThat(parts.resource().stop(ctx("n1")).isDone()).isTrue();
        }
        SharedLock.shared(tgt.url(), n1.clusterName(), "n1", Duration.ofSeconds(5)).close();
    }

    @Test
    void badConfigurationIsRejectedWithEveryProblem() {
        TestContext node = new TestContext("c", "n1");
        assertThatThrownBy(() -> new VolumeType().create(PluginConfig.of("v", "volume", Map.of("device", "sdb", "mountpoint", "srv",
                "reservation", "nfs://x", "fsckTimeout", "5")), node))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not an absolute device path")
                .hasMessageContaining("not an absolute path")
                .hasMessageContaining("neither an iSCSI URL")
                .hasMessageContaining("fsckTimeout");
        assertThatThrownBy(() -> new VolumeType().create(PluginConfig.of("v", "volume", Map.of("device", "/dev/x", "mountpoint", "/srv")), node))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("no reservation to guard it");
    }
}
