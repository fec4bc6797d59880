package org.tandemha.core.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionResult;
import org.tandemha.core.engine.Action;
import org.tandemha.core.engine.Input;

/** The journal on disk: segments, bounds, damage, formats and I/O errors. */
class JournalTest {
    @TempDir
    Path tmp;

    private final AtomicInteger snapshots = new AtomicInteger();

    /** Inputs "handled" so far: what a real engine snapshot would reflect. */
    private int handled;

    private JsonNode snapshot() {
        return JsonNodeFactory.instance.objectNode().put("n", snapshots.incrementAndGet()).put("handled", handled);
    }

    private Journal open(Path dir, Journal.Options o) {
        return Journal.open(dir, "demo", "node1", "fp-1", 1_700_000_000_000L, 0, this::snapshot, o);
    }

    private void writeTicks(Journal j, int from, int to) {
        for (int i = from; i < to; i++) {
            handled = i + 1;
            j.append(i * 100L, i % 2 == 0 ? new Input.Tick() : new Input.ActionDone(i, ActionResult.done("started")),
                    List.of(new Action.PeerRejoined("node" + i)));
        }
    }

    @Test
    void digestsAreShortHashesAndOldJournalsAreComparedInTheirOwnForm() throws Exception {
        List<Action> actions = List.of(new Action.PeerRejoined("node2"),
                new Action.RunCheck(7, Action.CheckKind.QUICK, "web", "app", 3, java.time.Duration.ofSeconds(2)));
        String d = ActionDigest.of(actions);
        assertThat(d).matches("[0-9a-f]{16}").isEqualTo(ActionDigest.of(List.copyOf(actions)));
        assertThat(ActionDigest.of(actions.subList(0, 1))).isNotEqualTo(d);
        assertThat(ActionDigest.of(List.of())).matches("[0-9a-f]{16}");
        assertThat(ActionDigest.like(actions, d)).isEqualTo(d);
        // a journal of an earlier build holds SHA-256 over the same canonical text
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(ActionDigest.text(actions).getBytes(StandardCharsets.UTF_8)));
        assertThat(ActionDigest.like(actions, "0".repeat(64))).isEqualTo(sha);
        assertThat(ActionDigest.like(List.of(), "0".repeat(64))).isEqualTo(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest("[]".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void segmentsRotateByEntriesAndOnlyTheNewestAreKept() throws Exception {
        Path dir = tmp.resolve("j");
        try (Journal j = open(dir, new Journal.Options(5, 1L << 20, 3, 1000))) {
            writeTicks(j, 0, 23); // 5 + 5 + 5 + 5 + 3 entries
            assertThat(j.active()).isTrue();
            assertThat(j.failed()).isFalse();
        }
        List<JournalReader.Segment> segs = JournalReader.readAll(dir);
        assertThat(segs).extracting(s -> s.file().getFileName().toString())
                .containsExactly("journal-000000000003.jsonl", "journal-000000000004.jsonl", "journal-000000000005.jsonl");
        assertThat(segs).extracting(s -> s.entries().size()).containsExactly(5, 5, 3);
        assertThat(segs).extracting(s -> s.header().snapshot().get("n").asInt()).containsExactly(3, 4, 5);
        for (JournalReader.Segment s : segs) { // each starts from the state its first entry was handled in
            assertThat(s.header().snapshot().get("handled").asLong()).isEqualTo(s.entries().get(0).t() / 100);
        }
        JournalReader.Segment first = segs.get(0);
        assertThat(first.header().t()).isEqualTo(900); // started right after the entry at 900 filled segment 2
        assertThat(first.header().node()).isEqualTo("node1");
        assertThat(first.header().cluster()).isEqualTo("demo");
        assertThat(first.header().fingerprint()).isEqualTo("fp-1");
        assertThat(first.header().format()).isEqualTo(1);
        assertThat(first.entries().get(0).line()).isEqualTo(2);
        assertThat(first.entries().get(0).t()).isEqualTo(1000);
        assertThat(first.entries().get(1).input()).isEqualTo(new Input.ActionDone(11, ActionResult.done("started")));
        assertThat(first.entries().get(1).digest()).isEqualTo(ActionDigest.of(List.of(new Action.PeerRejoined("node11"))));
        assertThat(segs.get(2).entries().get(2).t()).isEqualTo(2200);

        // a journal opened again continues the numbering, and keeps the bound
        try (Journal j = open(dir, new Journal.Options(5, 1L << 20, 3, 1000))) {
            writeTicks(j, 23, 25);
        }
        assertThat(JournalReader.segments(dir)).extracting(p -> p.getFileName().toString())
                .containsExactly("journal-000000000004.jsonl", "journal-000000000005.jsonl", "journal-000000000006.jsonl");
    }

    @Test
    void segmentsRotateByBytesAndOnRequest() throws Exception {
        Path dir = tmp.resolve("j");
        long max = 600;
        try (Journal j = open(dir, new Journal.Options(10_000, max, 100, 1000))) {
            writeTicks(j, 0, 40);
            j.rotate(4000);
            writeTicks(j, 40, 41);
        }
        List<Path> files = JournalReader.segments(dir);
        assertThat(files.size()).isGreaterThan(3);
        for (Path f : files.subList(0, files.size() - 2)) {
            long lastLine = Files.readAllLines(f).stream().mapToLong(l -> l.length() + 1).reduce((a, b) -> b).orElseThrow();
            assertThat(Files.size(f)).isGreaterThanOrEqualTo(max).isLessThan(max + lastLine);
        }
        assertThat(JournalReader.read(files.get(files.size() - 1)).entries()).hasSize(1);
        int total = 0;
        for (Path f : files) {
            total += JournalReader.read(f).entries().size();
        }
        assertThat(total).isEqualTo(41);
    }

    private Path oneSegment(int entries) throws Exception {
        Path dir = tmp.resolve("j");
        try (Journal j = open(dir, Journal.Options.defaults())) {
            writeTicks(j, 0, entries);
        }
        List<Path> files = JournalReader.segments(dir);
        assertThat(files).hasSize(1);
        return files.get(0);
    }

    @Test
    void aTruncatedLastLineIsIgnored() throws Exception {
        Path f = oneSegment(6);
        Files.writeString(f, "{\"t\":900,\"in\":{\"ki", StandardOpenOption.APPEND);
        JournalReader.Segment s = JournalReader.read(f);
        assertThat(s.entries()).hasSize(6);
        assertThat(s.truncatedTail()).isTrue();

        // cut in the middle of the last complete entry
        byte[] b = Files.readAllBytes(oneSegmentCopy(f));
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 30));
        s = JournalReader.read(f);
        assertThat(s.entries()).hasSize(5);
        assertThat(s.truncatedTail()).isTrue();

        // a header cut off: nothing to read, no error
        Files.writeString(f, "{\"format\":1,\"clus");
        s = JournalReader.read(f);
        assertThat(s.header()).isNull();
        assertThat(s.entries()).isEmpty();
    }

    private Path oneSegmentCopy(Path f) throws Exception {
        // the segment without the truncated tail added above
        List<String> lines = Files.readAllLines(f);
        Path c = tmp.resolve("copy");
        Files.writeString(c, String.join("\n", lines.subList(0, lines.size() - 1)) + "\n");
        return c;
    }

    @Test
    void garbageInTheMiddleIsRefusedWithFileAndLine() throws Exception {
        Path f = oneSegment(5);
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.set(2, "{\"t\":100,\"in\":{\"kind\":\"tick\"},\"dig"); // a torn line that is not the last
        Files.write(f, lines);
        assertThatThrownBy(() -> JournalReader.read(f)).isInstanceOf(JournalFormatException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("line 3").hasMessageContaining("damaged");

        lines.set(2, "garbage");
        lines.add("{\"t\":100,\"in\":{\"kind\":\"tick\"},\"digest\":\"x\"}");
        Files.write(f, lines);
        assertThatThrownBy(() -> JournalReader.read(f)).hasMessageContaining("line 3");
    }

    @Test
    void aSegmentOfANewerFormatIsRefused() throws Exception {
        Path f = oneSegment(2);
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.set(0, lines.get(0).replace("\"format\":1", "\"format\":2"));
        Files.write(f, lines);
        assertThatThrownBy(() -> JournalReader.read(f)).isInstanceOf(JournalFormatException.class)
                .hasMessage("journal segment " + f + " has format 2; this Tandem reads format 1 and older: upgrade Tandem to read it");
    }

    @Test
    void anUnknownInputKindIsRefused() throws Exception {
        Path f = oneSegment(2);
        Files.writeString(f, "{\"t\":300,\"in\":{\"kind\":\"teleport\"},\"digest\":\"x\"}\n", StandardOpenOption.APPEND);
        assertThatThrownBy(() -> JournalReader.read(f)).isInstanceOf(JournalFormatException.class)
                .hasMessageContaining(f + " line 4: unknown input kind \"teleport\"")
                .hasMessageContaining("upgrade Tandem to read it");
    }

    @Test
    void aFileWhereTheDirectoryShouldBeStopsJournalingNotTheNode() throws Exception {
        Path notADir = tmp.resolve("journal");
        Files.writeString(notADir, "I am a file");
        try (Journal j = open(notADir, Journal.Options.defaults())) {
            assertThat(j.active()).isFalse();
            assertThat(j.failed()).isTrue();
            writeTicks(j, 0, 3); // no exception
        }
        assertThat(Files.readString(notADir)).isEqualTo("I am a file");
    }

    @Test
    void aSegmentThatCannotBeCreatedStopsJournalingOnce() throws Exception {
        Path dir = tmp.resolve("j");
        Files.createDirectories(dir.resolve("journal-000000000001.jsonl")); // in the way of the first segment
        Journal j = open(dir, Journal.Options.defaults());
        writeTicks(j, 0, 3);
        j.close(); // waits for the writer, which met the error
        assertThat(j.failed()).isTrue();
        writeTicks(j, 3, 5); // still no exception
        assertThat(JournalReader.segments(dir)).isEmpty();
    }

    @Test
    void aReadOnlyDirectoryStopsJournaling() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ro"));
        boolean readOnly = dir.toFile().setWritable(false, false) && !Files.isWritable(dir);
        org.junit.jupiter.api.Assumptions.assumeTrue(readOnly,
                "running as root: a read-only directory stays writable (the file-in-the-way test covers the error)");
        try {
            Journal j = open(dir, Journal.Options.defaults());
            writeTicks(j, 0, 3);
            j.close();
            assertThat(j.failed()).isTrue();
            assertThat(JournalReader.segments(dir)).isEmpty();
        } finally {
            dir.toFile().setWritable(true, false);
        }
    }

    @Test
    void theToolPrintsTimeAndInput() throws Exception {
        oneSegment(3);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        int rc = JournalTool.run(new String[] {"print", tmp.resolve("j").toString()}, new PrintStream(bos, true,
                StandardCharsets.UTF_8), System.err);
        String out = bos.toString(StandardCharsets.UTF_8);
        assertThat(rc).isZero();
        assertThat(out).contains("journal-000000000001.jsonl: cluster demo, node node1")
                .contains("2023-11-14T22:13:20.100Z  t=100  ActionDone[id=1, result=DONE: started]")
                .contains("t=200  Tick[]");
        assertThat(JournalTool.run(new String[] {"print"}, System.out, new PrintStream(new ByteArrayOutputStream())))
                .isEqualTo(2);
    }
}
