package org.tandemha.core.journal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Prints a node's journal: {@code java -cp ... org.tandemha.core.journal.JournalTool print <dir>}. One line per
 * segment header and one per input: its wall time, engine time and a summary of the input.
 * {@code verify <dir> <configuration file>} replays it (each segment from the engine snapshot in its header) and
 * says whether every step's decisions are the ones the node made, or where they first differ.
 */
public final class JournalTool {
    private static final int MAX_SUMMARY = 240;

    private JournalTool() {
    }

    public static void main(String[] args) {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: JournalTool print <journal directory>\n       JournalTool verify <journal directory> <configuration file the node ran with>\nprint: every recorded input and the actions the engine returned; verify: replays the journal through the engine\nand checks that it decides exactly the recorded actions. Exit: 0 ok, 1 cannot read / differs, 2 bad arguments.");
            return;                                             // --help: usage, exit 0
        }
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 3 && args[0].equals("verify")) {
            return verify(Path.of(args[1]), Path.of(args[2]), out, err);
        }
        if (args.length != 2 || !args[0].equals("print")) {
            err.println("usage: JournalTool print <journal directory>\n       JournalTool verify <journal directory>"
                    + " <configuration file the node ran with>");
            return 2;
        }
        try {
            print(Path.of(args[1]), out);
            return 0;
        } catch (IOException e) {
            err.println("cannot read the journal: " + e.getMessage());
            return 1;
        }
    }

    /** Replays the journal in {@code dir} with {@code config}: 0 when every step matches, 1 otherwise. */
    static int verify(Path dir, Path config, PrintStream out, PrintStream err) {
        try {
            org.tandemha.core.config.ClusterSpec spec = org.tandemha.core.config.ConfigLoader.load(config, null);
            var segments = JournalReader.readAll(dir);
            var mismatch = Replay.verify(segments, snap -> {
                if (snap == null) {
                    throw new IllegalArgumentException("a journal segment has no engine snapshot: it can be replayed only"
                            + " from the segment where its node booted");
                }
                return org.tandemha.core.engine.Engine.restore(spec,
                        org.tandemha.core.engine.SnapshotJson.fromTree(snap), Instant::ofEpochMilli);
            });
            if (mismatch.isPresent()) {
                out.println("replay differs: " + mismatch.get().describe());
                return 1;
            }
            long steps = segments.stream().mapToLong(sg -> sg.entries().size()).sum();
            out.println("replayed " + steps + " inputs in " + segments.size() + " segments: every decision is the one the"
                    + " node made");
            return 0;
        } catch (org.tandemha.api.InvalidConfigException | IOException | RuntimeException e) {
            err.println("cannot verify the journal: " + e.getMessage());
            return 1;
        }
    }

    /** Prints every segment of the journal in {@code dir}. */
    public static void print(Path dir, PrintStream out) throws IOException {
        var files = JournalReader.segments(dir);
        if (files.isEmpty()) {
            out.println("no journal segments in " + dir);
            return;
        }
        for (Path f : files) {
            JournalReader.Segment s = JournalReader.read(f);
            JournalHeader h = s.header();
            if (h == null) {
                out.println("== " + f.getFileName() + ": cut off before its header");
                continue;
            }
            out.println("== " + f.getFileName() + ": cluster " + h.cluster() + ", node " + h.node() + ", from "
                    + h.wallTime(h.t()) + " (t=" + h.t() + " ms), configuration " + h.fingerprint()
                    + (h.snapshot() == null ? ", no snapshot" : ", with snapshot"));
            for (JournalReader.Entry e : s.entries()) {
                String summary = e.input().toString();
                if (summary.length() > MAX_SUMMARY) {
                    summary = summary.substring(0, MAX_SUMMARY) + "...";
                }
                out.println(Instant.ofEpochMilli(h.wallBase() + e.t()) + "  t=" + e.t() + "  " + summary);
            }
            if (s.truncatedTail()) {
                out.println("   (a truncated last line was ignored)");
            }
        }
    }
}
