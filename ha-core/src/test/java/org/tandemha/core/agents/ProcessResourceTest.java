package org.tandemha.core.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tandemha.core.agents.TestSupport.await;
import static org.tandemha.core.agents.TestSupport.create;
import static org.tandemha.core.agents.TestSupport.ctx;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.ResourceParts;
import org.tandemha.core.exec.Posix;
import org.tandemha.core.exec.ProcessTree;

class ProcessResourceTest {
    @TempDir
    Path dir;

    private final List<ResourceParts> started = new ArrayList<>();
    private HttpServer http;

    @AfterEach
    void cleanUp() {
        for (ResourceParts p : started) {
            p.resource().stop(ctx(10));
        }
        if (http != null) {
            http.stop(0);
        }
    }

    private ResourceParts process(Map<String, Object> params) throws InvalidConfigException {
        ResourceParts parts = create(new ProcessType(), dir.resolve("state"), "app", params);
        started.add(parts);
        return parts;
    }

    private static long pid(ResourceParts parts) {
        return ((ProcessResource) parts.resource()).pid();
    }

    @Test
    void startsChecksAndStopsAProcessWritingToItsLog() throws Exception {
        ResourceParts p = process(Map.of("command", List.of("/bin/sh", "-c", "echo hello from app; exec sleep 1000")));
        assertThat(p.checker().quickCheck(ctx(2)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);

        ActionResult start = p.resource().start(ctx(10));
        assertThat(start.isDone()).as(start.toString()).isTrue();
        long pid = pid(p);
        assertThat(ProcessTree.alive(pid)).isTrue();
        assertThat(p.checker().quickCheck(ctx(2)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(p.resource().start(ctx(10)).reason()).contains("already running");
        Path log = dir.resolve("state/app.log");
        assertThat(await(() -> read(log).contains("hello from app"), Duration.ofSeconds(10))).isTrue();
        assertThat(Files.readString(dir.resolve("state/app.pid"))).startsWith(pid + "\n");

        ActionResult stop = p.resource().stop(ctx(10));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(ProcessTree.alive(pid)).isFalse();
        assertThat(Files.exists(dir.resolve("state/app.pid"))).isFalse();
        assertThat(p.checker().quickCheck(ctx(2)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(p.resource().stop(ctx(10)).reason()).contains("not running");
    }

    @Test
    void aCrashIsAFailedCheckAndARestartRecoversIt() throws Exception {
        ResourceParts p = process(Map.of("command", List.of("sleep", "1000")));
        assertThat(p.resource().start(ctx(10)).isDone()).isTrue();
        long pid = pid(p);
        Posix.kill(pid, Posix.SIGKILL);
        assertThat(await(() -> !p.checker().quickCheck(ctx(2)).healthy(), Duration.ofSeconds(10))).isTrue();
        CheckResult failed = p.checker().quickCheck(ctx(2));
        assertThat(failed.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(failed.reason()).contains("killed by signal 9");

        ActionResult recovered = p.recoverer().recover(ctx(10), failed);
        assertThat(recovered.isDone()).as(recovered.toString()).isTrue();
        assertThat(pid(p)).isNotEqualTo(pid);
        assertThat(p.checker().quickCheck(ctx(2)).health()).isEqualTo(CheckResult.Health.OK);
    }

    @Test
    void aStoppedProcessFailsTheDeepCheckByTimeoutAndStillStops() throws Exception {
        // the process answers a request file with a response file; the check command waits for the answer
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("command", "while :; do if [ -e req ]; then rm -f req; touch resp; fi; sleep 0.05; done");
        params.put("checkCommand", "rm -f resp; touch req; while [ ! -e resp ]; do sleep 0.05; done");
        params.put("directory", dir.toString());
        ResourceParts p = process(params);
        ActionResult start = p.resource().start(ctx(20));
        assertThat(start.isDone()).as(start.toString()).isTrue();
        assertThat(start.reason()).contains("ready");
        assertThat(p.checker().deepCheck(ctx(10)).health()).isEqualTo(CheckResult.Health.OK);

        long pid = pid(p);
        // stop the whole group (again, should a child have been forking at that moment) until the leader is stopped
        assertThat(await(() -> Posix.killGroup(pid, Posix.SIGSTOP) && ProcessTree.state(pid) == 'T', Duration.ofSeconds(10))).isTrue();
        CheckResult deep = p.checker().deepCheck(ctx(1));
        assertThat(deep.health()).isEqualTo(CheckResult.Health.TIMEOUT);
        assertThat(deep.reason()).contains("timeout after 1 s");
        // alive, so the quick check passes: the hang is the deep check's to find
        assertThat(p.checker().quickCheck(ctx(1)).healthy()).isTrue();

        ActionResult stop = p.resource().stop(ctx(10));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(ProcessTree.alive(pid)).isFalse();
    }

    @Test
    void aStoppedProcessIsShownDegraded() throws Exception {
        ResourceParts p = process(Map.of("command", List.of("sleep", "1000")));
        assertThat(p.resource().start(ctx(10)).isDone()).isTrue();
        long pid = pid(p);
        Posix.kill(pid, Posix.SIGSTOP);
        assertThat(await(() -> ProcessTree.state(pid) == 'T', Duration.ofSeconds(10))).isTrue();
        CheckResult quick = p.checker().quickCheck(ctx(1));
        assertThat(quick.health()).isEqualTo(CheckResult.Health.DEGRADED);
        assertThat(quick.reason()).contains("stopped");
        assertThat(p.resource().stop(ctx(10)).isDone()).isTrue();
        assertThat(ProcessTree.alive(pid)).isFalse();
    }

    @Test
    void stopKillsFiftyChildrenAndGrandchildrenEvenThoseIgnoringSigtermOrLeavingTheSession() throws Exception {
        Path script = TestSupport.executable("tree.sh", dir);
        Path pids = dir.resolve("pids.txt");
        ResourceParts p = process(Map.of("command", List.of("/bin/sh", script.toString(), pids.toString()), "stopGrace", "1s"));
        assertThat(p.resource().start(ctx(10)).isDone()).isTrue();
        assertThat(await(() -> TestSupport.readPids(pids).size() >= 51, Duration.ofSeconds(30)))
                .as("51 processes started: %s", TestSupport.readPids(pids).size()).isTrue();
        List<Long> all = TestSupport.readPids(pids);
        assertThat(all.stream().filter(ProcessTree::alive).count()).isEqualTo(51);

        ActionResult stop = p.resource().stop(ctx(30));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(all.stream().filter(ProcessTree::alive).toList()).as("survivors").isEmpty();
    }

    @Test
    void aProgramThatDoesNotExistIsNotInstalled() throws Exception {
        ResourceParts p = process(Map.of("command", List.of("/nonexistent/tandem-app", "--serve")));
        ActionResult start = p.resource().start(ctx(5));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(start.reason()).contains("/nonexistent/tandem-app").contains("not found");
        assertThat(p.resource().stop(ctx(5)).isDone()).isTrue();
    }

    @Test
    void aProgramThatExitsAtOnceFailsItsStartWithItsOutput() throws Exception {
        ResourceParts p = process(Map.of("command", "echo 'boom: bad port' >&2; exit 3", "checkTcp", "127.0.0.1:" + closedPort()));
        ActionResult start = p.resource().start(ctx(10));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.ERROR);
        assertThat(start.reason()).contains("exited with code 3");
        assertThat(start.output()).contains("boom: bad port");
    }

    @Test
    void aStartThatNeverBecomesReadyTimesOutAndLeavesNothing() throws Exception {
        ResourceParts p = process(Map.of("command", List.of("sleep", "1000"), "checkTcp", "127.0.0.1:" + closedPort()));
        ActionResult start = p.resource().start(ctx(1));
        assertThat(start.outcome()).isEqualTo(ActionResult.Outcome.TIMEOUT);
        assertThat(start.reason()).contains("timeout after 1 s").contains("Connection refused");
        assertThat(pid(p)).isEqualTo(-1);
    }

    @Test
    void stopFindsAProcessLeftByAPreviousRunThroughThePidFile() throws Exception {
        ResourceParts first = process(Map.of("command", List.of("sleep", "1000")));
        assertThat(first.resource().start(ctx(10)).isDone()).isTrue();
        long pid = pid(first);
        // a new run of the node: new objects, same state directory
        ResourceParts second = process(Map.of("command", List.of("sleep", "1000")));
        ActionResult stop = second.resource().stop(ctx(10));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(stop.reason()).contains("previous run");
        assertThat(ProcessTree.alive(pid)).isFalse();
    }

    @Test
    void aStalePidFileNeverKillsAStranger() throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        long me = ProcessHandle.current().pid();
        // our own pid, with a start time that is not ours: a reused pid
        Files.writeString(state.resolve("app.pid"), me + "\n1\n" + ProcessTree.bootId() + "\n");
        ResourceParts p = process(Map.of("command", List.of("sleep", "1000")));
        assertThat(p.resource().stop(ctx(5)).isDone()).isTrue();
        assertThat(p.checker().quickCheck(ctx(2)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(ProcessTree.alive(me)).isTrue();
    }

    @Test
    void httpAndTcpDeepChecks() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/ok", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        http.createContext("/fail", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        http.createContext("/hang", ex -> {
            try {
                never.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        http.start();
        int port = http.getAddress().getPort();
        String base = "http://127.0.0.1:" + port;
        try {
            assertThat(deep(Map.of("checkHttp", base + "/ok", "checkTcp", "127.0.0.1:" + port), 5).health())
                    .isEqualTo(CheckResult.Health.OK);
            CheckResult fail = deep(Map.of("checkHttp", base + "/fail", "waitReady", false), 5);
            assertThat(fail.health()).isEqualTo(CheckResult.Health.FAILED);
            assertThat(fail.reason()).contains("HTTP 503");
            CheckResult hang = deep(Map.of("checkHttp", base + "/hang", "waitReady", false), 1);
            assertThat(hang.health()).isEqualTo(CheckResult.Health.TIMEOUT);
            assertThat(hang.reason()).contains("timeout after 1 s");
            CheckResult refused = deep(Map.of("checkTcp", "127.0.0.1:" + closedPort(), "waitReady", false), 5);
            assertThat(refused.health()).isEqualTo(CheckResult.Health.FAILED);
        } finally {
            never.countDown();
        }
    }

    private CheckResult deep(Map<String, Object> checks, long timeoutSeconds) throws Exception {
        Map<String, Object> params = new LinkedHashMap<>(checks);
        params.put("command", List.of("sleep", "1000"));
        ResourceParts p = process(params);
        ActionResult start = p.resource().start(ctx(10));
        assertThat(start.isDone()).as(start.toString()).isTrue();
        try {
            return p.checker().deepCheck(ctx(timeoutSeconds));
        } finally {
            assertThat(p.resource().stop(ctx(10)).isDone()).isTrue();
        }
    }

    @Test
    void badConfigurationListsEveryProblem() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("checkTcp", "nope");
        params.put("checkHttp", "ftp://example.org/");
        params.put("stopGrace", "5");
        params.put("directory", "relative/dir");
        params.put("comand", "typo");
        assertThatThrownBy(() -> create(new ProcessType(), dir, "app", params))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).problems()).hasSize(6))
                .hasMessageContaining("required parameter 'command'")
                .hasMessageContaining("not host:port")
                .hasMessageContaining("http:// or https://")
                .hasMessageContaining("the unit is required")
                .hasMessageContaining("relative path")
                .hasMessageContaining("unknown parameter 'comand'");
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
