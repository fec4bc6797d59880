package org.tandemha.core.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;
import org.tandemha.api.Verdict;
import org.tandemha.core.config.ClusterSpec;
import org.tandemha.core.config.ConfigLoader;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Engine;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;

/**
 * Replaying a journal gives exactly the decisions that were made: a real engine is driven through a generated
 * schedule (its own resource actions and checks answered, failing or not, a peer coming and going and announcing
 * groups, operator commands, pauses, time passing) while every input is journaled to disk; a fresh engine fed the
 * journal returns the same actions at every step, and every recorded digest matches.
 */
class ReplayProperties {
    private static final long WALL_BASE = 1_700_000_000_000L;
    private static final String CONFIG = """
            cluster: replay
            key: "base64:AAECAwQFBgcICQoLDA0ODw=="
            nodes:
              - {id: node1, addresses: {hb: "192.0.2.1:7401"}}
              - {id: node2, addresses: {hb: "192.0.2.2:7401"}}
            paths:
              - name: hb
            timing: {startupWait: 1s}
            arbiters:
              - {type: peer-probe, params: {address: "203.0.113.2:22"}}
            groups:
              - id: web
                nodes: [node1, node2]
                switchback: automatic
                resources:
                  - {id: vip, type: ip}
                  - {id: app, type: process, dependsOn: [vip], quickCheck: {interval: 1s}}
              - id: db
                nodes: [node2, node1]
                resources:
                  - {id: pg, type: postgresql}
            """;
    private static final ClusterSpec SPEC = spec();

    private static ClusterSpec spec() {
        try {
            return ConfigLoader.parse(CONFIG, true, null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Engine fresh() {
        return new Engine(SPEC, "node1", true, ms -> Instant.ofEpochMilli(WALL_BASE + ms));
    }

    enum Kind { TICK, ANSWER, REACHABLE, UNREACHABLE, PEER_STATE, COMMAND, RESUMED, SHUTDOWN }

    /** One step of a schedule: what happens, two choices, and how much time passes before it. */
    record Move(Kind kind, int a, int b, long dt) {
    }

    /** What the engine was given and what it returned. */
    record Step(long t, Input input, List<Action> actions) {
    }

    @Provide
    Arbitrary<List<Move>> schedules() {
        Arbitrary<Kind> kinds = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.just(Kind.TICK)),
                net.jqwik.api.Tuple.of(14, Arbitraries.just(Kind.ANSWER)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.REACHABLE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.UNREACHABLE)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Kind.PEER_STATE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.COMMAND)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.RESUMED)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Kind.SHUTDOWN)));
        Arbitrary<Long> dt = Arbitraries.oneOf(Arbitraries.longs().between(0, 50), Arbitraries.longs().between(0, 4_000));
        return Combinators.combine(kinds, Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 1000), dt)
                .as(Move::new).list().ofMinSize(1).ofMaxSize(100);
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void replayingAJournalGivesExactlyTheDecisionsMade(@ForAll("schedules") List<Move> schedule,
                                                       @ForAll @IntRange(min = 1, max = 60) int segmentEntries)
            throws IOException {
        Path dir = Files.createTempDirectory("tandem-journal-");
        try {
            List<Step> made = run(schedule, dir, new Journal.Options(segmentEntries, 8L << 20, 1000, 1000));
            List<JournalReader.Segment> segs = JournalReader.readAll(dir);
            assertThat(segs).hasSize(made.size() / segmentEntries + 1); // a full segment starts the next one at once
            assertThat(segs).noneMatch(JournalReader.Segment::truncatedTail);
            List<Replay.Step> replayed = Replay.replay(segs, snapshot -> fresh());
            assertThat(replayed).hasSize(made.size());
            for (int i = 0; i < made.size(); i++) {
                Replay.Step r = replayed.get(i);
                assertThat(r.entry().t()).isEqualTo(made.get(i).t());
                assertThat(r.entry().input()).isEqualTo(made.get(i).input());
                assertThat(r.actions()).as("step %d: %s", i, made.get(i).input()).isEqualTo(made.get(i).actions());
                assertThat(r.matches()).isTrue();
            }
            assertThat(Replay.verify(segs, snapshot -> fresh())).isEmpty();
            for (String kind : List.of("runResource", "runCheck", "runSafetyCheck", "fencePeer", "send", "completeCommand",
                    "left")) {
                Statistics.label(kind).collect(made.stream().flatMap(st -> st.actions().stream())
                        .anyMatch(a -> ActionDigest.encode(a).get("kind").asText().equals(kind)));
            }
            Statistics.label("web started here").collect(made.stream().flatMap(st -> st.actions().stream())
                    .anyMatch(a -> a instanceof Action.RunResource r && r.op() == Action.ResourceOp.START && r.group().equals("web")));
        } finally {
            delete(dir);
        }
    }

    @Example
    void verifyNamesTheFirstDecisionThatDiffers() throws IOException {
        Path dir = Files.createTempDirectory("tandem-journal-");
        try {
            List<Move> schedule = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                schedule.add(new Move(i % 3 == 0 ? Kind.TICK : Kind.ANSWER, i, i, 500));
            }
            run(schedule, dir, Journal.Options.defaults());
            JournalReader.Segment seg = JournalReader.readAll(dir).get(0);
            assertThat(Replay.verify(seg, snapshot -> fresh())).isEmpty();
            // an engine of another node decides otherwise from the first input on
            Optional<Replay.Mismatch> m = Replay.verify(seg,
                    snapshot -> new Engine(SPEC, "node2", true, ms -> Instant.ofEpochMilli(WALL_BASE + ms)));
            assertThat(m).isPresent();
            assertThat(m.get().line()).isEqualTo(2);
            assertThat(m.get().input()).isInstanceOf(Input.Boot.class);
            assertThat(m.get().expected()).isNotEqualTo(m.get().actual());
            assertThat(m.get().describe()).contains(seg.file().toString()).contains("line 2").contains("decided differently");
        } finally {
            delete(dir);
        }
    }

    @Example
    void aJournalWhoseBootSegmentWasDeletedCannotBeReplayedWithoutSnapshots() throws IOException {
        Path dir = Files.createTempDirectory("tandem-journal-");
        try {
            List<Move> schedule = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                schedule.add(new Move(Kind.TICK, i, i, 500));
            }
            run(schedule, dir, new Journal.Options(10, 8L << 20, 2, 1000)); // 31 entries: 10, 10, 10, 1
            List<JournalReader.Segment> segs = JournalReader.readAll(dir);
            assertThat(segs).extracting(s -> s.entries().size()).containsExactly(10, 1);
            assertThatThrownBy(() -> Replay.replay(segs, snapshot -> fresh())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(segs.get(0).file() + " holds no engine snapshot")
                    .hasMessageContaining("replay from an older segment that starts at boot");
            assertThatThrownBy(() -> Replay.replay(segs.get(1), snapshot -> fresh()))
                    .hasMessageContaining("replay it together with the segments before it");
        } finally {
            delete(dir);
        }
    }

    /** Drives an engine through {@code schedule}, journaling into {@code dir}; returns what it was given and returned. */
    private static List<Step> run(List<Move> schedule, Path dir, Journal.Options options) {
        Engine engine = fresh();
        List<Step> steps = new ArrayList<>();
        List<Action> pending = new ArrayList<>();
        try (Journal journal = Journal.open(dir, SPEC.cluster(), "node1", SPEC.fingerprint(), WALL_BASE, 0,
                () -> null, options)) {
            long t = 0;
            Input in = new Input.Boot(Map.of("web", 3L), 11);
            for (int i = 0; ; i++) {
                List<Action> out = engine.handle(in, t);
                journal.append(t, in, out);
                steps.add(new Step(t, in, List.copyOf(out)));
                for (Action a : out) {
                    if (a instanceof Action.RunResource || a instanceof Action.RunCheck
                            || a instanceof Action.RunSafetyCheck || a instanceof Action.FencePeer) {
                        pending.add(a);
                    }
                }
                if (i == schedule.size()) {
                    break;
                }
                Move m = schedule.get(i);
                t += m.dt();
                in = input(m, engine, pending, i + 1);
            }
            assertThat(journal.failed()).isFalse();
        }
        return steps;
    }

    /** The input of move number {@code n}, made from the engine's own requests and state where it answers them. */
    private static Input input(Move m, Engine engine, List<Action> pending, int n) {
        return switch (m.kind()) {
            case TICK -> new Input.Tick();
            case ANSWER -> pending.isEmpty() ? new Input.Tick() : answer(pending.remove(m.a() % pending.size()), m.b());
            case REACHABLE -> new Input.PeerReachable("node2", 7);
            case UNREACHABLE -> new Input.PeerUnreachable("node2", "3 heartbeats missed");
            case PEER_STATE -> peerState(m, engine, n);
            case COMMAND -> new Input.Command(n, Input.Command.Kind.values()[m.a() % Input.Command.Kind.values().length],
                    m.b() % 2 == 0 ? "web" : "db", m.b() % 3 == 0 ? "node2" : "node1");
            case RESUMED -> new Input.Resumed(1_000 + m.a() * 10L);
            case SHUTDOWN -> m.a() % 4 == 0 ? new Input.Shutdown() : new Input.Tick();
        };
    }

    private static Input answer(Action a, int choice) {
        if (a instanceof Action.RunResource r) {
            // a failed stop leaves the group FAILED until cleared: rarer, so that schedules go on to starts and checks
            int c = r.op() == Action.ResourceOp.STOP && choice % 5 != 0 ? 0 : choice;
            return new Input.ActionDone(r.id(), switch (c % 8) {
                case 0, 1, 2, 3, 4 -> ActionResult.done(r.op() + " done");
                case 5 -> ActionResult.failed(r.op() + " failed: exit 1");
                case 6 -> ActionResult.failed(Severity.HARD, r.op() + " failed: no such device");
                default -> ActionResult.timeout(r.timeout());
            });
        }
        if (a instanceof Action.RunCheck c) {
            return new Input.CheckDone(c.id(), switch (choice % 5) {
                case 0, 1 -> CheckResult.ok("answers");
                case 2 -> CheckResult.failed("no answer on port 8080").withOutput(List.of("curl: (7) refused"));
                case 3 -> CheckResult.notRunning("not running");
                default -> CheckResult.timeout(c.timeout()).withDuration(Duration.ofNanos(c.timeout().toNanos() + 123_456));
            });
        }
        if (a instanceof Action.RunSafetyCheck s) {
            Verdict.Answer[] answers = Verdict.Answer.values();
            Verdict.Answer answer = choice % 2 == 0 ? Verdict.Answer.PEER_DEAD : answers[choice / 2 % answers.length];
            return new Input.SafetyDone(s.id(), s.peer(), Verdict.of(answer, "the probe says so", choice % 7));
        }
        Action.FencePeer f = (Action.FencePeer) a;
        return new Input.FenceDone(f.id(), f.peer(), choice % 3 == 0 ? ActionResult.failed("fence agent failed")
                : ActionResult.done("fenced"));
    }

    /** node2 announces both groups; it acknowledges node1's claims, or not, as the move says. */
    private static Input peerState(Move m, Engine engine, long version) {
        LocalState[] states = LocalState.values();
        List<Announcement.GroupAnn> groups = new ArrayList<>();
        int i = 0;
        for (String g : List.of("web", "db")) {
            int choice = i++ == 0 ? m.a() : m.b();
            boolean ack = choice % 4 != 3;
            groups.add(new Announcement.GroupAnn(g, states[choice % states.length], choice % 4,
                    ack ? "node1" : null, ack ? engine.generation(g) : 0, null, choice % 11 == 0, false, 0, null, false, 0, false));
        }
        return new Input.PeerState("node2", 7, new Announcement(version, SPEC.fingerprint(), m.b() % 13 == 0, false,
                Map.of("zone", "b"), groups));
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
