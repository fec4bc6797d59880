package org.tandemha.examples.sharedarray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The run directories of the shared-array and replicated labs ({@code /tmp/tandem-sa*}): kept after a run for their
 * logs, the oldest pruned at the start of the next run so that only the last few stay. A directory is left alone
 * while its run may still be going (its {@code run.pid} names a live process, or something in it changed in the last
 * ten minutes) or while something is mounted below it.
 */
final class RunDirs {
    static final String PREFIX = "tandem-sa";
    private static final String PID_FILE = "run.pid";
    private static final Duration RECENT = Duration.ofMinutes(10);

    private RunDirs() {
    }

    /** Creates {@code parent/name}, with this JVM's pid in {@code run.pid}. */
    static Path create(Path parent, String name) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(name));
        Files.writeString(dir.resolve(PID_FILE), ProcessHandle.current().pid() + "\n");
        return dir;
    }

    /**
     * Deletes the run directories below {@code parent} but the {@code keep} newest and those still in use; returns
     * the ones deleted. Best effort: what cannot be read or deleted stays.
     */
    static List<Path> prune(Path parent, int keep) {
        List<Path> deleted = new ArrayList<>();
        List<Path> runs;
        try (Stream<Path> s = Files.list(parent)) {
            runs = s.filter(p -> p.getFileName().toString().startsWith(PREFIX))
                    .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted(Comparator.comparing(RunDirs::lastChange).reversed()).toList();
        } catch (IOException | RuntimeException e) {
            return deleted;
        }
        List<String> mounts = mountPoints();
        Instant recent = Instant.now().minus(RECENT);
        for (Path run : runs.subList(Math.min(keep, runs.size()), runs.size())) {
            if (running(run) || lastChange(run).toInstant().isAfter(recent)
                    || mounts.stream().anyMatch(m -> m.startsWith(run.toString() + "/"))) {
                continue;
            }
            try (Stream<Path> tree = Files.walk(run)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
                deleted.add(run);
            } catch (IOException | RuntimeException e) {
                // best effort: the rest goes next time
            }
        }
        return deleted;
    }

    private static boolean running(Path run) {
        try {
            long pid = Long.parseLong(Files.readString(run.resolve(PID_FILE)).trim());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The latest modification of the directory or of anything directly in it. */
    private static FileTime lastChange(Path run) {
        FileTime latest = FileTime.fromMillis(0);
        try (Stream<Path> s = Stream.concat(Stream.of(run), Files.list(run))) {
            for (Path p : s.toList()) {
                FileTime t = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                if (t.compareTo(latest) > 0) {
                    latest = t;
                }
            }
        } catch (IOException | RuntimeException e) {
            // as far as it could be read
        }
        return latest;
    }

    /** The mount points of this mount namespace (octal escapes such as {@code \040} left as they are). */
    private static List<String> mountPoints() {
        List<String> points = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1) {
                    points.add(f[1]);
                }
            }
        } catch (IOException e) {
            // none known
        }
        return points;
    }
}
