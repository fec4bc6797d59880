package org.tandemha.examples.sharedarray;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The labs' run directories: the newest few stay, older ones go unless their run is still going. */
class RunDirsTest {
    @Test
    void keepsTheNewestAndTheLiveOnes(@TempDir Path tmp) throws Exception {
        Instant now = Instant.now();
        for (int i = 1; i <= 6; i++) {
            Path d = Files.createDirectories(tmp.resolve(RunDirs.PREFIX + i));
            Files.writeString(d.resolve("node1.log"), "run " + i);
            age(d, now.minus(Duration.ofHours(10 - i)));
        }
        Path live = RunDirs.create(tmp, RunDirs.PREFIX + "live"); // this JVM's pid: still running
        age(live, now.minus(Duration.ofHours(20)));
        Path recent = Files.createDirectories(tmp.resolve(RunDirs.PREFIX + "recent")); // an older lab, just started
        Path other = Files.createDirectories(tmp.resolve("tandem-demo-1"));
        age(other, now.minus(Duration.ofHours(20)));

        // the newest three stay (the one just started among them)
        assertThat(RunDirs.prune(tmp, 3)).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder(
                RunDirs.PREFIX + "1", RunDirs.PREFIX + "2", RunDirs.PREFIX + "3", RunDirs.PREFIX + "4");
        assertThat(tmp.resolve(RunDirs.PREFIX + "5")).isDirectory();
        // keeping none: still not the live run's, nor the one just started
        assertThat(RunDirs.prune(tmp, 0)).extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrder(RunDirs.PREFIX + "5", RunDirs.PREFIX + "6");
        assertThat(live).isDirectory();
        assertThat(recent).isDirectory();
        assertThat(other).isDirectory();
    }

    private static void age(Path dir, Instant when) throws Exception {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.setLastModifiedTime(f, FileTime.from(when));
            }
        }
        Files.setLastModifiedTime(dir, FileTime.from(when));
    }
}
