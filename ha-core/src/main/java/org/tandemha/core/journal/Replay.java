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
     * @param file    the segment it comes from
     * @param entry   what the journal holds
     * @param actions what the replayed engine returned
     * @param digest  their digest
     * @param matches whether it equals the recorded digest
     */
    public record Step(Path file, JournalReader.Entry entry, List<Action> actions, String digest, boolean matches) {
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
     *
     * @throws IllegalArgumentException for a segment without a snapshot that does not start at the node's boot: it
     *                                  can only be replayed after the segment before it ({@link #replay(List, Function)})
     */
    public static List<Step> replay(JournalReader.Segment segment, Function<JsonNode, Engine> restore) {
        if (segment.header() == null) {
            return new ArrayList<>(); // cut off before its header: nothing to replay
        }
        if (segment.header().snapshot() == null && !startsAtBoot(segment)) {
            throw new IllegalArgumentException("journal segment " + segment.file() + " holds no engine snapshot and does not "
                    + "start at the node's boot: replay it together with the segments before it, from one that starts at boot");
        }
        return run(segment, restore.apply(segment.header().snapshot()));
    }

    /**
     * Replays consecutive segments, oldest first: each from its own snapshot, or, when it has none, with the engine
     * the segment before it left (the journal of a node whose engine gives no snapshots can be replayed whole from
     * the boot it starts with).
     *
     * @throws IllegalArgumentException when a segment has no snapshot, does not start at boot, and does not directly
     *                                  follow the segment before it
     */
    public static List<Step> replay(List<JournalReader.Segment> segments, Function<JsonNode, Engine> restore) {
        List<Step> steps = new ArrayList<>();
        Engine engine = null;
        long previous = -1;
        for (JournalReader.Segment s : segments) {
            long sequence = JournalReader.sequence(s.file());
            if (s.header() == null) {
                engine = null; // cut off before its header: what follows needs its own snapshot
            } else if (s.header().snapshot() != null || startsAtBoot(s)) {
                engine = restore.apply(s.header().snapshot());
            } else if (engine == null || sequence != previous + 1) {
                throw new IllegalArgumentException("journal segment " + s.file() + " holds no engine snapshot, does not "
                        + "start at the node's boot and does not follow a segment that could be replayed: replay from "
                        + "an older segment that starts at boot (keep more segments: Journal.Options.keepSegments)");
            }
            if (engine != null) {
                steps.addAll(run(s, engine));
            }
            previous = sequence;
        }
        return steps;
    }

    private static boolean startsAtBoot(JournalReader.Segment s) {
        return !s.entries().isEmpty() && s.entries().get(0).input() instanceof Input.Boot;
    }

    private static List<Step> run(JournalReader.Segment segment, Engine engine) {
        List<Step> steps = new ArrayList<>(segment.entries().size());
        for (JournalReader.Entry e : segment.entries()) {
            List<Action> actions = engine.handle(e.input(), e.t());
            String d = ActionDigest.like(actions, e.digest());
            steps.add(new Step(segment.file(), e, actions, d, d.equals(e.digest())));
        }
        return steps;
    }

    /** The first entry of {@code segment} whose replay differs, or empty when every decision was made again. */
    public static Optional<Mismatch> verify(JournalReader.Segment segment, Function<JsonNode, Engine> restore) {
        return firstMismatch(replay(segment, restore));
    }

    /** The first entry of consecutive {@code segments} whose replay differs ({@link #replay(List, Function)}). */
    public static Optional<Mismatch> verify(List<JournalReader.Segment> segments, Function<JsonNode, Engine> restore) {
        return firstMismatch(replay(segments, restore));
    }

    private static Optional<Mismatch> firstMismatch(List<Step> steps) {
        for (Step s : steps) {
            if (!s.matches()) {
                JournalReader.Entry e = s.entry();
                return Optional.of(new Mismatch(s.file(), e.line(), e.t(), e.input(), e.digest(), s.digest(), s.actions()));
            }
        }
        return Optional.empty();
    }
}
