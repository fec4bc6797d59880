package org.tandemha.core.journal;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;

/**
 * Runs a journal segment through an engine again and compares its decisions with those recorded: the engine is
 * rebuilt from the segment's snapshot by the caller's {@code restore}, handed every entry's input at the entry's
 * time, and the digest of the actions it returns is compared with the digest written at the time.
 */
public final class Replay {

    private Replay() {
    }

    /**
     * One replayed entry.
     *
     * @param entry   what the journal holds
     * @param actions what the replayed engine returned
     * @param digest  their digest
     * @param matches whether it equals the recorded digest
     */
    public record Step(JournalReader.Entry entry, List<Action> actions, String digest, boolean matches) {
    }

    /**
     * The first entry whose replayed actions differ from those recorded.
     *
     * @param actions what the replayed engine returned
     */
    public record Mismatch(Path file, int line, long t, Input input, String expected, String actual,
                           List<Action> actions) {

        /** A sentence for the operator. */
        public String describe() {
            return "journal segment " + file + " line " + line + " (t=" + t + " ms, " + input + "): the replayed engine "
                    + "decided differently (recorded digest " + expected + ", replayed " + actual + "): "
                    + ActionDigest.text(actions);
        }
    }

    /**
     * Replays {@code segment} from its snapshot. {@code restore} builds the engine the segment starts from out of the
     * header's snapshot (null when the journal starts at boot without one).
     */
    public static List<Step> replay(JournalReader.Segment segment, Function<JsonNode, Engine> restore) {
        List<Step> steps = new ArrayList<>(segment.entries().size());
        if (segment.header() == null) {
            return steps; // cut off before its header: nothing to replay
        }
        Engine engine = restore.apply(segment.header().snapshot());
        for (JournalReader.Entry e : segment.entries()) {
            List<Action> actions = engine.handle(e.input(), e.t());
            String d = ActionDigest.of(actions);
            steps.add(new Step(e, actions, d, d.equals(e.digest())));
        }
        return steps;
    }

    /** The first entry of {@code segment} whose replay differs, or empty when every decision was made again. */
    public static Optional<Mismatch> verify(JournalReader.Segment segment, Function<JsonNode, Engine> restore) {
        for (Step s : replay(segment, restore)) {
            if (!s.matches()) {
                JournalReader.Entry e = s.entry();
                return Optional.of(new Mismatch(segment.file(), e.line(), e.t(), e.input(), e.digest(), s.digest(),
                        s.actions()));
            }
        }
        return Optional.empty();
    }

    /** {@link #verify(JournalReader.Segment, Function)} for every segment, each from its own snapshot. */
    public static Optional<Mismatch> verify(List<JournalReader.Segment> segments, Function<JsonNode, Engine> restore) {
        for (JournalReader.Segment s : segments) {
            Optional<Mismatch> m = verify(s, restore);
            if (m.isPresent()) {
                return m;
            }
        }
        return Optional.empty();
    }
}
