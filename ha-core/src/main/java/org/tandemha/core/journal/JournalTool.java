package org.tandemha.core.journal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Prints a node's journal: {@code java -cp ... org.tandemha.core.journal.JournalTool print <dir>}. One line per
 * segment header and one per input: its wall time, engine time and a summary of the input.
 */
public final class JournalTool {
    private static final int MAX_SUMMARY = 240;

    private JournalTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 2 || !args[0].equals("print")) {
            err.println("usage: JournalTool print <journal directory>");
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
