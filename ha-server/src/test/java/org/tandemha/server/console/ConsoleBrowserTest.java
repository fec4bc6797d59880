package org.tandemha.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.tandemha.core.json.JsonTrees;

/**
 * The web console in headless Chromium against a real two-node cluster: two {@code tandem run} processes (the
 * {@code org.tandemha.server.cli.Tandem} main class on this test's class path), heartbeats over UDP on 127.0.0.1, one
 * group {@code web} of a {@code process} resource. The active node is killed with SIGKILL ({@link Process#destroyForcibly}),
 * as {@code kill -9} would. The tests run in order on one cluster.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (scripts/test.sh installs them); skips saying so
 * when they are absent. Screenshots go to {@code target/console/}, and to {@code docs/console/} with
 * {@code -Dtandem.console.screenshots=PATH}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    static final String VIEWER = "viewer-token-0123456789abcdef";
    static final String OPERATOR = "operator-token-0123456789abcdef";
    static final String ADMIN = "admin-token-0123456789abcdef";

    private Path dir;
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final List<ProcessHandle> leftBehind = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private WebDriver browser;
    private Path shots;

    @BeforeAll
    void cluster() throws Exception {
        String chromium = firstExisting(System.getProperty("tandem.chromium"), "/usr/bin/chromium", "/usr/bin/chromium-browser");
        String driver = firstExisting(System.getProperty("tandem.chromedriver"), "/usr/bin/chromedriver",
                "/usr/lib/chromium/chromedriver");
        assumeTrue(chromium != null && driver != null, "the console's browser tests need Chromium and its driver: install"
                + " Debian's packages chromium and chromium-driver (scripts/test.sh does, as root); skipped");
        dir = Files.createTempDirectory("tandem-console-");
        shots = Path.of("target", "console");
        Files.createDirectories(shots);
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, "viewer-v viewer " + VIEWER + "\nalice operator " + OPERATOR + "\nroot admin " + ADMIN + "\n");
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-------"));
        ports.put("node1", freeTcpPort());
        ports.put("node2", freeTcpPort());
        Path config = dir.resolve("tandem.yaml");
        Files.writeString(config, """
                cluster: shop
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                  - {id: node1, addresses: {heartbeat: "127.0.0.1:%d"}}
                  - {id: node2, addresses: {heartbeat: "127.0.0.1:%d"}}
                paths: [{name: heartbeat, transport: udp, interval: 150ms, misses: 3}]
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 2s}
                ping: {hosts: [127.0.0.1], method: tcp, port: %d, interval: 500ms, timeout: 400ms, dampen: 1s}
                groups:
                  - id: web
                    nodes: [node1, node2]
                    resources:
                      - id: app
                        type: process
                        params: {command: [sleep, "600"], stopGrace: 1s}
                        quickCheck: {interval: 500ms, timeout: 2s}
                server:
                  tokensFile: tokens
                  peers: [http://127.0.0.1:%d, http://127.0.0.1:%d]
                """.formatted(freeUdpPort(), freeUdpPort(), freeTcpPort(), ports.get("node1"), ports.get("node2")));
        for (String id : ports.keySet()) {
            nodes.put(id, launch(config, id));
        }
        await("web online on node1, as both nodes see it", Duration.ofSeconds(60), () -> {
            for (String id : ports.keySet()) {
                var s = status(id, VIEWER);
                if (s == null || !"node1".equals(s.path("groups").path(0).path("activeNode").asText())) {
                    return false;
                }
            }
            return "ONLINE".equals(status("node1", VIEWER).path("groups").path(0).path("localState").asText());
        });
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--user-data-dir=" + dir.resolve("chromium"));
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver)).usingAnyFreePort().build();
        browser = new ChromeDriver(svc, o);
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        for (Process p : nodes.values()) {
            leftBehind.addAll(p.descendants().toList());
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        leftBehind.forEach(ProcessHandle::destroyForcibly); // what a killed node left running (its sleep)
        if (dir != null && !Boolean.getBoolean("tandem.keepTestDirs")) { // (-Dtandem.keepTestDirs=true keeps the logs)
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------ the tests, in order

    @Test
    @Order(1)
    void aViewerSeesBothNodesAndTheGroupButNoButtons() throws Exception {
        signIn("node2", VIEWER);
        waitFor("both nodes and the group on the page", () -> text("#nodes").contains("node1") && text("#nodes").contains("node2")
                && "node1".equals(attr("article.group[data-group=web]", "data-active")));
        assertThat(text("header")).contains("served by node2").contains("viewer-v (viewer)");
        assertThat(browser.findElements(By.cssSelector("button[data-act]"))).as("action buttons for a viewer").isEmpty();
        // the what-if panel is there but disabled, saying why
        waitFor("the what-if panel disabled with the reason", () -> browser.findElement(By.id("wi-disabled")).isDisplayed());
        assertThat(text("#wi-disabled")).contains("operator role").contains("viewer");
        assertThat(browser.findElement(By.id("wi-run")).isEnabled()).isFalse();
        assertThat(browser.findElement(By.id("wi-pick")).isEnabled()).isFalse();
        assertThat(post("node2", "/api/v1/whatif", VIEWER, "{\"events\":\"crash node1\"}").statusCode()).isEqualTo(403);
        assertThat(text("#paths")).contains("node1").contains("heartbeat").contains("UP");
        // the ping section's counts: each node pings 127.0.0.1 on a closed port (a refusal is an answer)
        waitFor("both nodes' ping counts", () -> "1".equals(attr("[data-node=node1] .ping", "data-ping-reachable"))
                && "1".equals(attr("[data-node=node2] .ping", "data-ping-reachable")));
        assertThat(text("[data-node=node1] .ping")).contains("ping 1/1").contains("reaches 1 of its 1 ping hosts");
        assertThat(status("node2", VIEWER).at("/nodes/0/pingHosts").asInt()).isEqualTo(1);
        assertThat(text("article.group[data-group=web]")).contains("Ready to fail over?").contains("eligible standby: node2");
        HttpResponse<String> r = post("node2", "/api/v1/groups/web/switchover", VIEWER, "{\"target\":\"node2\"}");
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("role viewer");
        // the files need no token, the data does
        assertThat(get("node2", "/", null).statusCode()).isEqualTo(200);
        assertThat(get("node2", "/api/v1/status", null).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(2)
    void anOperatorSimulatesACrashOfTheActiveNodeInTheWhatIfPanel() throws Exception {
        click(By.id("signout"));
        signIn("node2", OPERATOR);
        waitFor("the what-if panel enabled", () -> browser.findElement(By.id("wi-run")).isEnabled()
                && !browser.findElement(By.id("wi-disabled")).isDisplayed());
        waitFor("node1's status polled (its paths in the choices)", () -> text("#sources").contains("node1 polled"));
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("wi-pick"))).selectByValue("crash node1");
        WebElement events = browser.findElement(By.id("wi-text"));
        assertThat(events.getAttribute("value")).isEqualTo("crash node1");
        events.sendKeys(org.openqa.selenium.Keys.ENTER); // the keyboard runs it
        waitFor("the plan", () -> !browser.findElements(By.cssSelector("#wi-result .wi-out")).isEmpty());
        assertThat(attr("#wi-result .wi-out", "data-status")).as(text("#wi-result")).isEqualTo("200");
        WebElement web = browser.findElement(By.cssSelector("#wi-result table.wi-placement tr[data-group=web]"));
        assertThat(web.getAttribute("data-running")).as("web's final placement").isEqualTo("node2");
        double downtime = Double.parseDouble(web.findElement(By.cssSelector("td.wi-down")).getAttribute("data-ms"));
        System.out.printf("console: what-if 'crash node1': web on node2 after %.0f ms of downtime%n", downtime);
        assertThat(downtime).as("the expected downtime of web").isPositive();
        assertThat(web.findElement(By.cssSelector("td.wi-down")).getText()).matches("\\d+\\.\\d{3} s .*");
        String plan = text("#wi-result");
        assertThat(plan).contains("Decisions, step by step").contains("node2");
        assertThat(browser.findElements(By.cssSelector("#wi-result table.wi-decisions tbody tr"))).isNotEmpty();
        assertThat(status("node1", VIEWER).path("groups").path(0).path("activeNode").asText()).as("a what-if changes nothing")
                .isEqualTo("node1");
        ((JavascriptExecutor) browser).executeScript("document.getElementById('whatif').scrollIntoView(true)");
        screenshot("whatif");
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
    }

    @Test
    @Order(3)
    void anOperatorPreviewsThenSwitchesOverAndItIsAudited() throws Exception {
        waitFor("the operator's buttons", () -> !browser.findElements(By.cssSelector("button[data-act=switchover]")).isEmpty());
        waitFor("node1's events merged into the timeline", () -> text("#sources").contains("node1 polled"));
        screenshot("overview");
        click(By.cssSelector("button[data-act=switchover][data-target=node2]"));
        waitFor("the preview", () -> browser.findElement(By.id("dlg")).isDisplayed());
        String preview = text("#dlg");
        assertThat(preview).contains("Preview: switchover of web to node2").contains("stop").contains("start")
                .contains("app (process)").contains("Expected downtime").contains("Arbiters:");
        // beside it, the simulated outcome: the what-if of this switchover from the live state
        waitFor("the simulated outcome", () -> !"running".equals(attr("#dlg-sim", "data-state")));
        assertThat(attr("#dlg-sim", "data-state")).as(text("#dlg-sim")).isEqualTo("done");
        assertThat(text("#dlg")).contains("Simulated outcome").contains("switchover web node2");
        assertThat(attr("#dlg-sim table.wi-placement tr[data-group=web]", "data-running")).isEqualTo("node2");
        screenshot("switchover-preview");
        click(By.id("dlg-ok"));
        waitFor("web on node2 in the page", () -> "node2".equals(attr("article.group[data-group=web]", "data-active")));
        waitFor("the result in the timeline", () -> text("#timeline").contains("switchover web to node2 by alice: done"));
        String audit = Files.readString(dir.resolve("state/node2/audit.log"));
        assertThat(audit).contains("\"who\":\"alice\"").contains("\"command\":\"switchover\"").contains("\"status\":200");
    }

    @Test
    @Order(4)
    void aCutOfEveryPathShowsTheBanner() throws Exception {
        browser.get(url("node1") + "/");
        signIn("node1", OPERATOR);
        waitFor("node1's page with both nodes up", () -> "REACHABLE".equals(attr("[data-node=node2]", "data-state")));
        assertThat(browser.findElement(By.id("banner")).isDisplayed()).isFalse();
        // no failover while the paths are cut: the group is left alone
        assertThat(post("node2", "/api/v1/groups/web/maintenance", OPERATOR, "{\"on\":true}").statusCode()).isEqualTo(200);
        // maintenance travels with the heartbeats: node1 must know it before the paths are cut
        await("node1 knows web is in maintenance", Duration.ofSeconds(20), () -> !status("node1", VIEWER)
                .path("groups").path(0).path("managed").asBoolean(true));
        try {
            for (String id : ports.keySet()) {
                assertThat(post(id, "/api/v1/paths/heartbeat/enable", ADMIN, "{\"on\":false}").statusCode()).isEqualTo(200);
            }
            waitFor("the banner", () -> browser.findElement(By.id("banner")).isDisplayed());
            assertThat(text("#banner")).contains("node1 is cut off from its peers").contains("as last heard");
            waitFor("node2 marked as last heard", () -> text("[data-node=node2]").contains("as last heard"));
            screenshot("partition");
        } finally {
            for (String id : ports.keySet()) {
                post(id, "/api/v1/paths/heartbeat/enable", ADMIN, "{\"on\":true}");
            }
        }
        waitFor("the banner gone once the paths are back", () -> !browser.findElement(By.id("banner")).isDisplayed());
        await("node2 still holds web", Duration.ofSeconds(20), () -> "node2".equals(status("node1", VIEWER)
                .path("groups").path(0).path("activeNode").asText()));
        assertThat(post("node2", "/api/v1/groups/web/maintenance", OPERATOR, "{\"on\":false}").statusCode()).isEqualTo(200);
        waitFor("web managed again", () -> !text("article.group[data-group=web]").contains("maintenance"));
    }

    @Test
    @Order(5)
    void aKilledActiveNodeShowsWithinTwoSecondsAndTheTakeoverInTheTimeline() throws Exception {
        assertThat(status("node1", VIEWER).path("groups").path(0).path("activeNode").asText()).isEqualTo("node2");
        int takeoversBefore = browser.findElements(By.cssSelector("li.takeover")).size();
        Process active = nodes.get("node2");
        leftBehind.addAll(active.descendants().toList());
        long t0 = System.nanoTime();
        active.destroyForcibly(); // SIGKILL, as kill -9
        waitFor("node2 no longer up on node1's page", () -> {
            String s = attr("[data-node=node2]", "data-state");
            return s != null && !s.equals("REACHABLE");
        });
        long shownMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("console: kill -9 of node2 shown in node1's page after %d ms%n", shownMs);
        assertThat(shownMs).as("kill -9 of the active node shown in the page").isLessThan(2000);
        waitFor("the takeover's steps in the timeline", () -> browser.findElements(By.cssSelector("li.takeover")).size() > takeoversBefore);
        WebElement t = browser.findElement(By.cssSelector("li.takeover"));
        assertThat(t.getText()).contains("takeover of web by node1");
        List<String> steps = t.findElements(By.cssSelector("tr.step")).stream().map(e -> e.getAttribute("data-step")).toList();
        assertThat(steps).contains("detection", "safety check", "claim", "start", "online");
        waitFor("web on node1 in the page", () -> "node1".equals(attr("article.group[data-group=web]", "data-active")));
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0); document.querySelector('li.takeover').scrollIntoView(true);"
                + " window.scrollBy(0, -120)");
        screenshot("takeover");
        // the filter by kind keeps the takeover
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("f-kind"))).selectByValue("TAKEOVER");
        waitFor("only takeovers", () -> browser.findElements(By.cssSelector("#timeline li:not(.takeover)")).isEmpty());
    }

    /**
     * The what-if choices for a promotable group with a DR site (this cluster has none: the page's own function is
     * given a status and a configuration): the standby faults on each node that is not the primary, and the DR
     * commands given on the DR node; none of them for an ordinary group.
     */
    @Test
    @Order(6)
    void theWhatIfPanelOffersStandbyFaultsAndDrCommandsForAPromotableGroup() throws Exception {
        waitFor("the console's script", () -> Boolean.TRUE.equals(((JavascriptExecutor) browser)
                .executeScript("return typeof window.tandemWhatIfChoices === 'function'")));
        String status = """
                {"localNode": "node1", "nodes": [{"node": "node1"}, {"node": "node2"}, {"node": "node3"}], "paths": [],
                 "groups": [{"group": "db", "activeNode": "node1", "preferred": ["node1", "node2", "node3"], "managed": true,
                             "resources": [{"id": "pg"}, {"id": "vip"}]},
                            {"group": "web", "activeNode": "node2", "preferred": ["node2", "node1"], "managed": true,
                             "resources": [{"id": "app"}]}]}""";
        String info = """
                {"arbiters": [], "groups": [{"id": "db", "promotable": true, "replicated": "pg", "drNodes": ["node3"]},
                                            {"id": "web", "promotable": false, "replicated": null, "drNodes": []}]}""";
        String json = (String) ((JavascriptExecutor) browser).executeScript("return JSON.stringify(window.tandemWhatIfChoices("
                + "JSON.parse(arguments[0]), JSON.parse(arguments[1]), {}))", status, info);
        Map<String, List<String>> choices = new LinkedHashMap<>();
        JsonTrees.parse(json).forEach(sec -> {
            List<String> events = new ArrayList<>();
            sec.get(1).forEach(o -> events.add(o.get(1).asText()));
            choices.put(sec.get(0).asText(), events);
        });
        assertThat(choices.keySet()).containsExactly("Nodes", "Heartbeat paths", "Arbiters", "Resources",
                "Standbys (promotable groups)", "Commands", "Disaster recovery (DR site)", "Your own");
        assertThat(choices.get("Standbys (promotable groups)")).containsExactly(
                "standby-lags node2 db", "standby-start-fails node2 db", "healthy node2 db pg",
                "standby-lags node3 db", "standby-start-fails node3 db", "healthy node3 db pg");
        assertThat(choices.get("Disaster recovery (DR site)")).containsExactly(
                "command node3 promote-dr-preview db node3", "command node3 promote-dr db node3",
                "command node3 promote-dr-fence db node3",
                "crash node1; crash node2; at 5s command node3 promote-dr-fence db node3");
        // an ordinary group, or a server without the configuration: neither section
        String plainInfo = "{\"arbiters\": null}";
        String plain = (String) ((JavascriptExecutor) browser).executeScript("return JSON.stringify(window.tandemWhatIfChoices("
                + "JSON.parse(arguments[0]), JSON.parse(arguments[1]), {}).map(function (c) { return c[0]; }))", status, plainInfo);
        assertThat(plain).doesNotContain("Standbys").doesNotContain("Disaster recovery");
    }

    // ------------------------------------------------------------------ helpers

    private void signIn(String node, String token) throws InterruptedException {
        browser.get(url(node) + "/");
        waitFor("the sign-in form", () -> browser.findElement(By.id("token")).isDisplayed());
        browser.findElement(By.id("token")).sendKeys(token);
        click(By.id("signin"));
        waitFor("the console", () -> browser.findElement(By.id("main")).isDisplayed() && text("#nodes").contains("node"));
    }

    /** Finds and clicks again when the live page re-rendered the element between the two (bounded). */
    private void click(By by) {
        for (int attempt = 0; ; attempt++) {
            try {
                browser.findElement(by).click();
                return;
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt >= 20) {
                    throw e;
                }
            }
        }
    }

    private String text(String css) {
        for (int attempt = 0; ; attempt++) {
            try {
                List<WebElement> e = browser.findElements(By.cssSelector(css));
                return e.isEmpty() ? "" : e.get(0).getText();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt >= 20) {
                    throw e; // the page re-rendered under us every time
                }
            }
        }
    }

    private String attr(String css, String name) {
        for (int attempt = 0; ; attempt++) {
            try {
                List<WebElement> e = browser.findElements(By.cssSelector(css));
                return e.isEmpty() ? null : e.get(0).getAttribute(name);
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt >= 20) {
                    throw e;
                }
            }
        }
    }

    private void waitFor(String what, Supplier<Boolean> cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                if (Boolean.TRUE.equals(cond.get())) {
                    return;
                }
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                // the page re-rendered under us: ask again
            }
            if (System.nanoTime() > end) {
                screenshotQuietly("failed-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
                throw new AssertionError("timed out waiting for: " + what + "; the page says: " + text("body"));
            }
            Thread.sleep(50);
        }
    }

    private void screenshot(String name) throws IOException {
        Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(png, shots.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        String docs = System.getProperty("tandem.console.screenshots");
        if (docs != null && !docs.isBlank()) {
            Files.createDirectories(Path.of(docs));
            Files.copy(png, Path.of(docs, name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void screenshotQuietly(String name) {
        try {
            screenshot(name);
        } catch (IOException | RuntimeException ignored) {
            // best effort: the assertion says what was wrong
        }
    }

    private String url(String node) {
        return "http://127.0.0.1:" + ports.get(node);
    }

    private Process launch(Path config, String id) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(), "-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp,
                "org.tandemha.server.cli.Tandem", "run", "--config", config.toString(), "--node", id,
                "--state-dir", dir.resolve("state/" + id).toString(), "--listen", "127.0.0.1:" + ports.get(id));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(id + ".log").toFile()).start();
    }

    private com.fasterxml.jackson.databind.JsonNode status(String node, String token) {
        try {
            HttpResponse<String> r = get(node, "/api/v1/status", token);
            return r.statusCode() == 200 ? JsonTrees.parse(r.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private HttpResponse<String> get(String node, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(node) + path)).timeout(Duration.ofSeconds(5)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String node, String path, String token, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(url(node) + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private void await(String what, Duration max, Supplier<Boolean> cond) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (!Boolean.TRUE.equals(cond.get())) {
            if (System.nanoTime() > end) {
                StringBuilder logs = new StringBuilder();
                for (String id : ports.keySet()) {
                    Path log = dir.resolve(id + ".log");
                    if (Files.exists(log)) {
                        String s = Files.readString(log);
                        logs.append("\n--- ").append(id).append(".log (end)\n").append(s.substring(Math.max(0, s.length() - 3000)));
                    }
                }
                throw new AssertionError("timed out waiting for: " + what + logs);
            }
            Thread.sleep(100);
        }
    }

    private static String firstExisting(String... paths) {
        for (String p : paths) {
            if (p != null && Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0)) {
            return s.getLocalPort();
        }
    }
}
