package org.tandemha.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tandemha.api.ReplicationPosition;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;

/**
 * The position of a copy whose server is stopped, read from its data directory: the end of the valid WAL it holds, on
 * its newest timeline. A running server says how far it goes ({@code pg_current_wal_lsn()}, a standby's received
 * WAL); a stopped one cannot be asked, and without a position the engine could not tell which of two copies that come
 * back together (the primary and its standby lost together, then both machines restarted) has the most data.
 *
 * <p>How: {@code pg_controldata} gives the last checkpoint's (a standby's: restartpoint's) REDO location and timeline;
 * the newest timeline is the highest among the WAL segment files in {@code pg_wal} (a standby that followed a
 * promotion received the new timeline's WAL before its next restartpoint), and its history file gives where it forked.
 * {@code pg_waldump --quiet} then reads that timeline from the REDO location (or the fork) to the end, where it stops
 * at the first record that is not valid ("invalid record length at X", "could not find file ..."): the end of WAL is
 * the highest location named in that message (at most one record short when the WAL ends at a segment boundary). A
 * few MB since the last checkpoint: tens of milliseconds. When the WAL cannot be read the last checkpoint's location
 * is used, a lower bound (said so in the detail).
 */
final class StoppedPosition {
    private StoppedPosition() {
    }

    /**
     * A stopped copy's position and how it was found.
     *
     * @param position the end of the valid WAL on the newest timeline, or a lower bound (see {@code exact})
     * @param exact    whether it is the end of the WAL (false: the last checkpoint's location, a lower bound)
     * @param detail   for the operator: the source and the figures
     */
    record Found(ReplicationPosition position, boolean exact, String detail) {
    }

    private static final Pattern LSN = Pattern.compile("\\b([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})\\b");
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");

    /**
     * Reads the position of the copy in {@code dataDirectory} (its server must be stopped), or null when there is no
     * copy there (no {@code global/pg_control}) or {@code pg_controldata} cannot read it.
     */
    static Found read(Path bin, Path dataDirectory, String runAs, Duration timeout) {
        if (!Files.exists(dataDirectory.resolve("global").resolve("pg_control"))) {
            return null;
        }
        long end = System.nanoTime() + timeout.toNanos();
        String text;
        Path out = null;
        try {
            // (its ~40 lines: more than an execution's tail)
            out = Files.createTempFile("tandem-controldata", ".txt");
            Execution cd = CommandRunner.run(Command.of(bin.resolve("pg_controldata").toString(), "-D",
                    dataDirectory.toString()).withUser(runAs).withDirectory(Path.of("/"))
                    .withEnvironment(Map.of("LC_ALL", "C")).withLogFile(out), timeout);
            if (!cd.ok()) {
                return null;
            }
            text = Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } finally {
            try {
                if (out != null) {
                    Files.deleteIfExists(out);
                }
            } catch (IOException e) {
                // a temporary file left behind is harmless
            }
        }
        Map<String, String> control = controlData(text);
        long checkpoint = lsn(control.get("Latest checkpoint location"));
        long redo = lsn(control.get("Latest checkpoint's REDO location"));
        long tli = parseLong(control.get("Latest checkpoint's TimeLineID"));
        long minRecovery = lsn(control.get("Minimum recovery ending location"));
        long minRecoveryTli = parseLong(control.get("Min recovery ending loc's timeline"));
        if (checkpoint < 0 || redo < 0 || tli <= 0) {
            return null;
        }
        // the lower bound: the checkpoint, or a standby's minimum recovery point when it is on a newer timeline or further
        ReplicationPosition floor = new ReplicationPosition(tli, checkpoint);
        if (minRecovery > 0 && minRecoveryTli > 0) {
            ReplicationPosition m = new ReplicationPosition(minRecoveryTli, minRecovery);
            floor = m.compareTo(floor) > 0 ? m : floor;
        }
        Path wal = dataDirectory.resolve("pg_wal");
        long newest = newestTimeline(segments(wal));
        long from = redo;
        long readTli = tli;
        String fork = "";
        long segSize = parseLong(control.get("Bytes per WAL segment"));
        segSize = segSize > 0 ? segSize : 16L * 1024 * 1024;
        long newestTli = Math.max(newest, tli);
        if (newestTli > tli || !Files.exists(wal.resolve(segmentName(tli, redo, segSize)))) {
            // the newest timeline forked after the checkpoint, or the checkpoint's segment is named after the parent
            // timeline (pg_waldump reads one timeline's files): read the newest from where it forked
            long sw = switchpoint(wal.resolve(String.format("%08X.history", newestTli)));
            if (sw >= 0 && (newestTli > tli || sw > redo)) {
                readTli = newestTli;
                from = Math.max(sw, newestTli > tli ? 0 : redo);
                fork = ", timeline " + newestTli + " forked at " + format(sw);
            }
        }
        Duration left = Duration.ofNanos(Math.max(100_000_000L, end - System.nanoTime()));
        Execution dump = CommandRunner.run(Command.of(bin.resolve("pg_waldump").toString(), "--quiet", "-p", wal.toString(),
                "-t", Long.toString(readTli), "-s", format(from)).withUser(runAs).withDirectory(Path.of("/"))
                .withEnvironment(Map.of("LC_ALL", "C")), left);
        long walEnd = endOfWal(String.join("\n", dump.tail()), from, segSize);
        if (walEnd < 0) {
            return new Found(floor, false, "stopped; the WAL could not be read to its end (" + dump.describe()
                    + "): the last checkpoint's location " + floor + " (a lower bound), from pg_controldata");
        }
        ReplicationPosition p = new ReplicationPosition(readTli, walEnd);
        if (floor.compareTo(p) > 0) {
            p = floor;
        }
        return new Found(p, true, "stopped; end of WAL " + format(p.offset()) + " on timeline " + p.timeline()
                + " (pg_waldump from " + format(from) + fork + "; last checkpoint " + format(checkpoint) + ")");
    }

    /** {@code pg_controldata}'s lines as name to value. */
    static Map<String, String> controlData(String text) {
        Map<String, String> m = new HashMap<>();
        for (String line : text.split("\n")) {
            int i = line.indexOf(':');
            if (i > 0) {
                m.put(line.substring(0, i).strip(), line.substring(i + 1).strip());
            }
        }
        return m;
    }

    /** The WAL segment files' names in {@code pg_wal} (24 hex digits; not .partial, .history, archive_status). */
    static List<String> segments(Path wal) {
        List<String> o = new ArrayList<>();
        try (Stream<Path> files = Files.list(wal)) {
            files.map(f -> f.getFileName().toString()).filter(n -> SEGMENT.matcher(n).matches()).forEach(o::add);
        } catch (IOException e) {
            // no pg_wal: no segment
        }
        return o;
    }

    /** The highest timeline among WAL segment file names (0 when none). */
    static long newestTimeline(List<String> segments) {
        long t = 0;
        for (String s : segments) {
            if (SEGMENT.matcher(s).matches()) {
                t = Math.max(t, Long.parseLong(s.substring(0, 8), 16));
            }
        }
        return t;
    }

    /** Where a timeline forked from its parent: the last line of its history file ({@code parent TAB X/Y TAB reason}); -1 if unknown. */
    static long switchpoint(Path history) {
        try {
            return switchpoint(Files.readString(history, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return -1;
        }
    }

    static long switchpoint(String history) {
        long sw = -1;
        for (String line : history.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 2 && !f[0].startsWith("#") && f[0].matches("\\d+")) {
                long v = lsn(f[1]);
                sw = v >= 0 ? v : sw;
            }
        }
        return sw;
    }

    /**
     * The end of the valid WAL from {@code pg_waldump --quiet}'s error ({@code error in WAL record at A: invalid record
     * length at B: ...}): the highest location it names; when it stopped because the next segment file is missing
     * ({@code could not find file "<segment>"}: the WAL ended at a segment's end, after a switch record), that
     * segment's start (at most one partial record too far); not below {@code from}; -1 when it names neither.
     */
    static long endOfWal(String stderr, long from, long segSize) {
        long best = -1;
        for (String line : stderr.split("\n")) {
            if (!line.contains("pg_waldump")) {
                continue;
            }
            Matcher f = MISSING.matcher(line);
            if (f.find()) {
                String seg = f.group(1);
                best = Math.max(best, Long.parseLong(seg.substring(8, 16), 16) * (1L << 32)
                        + Long.parseLong(seg.substring(16), 16) * segSize);
                line = line.replace(seg, "");
            }
            Matcher m = LSN.matcher(line);
            while (m.find()) {
                best = Math.max(best, (Long.parseLong(m.group(1), 16) << 32) | Long.parseLong(m.group(2), 16));
            }
        }
        return best < 0 ? -1 : Math.max(best, from);
    }

    private static final Pattern MISSING = Pattern.compile("could not find file \"(?:.*/)?([0-9A-F]{24})\"");

    /** The name of the WAL segment file holding {@code lsn} on timeline {@code tli}. */
    static String segmentName(long tli, long lsn, long segSize) {
        long perLog = (1L << 32) / segSize;
        long segno = Long.divideUnsigned(lsn, segSize);
        return String.format("%08X%08X%08X", tli, segno / perLog, segno % perLog);
    }

    /** {@code X/Y} to bytes; -1 when it is not a location. */
    static long lsn(String v) {
        if (v == null) {
            return -1;
        }
        Matcher m = LSN.matcher(v.strip());
        return m.matches() ? (Long.parseLong(m.group(1), 16) << 32) | Long.parseLong(m.group(2), 16) : -1;
    }

    static String format(long lsn) {
        return String.format("%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
    }

    private static long parseLong(String v) {
        try {
            return v == null ? -1 : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
