package org.tandemha.examples.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.examples.embed.HelloPair;

/** tandemctl against a running two-node hello cluster (in-memory network), each node with its admin endpoint. */
class TandemCtlTest {
    static HelloPair pair;

    @BeforeAll
    static void start() throws Exception {
        pair = HelloPair.start(true);
    }

    @AfterAll
    static void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    record Run(int code, String out, String err) {
    }

    static Run ctl(String... args) {
        return ctl(Map.of(), args);
    }

    static Run ctl(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new TandemCtl(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false, env).run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String dir(String node) {
        return pair.stateDir(node).toString();
    }

    /** The row of the groups table for {@code group}, split into its first six columns. */
    static List<String> groupRow(String table, String group) {
        List<String> lines = table.lines().toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("GROUP ")).findFirst().orElseThrow());
        String row = lines.subList(header + 1, lines.size()).stream().filter(l -> l.startsWith(group + " ")).findFirst().orElseThrow();
        return Arrays.asList(row.split("\\s+", 7)).subList(0, 6);
    }

    /** Waits until a node's view shows the row (another node's news travels over the network). */
    static void awaitRow(String stateDirOption, List<String> row) throws InterruptedException {
        HelloPair.await("status " + stateDirOption + " shows " + row, () -> groupRow(ctl("status", stateDirOption).out(), "hello").equals(row));
    }

    @Test
    void statusShowsTheTableAndASwitchoverGoesThroughTheCommand() throws Exception {
        Run status = ctl("status", "--state-dir", dir("node1"));
        System.out.println("$ tandemctl status --state-dir " + dir("node1") + "\n" + status.out());
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out()).startsWith("cluster hello, seen from node1 at ");
        // GROUP STATE ACTIVE-ON GEN MODE BLOCKED-ON
        List<String> row = groupRow(status.out(), "hello");
        long gen = Long.parseLong(row.get(3));       // 1, or more if another test moved the group before
        assertThat(row).containsExactly("hello", "ONLINE", "node1", Long.toString(gen), "managed", "-");
        assertThat(status.out()).containsPattern("node2 +REACHABLE").containsPattern("memory +node2 +UP")
                .containsPattern("hello/http +hello-http +running +0 +(OK: answers on 127.0.0.1:\\d+|not checked yet)");

        Run move = ctl("switchover", "hello", "node2", "--state-dir", dir("node1"));
        assertThat(move.code()).as(move.err()).isZero();
        assertThat(move.out()).startsWith("done: ");
        pair.awaitActive("node2");
        assertThat(pair.ask()).isEqualTo("hello from node2\n");
        awaitRow("--state-dir=" + dir("node2"), List.of("hello", "ONLINE", "node2", Long.toString(gen + 1), "managed", "-"));
        Run seenFrom2 = ctl(Map.of("TANDEM_STATE_DIR", dir("node2")), "status");
        assertThat(groupRow(seenFrom2.out(), "hello")).containsExactly("hello", "ONLINE", "node2", Long.toString(gen + 1), "managed", "-");
        awaitRow("--state-dir=" + dir("node1"), List.of("hello", "OFFLINE", "node2", Long.toString(gen + 1), "managed", "-"));

        Run back = ctl("switchback", "hello", "--state-dir", dir("node2"));
        assertThat(back.code()).as(back.err()).isZero();
        pair.awaitActive("node1");
        awaitRow("--state-dir=" + dir("node2"), List.of("hello", "OFFLINE", "node1", Long.toString(gen + 2), "managed", "-"));

        Run json = ctl("status", "--json", "--state-dir", dir("node1"));
        assertThat(StatusJson.readStatus(StatusJson.MAPPER.readTree(json.out())).group("hello").activeNode()).isEqualTo("node1");
    }

    @Test
    void aRefusedCommandExitsOneWithTheReason() throws Exception {
        Run r = ctl("switchover", "nope", "node2", "--state-dir", dir("node1"));
        assertThat(r.code()).isEqualTo(TandemCtl.REFUSED);
        assertThat(r.err()).startsWith("refused: ").contains("no group named 'nope'");
        Run m = ctl("maintenance", "hello", "on", "--state-dir", dir("node1"));
        assertThat(m.code()).as(m.err()).isZero();
        HelloPair.await("node2 sees hello in maintenance",
                () -> groupRow(ctl("status", "--state-dir", dir("node2")).out(), "hello").get(4).equals("maintenance"));
        assertThat(ctl("maintenance", "hello", "off", "--state-dir", dir("node1")).code()).isZero();
        assertThat(ctl("clear", "hello", "--state-dir", dir("node1")).code()).isIn(0, 1);
    }

    @Test
    void eventsArePrintedWithTheirIds() {
        Run all = ctl("events", "--state-dir", dir("node1"));
        assertThat(all.code()).isZero();
        assertThat(all.out()).contains("INFO [node1] NODE_STARTED: node node1 started");
        String last = all.out().lines().reduce((a, b) -> b).orElseThrow();
        long id = Long.parseLong(last.substring(1, last.indexOf(' ')));
        assertThat(ctl("events", "--after", Long.toString(id), "--state-dir", dir("node1")).out()).doesNotContain("#" + id + " ");
    }

    @Test
    void aWrongTokenIsNotAllowed(@TempDir Path copy) throws Exception {
        String real = Files.readString(pair.stateDir("node1").resolve("admin.json"));
        String token = StatusJson.MAPPER.readTree(real).get("token").asText();
        Files.writeString(copy.resolve("admin.json"), real.replace(token, "f".repeat(64)));
        Run r = ctl("status", "--state-dir", copy.toString());
        assertThat(r.code()).isEqualTo(TandemCtl.ERROR);
        assertThat(r.err()).startsWith("tandemctl: not allowed: the node refused the token from " + copy.resolve("admin.json")
                + ": wrong token: use the one in ");
    }

    @Test
    void aNodeThatIsNotRunningIsSaidSo(@TempDir Path empty) throws Exception {
        Run none = ctl("status", "--state-dir", empty.toString());
        assertThat(none.code()).isEqualTo(TandemCtl.ERROR);
        assertThat(none.err()).isEqualTo("tandemctl: node is not running (no " + empty.resolve("admin.json")
                + "); start it, or check --state-dir\n");
        assertThat(ctl("status", "--state-dir", empty.resolve("missing").toString()).err())
                .contains("node is not running (no state directory");

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();           // closed again: nothing answers there
        }
        Files.writeString(empty.resolve("admin.json"), "{\"port\": " + port + ", \"token\": \"abc\"}");
        Run stale = ctl("switchback", "hello", "--state-dir", empty.toString());
        assertThat(stale.code()).isEqualTo(TandemCtl.ERROR);
        assertThat(stale.err()).isEqualTo("tandemctl: node is not running (no answer on 127.0.0.1:" + port
                + "); start it, or check --state-dir\n");

        Files.writeString(empty.resolve("admin.json"), "{\"port\": ");
        assertThat(ctl("status", "--state-dir", empty.toString()).err()).contains("admin.json is damaged")
                .contains("restart the node to write it again");
    }

    @Test
    void anUnreadableTokenFileIsNotAllowed(@TempDir Path d) throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file: the 0600 case needs another user");
        Path f = Files.writeString(d.resolve("admin.json"), "{}");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        assertThat(ctl("status", "--state-dir", d.toString()).err())
                .isEqualTo("tandemctl: not allowed: cannot read " + f + " (run as the node's user or root)\n");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(ctl().err()).startsWith("tandemctl: usage: no command given\nusage: tandemctl COMMAND");
        assertThat(ctl("status").err()).startsWith("tandemctl: usage: say which node with --state-dir DIR");
        assertThat(ctl("frobnicate", "--state-dir", "/x").err()).startsWith("tandemctl: usage: unknown command 'frobnicate'");
        assertThat(ctl("switchover", "hello", "--state-dir", "/x").err()).startsWith("tandemctl: usage: switchover takes GROUP NODE");
        assertThat(ctl("maintenance", "hello", "yes", "--state-dir", "/x").err()).startsWith("tandemctl: usage: maintenance takes on or off, not 'yes'");
        assertThat(ctl("events", "--after", "x", "--state-dir", "/x").err()).contains("--after takes the id of the last event seen");
        assertThat(ctl("status", "--state-dir").err()).startsWith("tandemctl: usage: --state-dir needs a value");
        assertThat(ctl("status", "--verbose").code()).isEqualTo(TandemCtl.ERROR);
        Run help = ctl("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).isEqualTo(TandemCtl.USAGE);
    }
}
