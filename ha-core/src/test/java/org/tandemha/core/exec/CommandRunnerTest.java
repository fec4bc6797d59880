package org.tandemha.core.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandRunnerTest {
    @TempDir
    Path dir;

    private long readPid(Path f) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() - end < 0) {
            if (Files.exists(f) && !Files.readString(f).isBlank()) {
                return Long.parseLong(Files.readString(f).trim());
            }
            LockSupport.parkNanos(20_000_000L);
        }
        throw new AssertionError("no pid in " + f);
    }

    @Test
    void exitCodeAndOutput() {
        Execution e = CommandRunner.run(Command.of("/bin/sh", "-c", "echo one; echo two >&2; exit 3"), Duration.ofSeconds(10));
        assertThat(e.exitCode()).isEqualTo(3);
        assertThat(e.timedOut()).isFalse();
        assertThat(e.tail()).containsExactly("one", "two");
        assertThat(e.describe()).isEqualTo("exit 3: two");
    }

    @Test
    void aTimeoutKillsTheWholeTreeAndSaysHowLongItWasAllowed() throws Exception {
        Path pid = dir.resolve("child");
        Execution e = CommandRunner.run(Command.of("/bin/sh", "-c", "sleep 60 & echo $! > " + pid + "; wait"), Duration.ofMillis(1500));
        assertThat(e.timedOut()).isTrue();
        assertThat(e.duration()).isEqualTo(Duration.ofMillis(1500));
        assertThat(e.describe()).isEqualTo("timeout after 1.5 s");
        assertThat(ProcessTree.alive(readPid(pid))).isFalse();
    }

    @Test
    void childrenLeftBehindAreKilledUnlessKept() throws Exception {
        Path a = dir.resolve("a");
        Execution e = CommandRunner.run(Command.of("/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $! > " + a), Duration.ofSeconds(10));
        assertThat(e.ok()).isTrue();
        assertThat(ProcessTree.alive(readPid(a))).isFalse();

        Path b = dir.resolve("b");
        Execution kept = CommandRunner.run(Command.of("/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $! > " + b)
                .withLogFile(dir.resolve("log")), Duration.ofSeconds(10), true);
        assertThat(kept.ok()).isTrue();
        long daemon = readPid(b);
        try {
            assertThat(ProcessTree.alive(daemon)).isTrue();
        } finally {
            Posix.kill(daemon, Posix.SIGKILL);
        }
    }

    @Test
    void aMissingProgramIsNotFoundWithoutRunningAnything() {
        Execution e = CommandRunner.run(Command.of("/nonexistent/prog"), Duration.ofSeconds(5));
        assertThat(e.notFound()).isTrue();
        assertThat(e.describe()).contains("/nonexistent/prog").contains("not found");
        assertThat(CommandRunner.run(Command.of("tandem-no-such-program"), Duration.ofSeconds(5)).notFound()).isTrue();
        assertThat(CommandRunner.run(Command.of("/bin/sh", "-c", "tandem-no-such-program"), Duration.ofSeconds(5)).notFound()).isTrue();
        assertThat(CommandRunner.find("sh", null)).isPresent();
    }

    @Test
    void terminateGetsProcessesThatIgnoreSigterm() throws Exception {
        Path pid = dir.resolve("p");
        Process p = CommandRunner.start(Command.of("/bin/sh", "-c", "trap '' TERM; sleep 60 & echo $! > " + pid + "; wait")
                .withLogFile(dir.resolve("log")));
        long child = readPid(pid);
        Set<Long> left = ProcessTree.terminate(p.pid(), 300_000_000L, System.nanoTime() + 10_000_000_000L);
        assertThat(left).isEmpty();
        assertThat(ProcessTree.alive(child)).isFalse();
        assertThat(ProcessTree.alive(p.pid())).isFalse();
        assertThat(ProcessTree.terminate(p.pid(), 0, System.nanoTime() + 1_000_000_000L)).isEmpty();
    }

    @Test
    void procParsing() {
        long me = ProcessHandle.current().pid();
        assertThat(ProcessTree.alive(me)).isTrue();
        assertThat(ProcessTree.startTicks(me)).isPositive();
        assertThat(ProcessTree.bootId()).isNotEmpty();
        assertThat(ProcessTree.alive(Integer.MAX_VALUE)).isFalse();
        assertThat(ProcessTree.sessionMembers(1)).isEmpty();
        assertThat(CommandRunner.tail(dir.resolve("none"), 5)).isEqualTo(List.of());
    }
}
