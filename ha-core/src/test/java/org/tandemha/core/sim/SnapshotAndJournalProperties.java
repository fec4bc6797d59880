package org.tandemha.core.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.DatabindSnapshotJson;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.EngineSnapshot;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.SnapshotJson;
import org.tandemha.core.journal.Journal;
import org.tandemha.core.journal.JournalReader;
import org.tandemha.core.journal.Replay;

/**
 * The engine's state is a value and its decisions can be replayed, over the fault schedules of
 * {@link FaultProperties} (crashes, daemon crashes, shutdowns, second copies, pauses, one-way cuts, loss,
 * reordering, failing resources, operator commands):
 * <ul>
 *   <li>a snapshot taken at a random step of a random node reads back from JSON equal to itself, and an engine
 *       restored from it makes exactly the decisions the original makes for every later input, and ends in the
 *       same state;</li>
 *   <li>a journal written of every engine instance's inputs (rotated often, each segment starting from the JSON
 *       snapshot of that moment) replays into exactly the actions each step returned.</li>
 * </ul>
 */
class SnapshotAndJournalProperties {
    private static Instant wall(long ms) {
        return Instant.ofEpochMilli(SimProcesses.EPOCH_MS + ms);
    }

    @Provide
    Arbitrary<FaultProperties.Plan> schedules() {
        return FaultProperties.plans(FaultProperties.NEEDS_ENGINE_CHANGE)
                .filter(p -> FaultProperties.needsEngineChange(p) == null);
    }

    /** Follows one engine from a snapshot of it: a restored copy is fed every later input and must answer alike. */
    private static final class Shadow implements SimCluster.InputObserver {
        final String node;
        final long snapshotAt;
        SimCluster cluster;
        Engine original;
        Engine copy;
        long seen;
        long compared;

        Shadow(String node, long snapshotAt) {
            this.node = node;
            this.snapshotAt = snapshotAt;
        }

        @Override
        public void handled(String instance, long nowMs, Input input, List<Action> actions) {
            if (!instance.equals(node)) {
                return;
            }
            Engine current = cluster.engine(node);
            if (copy != null) {
                if (current != original) {
                    return; // the node's process restarted: a new engine, not the one the snapshot came from
                }
                assertThat(copy.handle(input, nowMs)).as("input %s at %d ms, %d after the snapshot", input, nowMs, compared)
                        .isEqualTo(actions);
                compared++;
                return;
            }
            if (++seen == snapshotAt) {
                EngineSnapshot snap = current.snapshot();
                String json = SnapshotJson.write(snap);
                // the text ObjectMapper wrote before SnapshotJson built it itself, and read alike
                assertThat(json).isEqualTo(DatabindSnapshotJson.write(snap));
                EngineSnapshot back = SnapshotJson.read(json);
                assertThat(DatabindSnapshotJson.read(json)).isEqualTo(back);
                assertThat(back).isEqualTo(snap);
                assertThat(SnapshotJson.write(back)).isEqualTo(json);
                original = current;
                copy = Engine.restore(cluster.spec(), back, SnapshotAndJournalProperties::wall);
            }
        }
    }

    @Property(tries = 1000, shrinking = ShrinkingMode.BOUNDED)
    void restoredEngineDecidesTheSame(@ForAll("schedules") FaultProperties.Plan p) {
        SplittableRandom r = new SplittableRandom(p.seed());
        String node = p.nodeIds().get(r.nextInt(p.nodeIds().size()));
        Shadow shadow = new Shadow(node, 1 + r.nextInt(60));
        SimCluster c = play(p, shadow, cluster -> shadow.cluster = cluster);
        net.jqwik.api.statistics.Statistics.label("restored").collect(shadow.copy == null ? "no (the node handled fewer inputs)"
                : shadow.compared == 0 ? "yes, nothing after" : shadow.compared < 100 ? "yes, 1-99 inputs compared"
                : "yes, 100+ inputs compared");
        if (shadow.copy != null && shadow.original == c.engine(node)) {
            assertThat(shadow.copy.snapshot()).isEqualTo(shadow.original.snapshot());
        }
    }

    /** Plays the schedule, then the faults stop and the cluster runs on: the observer sees every input. */
    private static SimCluster play(FaultProperties.Plan p, SimCluster.InputObserver observer,
                                   java.util.function.Consumer<SimCluster> before) {
        SimCluster c = new SimCluster(p.spec(), p.seed()).arbiter(p.arbiter()).fencing(p.fencing()).observe(observer);
        before.accept(c);
        c.startAll();
        c.runFor(4000);
        for (EngineProperties.Step st : p.steps()) {
            c.runFor(st.afterMs());
            FaultProperties.apply(c, st);
        }
        FaultProperties.faultsStop(c, p);
        c.runFor(10_000);
        return c;
    }

    /** Journals every engine instance (a new journal at each boot), with the actions each step returned. */
    private static final class Journals implements SimCluster.InputObserver {
        final Path dir;
        final int segmentEntries;
        SimCluster cluster;
        final Map<Engine, Journal> journals = new IdentityHashMap<>();
        final Map<Path, List<List<Action>>> made = new HashMap<>();
        final Map<Engine, Path> dirs = new IdentityHashMap<>();
        int serial;

        Journals(Path dir, int segmentEntries) {
            this.dir = dir;
            this.segmentEntries = segmentEntries;
        }

        @Override
        public void handled(String instance, long nowMs, Input input, List<Action> actions) {
            Engine e = cluster.engine(instance.contains("'") ? instance.substring(0, instance.indexOf('\'')) : instance);
            if (instance.contains("'")) {
                return; // a second copy's engine is not reachable by its node id; the first copy's journal suffices
            }
            Journal j = journals.get(e);
            if (j == null) {
                Path d = dir.resolve(instance + "-" + (serial++));
                // A fresh engine of this instance: its snapshot before the first input is what a segment starts from.
                Engine fresh = cluster.newEngine(instance);
                j = Journal.open(d, cluster.spec().cluster(), instance, cluster.spec().fingerprint(), SimProcesses.EPOCH_MS,
                        nowMs, () -> SnapshotJson.toTree(journals.containsKey(e) ? e.snapshot() : fresh.snapshot()),
                        new Journal.Options(segmentEntries, 1 << 24, 100_000, 1 << 16));
                journals.put(e, j);
                dirs.put(e, d);
                made.put(d, new ArrayList<>());
            }
            j.append(nowMs, input, actions);
            made.get(dirs.get(e)).add(actions);
        }

        void close() {
            journals.values().forEach(Journal::close);
        }
    }

    @Property(tries = 1000, shrinking = ShrinkingMode.BOUNDED)
    void journalReplaysTheDecisionsMade(@ForAll("schedules") FaultProperties.Plan p) throws IOException {
        Path dir = Files.createTempDirectory("tandem-journal-prop");
        try {
            Journals js = new Journals(dir, 5 + new SplittableRandom(p.seed()).nextInt(120));
            SimCluster c = play(p, js, cluster -> js.cluster = cluster);
            js.close();
            ClusterSpec spec = c.spec();
            Function<JsonNode, Engine> restore = snap -> Engine.restore(spec, SnapshotJson.fromTree(snap),
                    SnapshotAndJournalProperties::wall);
            int most = 0;
            for (Map.Entry<Path, List<List<Action>>> e : js.made.entrySet()) {
                List<JournalReader.Segment> segments = JournalReader.readAll(e.getKey());
                most = Math.max(most, segments.size());
                List<Replay.Step> steps = Replay.replay(segments, restore);
                assertThat(steps).as("%s", e.getKey().getFileName()).hasSameSizeAs(e.getValue());
                for (int i = 0; i < steps.size(); i++) {
                    Replay.Step s = steps.get(i);
                    assertThat(s.matches()).as("digest of step %d of %s", i, e.getKey().getFileName()).isTrue();
                    assertThat(s.actions()).as("step %d of %s: %s", i, e.getKey().getFileName(), s.entry().input())
                            .isEqualTo(e.getValue().get(i));
                }
            }
            net.jqwik.api.statistics.Statistics.label("segments of the longest journal").collect(most < 2 ? "1" : most < 10
                    ? "2-9" : "10+");
            net.jqwik.api.statistics.Statistics.label("journals (engine instances)").collect(js.made.size() < 4 ? "2-3"
                    : js.made.size() < 8 ? "4-7" : "8+");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> {
                    try {
                        Files.delete(f);
                    } catch (IOException ex) {
                        throw new UncheckedIOException(ex);
                    }
                });
            }
        }
    }
}
