package org.tandemha.core.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.core.engine.Input;
import org.tandemha.core.json.JsonTrees;

/**
 * Reads a journal written by {@link Journal}. A truncated last line (the node stopped while writing it) is ignored
 * and logged; anything else malformed, a segment of a newer format, or an input kind this code does not know is
 * refused with a {@link JournalFormatException} naming the file, the line and the fix.
 */
public final class JournalReader {
    /** The segment format this code writes; it reads this one and older ones. */
    public static final int FORMAT = 1;
    private static final Logger LOG = LoggerFactory.getLogger(JournalReader.class);
    private static final Pattern NAME = Pattern.compile("journal-(\\d{12})\\.jsonl");

    private JournalReader() {
    }

    /**
     * One segment as read.
     *
     * @param header        its header; null for a segment cut off before its header was complete
     * @param entries       its entries, in order
     * @param truncatedTail whether a truncated last line was ignored
     */
    public record Segment(Path file, JournalHeader header, List<Entry> entries, boolean truncatedTail) {
    }

    /**
     * One handled input.
     *
     * @param line   its line number in the segment (the header is line 1)
     * @param t      the engine time (monotonic milliseconds) it was handled at
     * @param input  the input
     * @param digest the {@link ActionDigest} of the actions the engine returned
     */
    public record Entry(int line, long t, Input input, String digest) {
    }

    /** The segment files of the journal in {@code dir}, oldest first (empty when there is no such directory). */
    public static List<Path> segments(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            if (Files.exists(dir)) {
                throw new IOException(dir + " is not a directory");
            }
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && !Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    /** Every segment of the journal in {@code dir}, oldest first. */
    public static List<Segment> readAll(Path dir) throws IOException {
        List<Segment> out = new ArrayList<>();
        for (Path p : segments(dir)) {
            out.add(read(p));
        }
        return out;
    }

    static String fileName(long sequence) {
        return String.format("journal-%012d.jsonl", sequence);
    }

    static long sequence(Path segment) {
        Matcher m = NAME.matcher(segment.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a journal segment: " + segment);
        }
        return Long.parseLong(m.group(1));
    }

    /** Reads one segment. */
    public static Segment read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        List<String> lines = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == '\n') {
                lines.add(new String(all, from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        String unfinished = from < all.length ? new String(all, from, all.length - from, StandardCharsets.UTF_8) : null;
        if (unfinished != null) {
            lines.add(unfinished);
        }
        JournalHeader header = null;
        List<Entry> entries = new ArrayList<>();
        boolean truncated = false;
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            boolean last = i == lines.size() - 1 && unfinished != null;
            JsonNode n;
            try {
                n = JsonTrees.parseExact(lines.get(i));
            } catch (JsonProcessingException e) {
                if (last) {
                    LOG.warn("journal segment {}: ignored the truncated last line {} (the node stopped while writing it)",
                            file, lineNo);
                    truncated = true;
                    break;
                }
                throw bad(file, lineNo, "not a JSON object (" + e.getOriginalMessage() + ")");
            }
            if (n == null || !n.isObject()) {
                throw bad(file, lineNo, "not a JSON object");
            }
            if (i == 0) {
                header = header(file, n);
            } else {
                entries.add(entry(file, lineNo, n));
            }
        }
        return new Segment(file, header, List.copyOf(entries), truncated);
    }

    private static JournalHeader header(Path file, JsonNode n) throws JournalFormatException {
        JsonNode f = n.get("format");
        if (f == null || !f.isIntegralNumber()) {
            throw bad(file, 1, "the header has no format number; is this a Tandem journal? Move it out of the journal directory");
        }
        if (!f.canConvertToInt() || f.intValue() > FORMAT) {
            throw new JournalFormatException("journal segment " + file + " has format " + f.asText() + "; this Tandem reads "
                    + "format " + FORMAT + " and older: upgrade Tandem to read it");
        }
        if (f.intValue() < 1) {
            throw bad(file, 1, "the header has format " + f.intValue() + ", which no Tandem writes");
        }
        JsonNode t = n.get("t");
        JsonNode wb = n.get("wallBase");
        if (t == null || !t.canConvertToLong() || wb == null || !wb.canConvertToLong()) {
            throw bad(file, 1, "the header needs whole numbers \"t\" and \"wallBase\"");
        }
        JsonNode snap = n.get("snapshot");
        return new JournalHeader(f.intValue(), text(n, "cluster"), text(n, "node"), t.longValue(), wb.longValue(),
                text(n, "fingerprint"), snap == null || snap.isNull() ? null : snap);
    }

    private static Entry entry(Path file, int line, JsonNode n) throws JournalFormatException {
        JsonNode t = n.get("t");
        if (t == null || !t.isIntegralNumber() || !t.canConvertToLong()) {
            throw bad(file, line, "an entry needs a whole number \"t\"");
        }
        String digest = text(n, "digest");
        if (digest == null) {
            throw bad(file, line, "an entry needs a \"digest\"");
        }
        try {
            return new Entry(line, t.longValue(), InputCodec.decode(n.get("in")), digest);
        } catch (JournalFormatException e) {
            throw bad(file, line, e.getMessage());
        } catch (RuntimeException e) {
            throw bad(file, line, "an input the engine does not accept (" + e.getMessage() + ")");
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isTextual() ? null : v.textValue();
    }

    private static JournalFormatException bad(Path file, int line, String what) {
        return new JournalFormatException("journal segment " + file + " line " + line + ": " + what
                + (what.contains("upgrade Tandem") ? "" : "; the file is damaged: move it out of the journal directory"));
    }
}
