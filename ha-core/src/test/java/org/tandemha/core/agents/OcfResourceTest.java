package org.tandemha.core.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tandemha.core.agents.TestSupport.create;
import static org.tandemha.core.agents.TestSupport.ctx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.ResourceParts;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;
import org.tandemha.core.exec.ProcessTree;

class OcfResourceTest {
    private static final Path HEARTBEAT = Path.of("/usr/lib/ocf/resource.d/heartbeat");

    @TempDir
    Path dir;
    private Path ocfRoot;

    @BeforeEach
    void needsResourceAgents() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(HEARTBEAT),
                "Debian package resource-agents is not installed (apt-get install resource-agents); OCF tests skipped");
        // an OCF root with our test agent under provider "tandemtest" and the real shell library
        ocfRoot = dir.resolve("ocf");
        TestSupport.executable("ocf/tandemtest/Probe", dir.resolve("src"));
        Files.createDirectories(ocfRoot.resolve("resource.d"));
        Files.move(dir.resolve("src/ocf/tandemtest"), ocfRoot.resolve("resource.d/tandemtest"));
        Files.createSymbolicLink(ocfRoot.resolve("lib"), Path.of("/usr/lib/ocf/lib"));
    }

    private ResourceParts probe(Map<String, String> agentParams) throws InvalidConfigException {
        Map<String, String> ap = new LinkedHashMap<>(agentParams);
        ap.putIfAbsent("dir", dir.toString());
        return create(new OcfType(), dir.resolve("state"), "app",
                Map.of("agent", "ocf:tandemtest:Probe", "ocfRoot", ocfRoot.toString(), "agentParams", ap));
    }

    @Test
    void theDummyAgentThroughStartMonitorStop() throws Exception {
        Path state = dir.resolve("dummy.state");
        ResourceParts p = create(new OcfType(), dir.resolve("state"), "dummy1",
                Map.of("agent", "ocf:heartbeat:Dummy", "agentParams", Map.of("state", state.toString())));
        assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        ActionResult start = p.resource().start(ctx(20));
        assertThat(start.isDone()).as(start.toString()).isTrue();
        assertThat(state).exists();
        assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(p.checker().deepCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(((Validatable) p.resource()).validate(ctx(20)).isDone()).isTrue();
        ActionResult stop = p.resource().stop(ctx(20));
        assertThat(stop.isDone()).as(stop.toString()).isTrue();
        assertThat(state).doesNotExist();
        assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        assertThat(p.resource().stop(ctx(20)).isDone()).isTrue();

        AdvisedTimeouts advised = (AdvisedTimeouts) p.resource();
        assertThat(advised.advised("start")).contains(Duration.ofSeconds(20));
        assertThat(advised.advised("quickCheck")).contains(Duration.ofSeconds(20));
        assertThat(advised.advisedInterval("quickCheck")).contains(Duration.ofSeconds(10));
        assertThat(advised.advised("meta-data")).contains(Duration.ofSeconds(5));
    }

    @Test
    void theReadmesOwnAgentForAHomeGrownDaemon() throws Exception {
        TestSupport.executable("ocf/mycompany/myapp", dir.resolve("src"));
        Files.move(dir.resolve("src/ocf/mycompany"), ocfRoot.resolve("resource.d/mycompany"));
        Path healthy = dir.resolve("healthy");
        Path pidFile = dir.resolve("myapp.pid");
        Map<String, Object> params = Map.of("agent", "ocf:mycompany:myapp", "ocfRoot", ocfRoot.toString(), "agentParams",
                Map.of("binary", "/bin/sleep", "args", "100000", "health", "test -e " + healthy, "pidfile", pidFile.toString()));
        ResourceParts p = create(new OcfType(), dir.resolve("state"), "myapp", params);
        try {
            Files.writeString(healthy, "");
            ActionResult start = p.resource().start(ctx(30));
            assertThat(start.isDone()).as(start + " " + start.output()).isTrue();
            long pid = TestSupport.readPids(pidFile).get(0);
            assertThat(ProcessTree.alive(pid)).as("the daemon outlives the start action").isTrue();
            assertThat(p.checker().quickCheck(ctx(10)).health()).isEqualTo(CheckResult.Health.OK);
            assertThat(p.checker().deepCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);

            Files.delete(healthy);
            CheckResult sick = p.checker().deepCheck(ctx(20));
            assertThat(sick.health()).isEqualTo(CheckResult.Health.FAILED);
            assertThat(sick.severity()).isEqualTo(Severity.SOFT);
            assertThat(sick.output()).anyMatch(l -> l.contains("health command failed"));
            assertThat(p.checker().quickCheck(ctx(10)).health()).isEqualTo(CheckResult.Health.OK);

            ActionResult stop = p.resource().stop(ctx(30));
            assertThat(stop.isDone()).as(stop.toString()).isTrue();
            assertThat(ProcessTree.alive(pid)).isFalse();
            assertThat(p.checker().quickCheck(ctx(10)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
            assertThat(((AdvisedTimeouts) p.resource()).advised("deepCheck")).contains(Duration.ofSeconds(20));
        } finally {
            p.resource().stop(ctx(30));
        }
        ResourceParts missing = create(new OcfType(), dir.resolve("state"), "myapp2", Map.of("agent", "ocf:mycompany:myapp",
                "ocfRoot", ocfRoot.toString(), "agentParams", Map.of("binary", "/nonexistent/myapp")));
        ActionResult notInstalled = missing.resource().start(ctx(30));
        assertThat(notInstalled.outcome()).isEqualTo(ActionResult.Outcome.NOT_INSTALLED);
        assertThat(notInstalled.severity()).isEqualTo(Severity.HARD);
        assertThatThrownBy(() -> create(new OcfType(), dir, "x", Map.of("agent", "ocf:mycompany:myapp",
                "ocfRoot", ocfRoot.toString(), "agentParams", Map.of("args", "--port 8080"))))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("requires parameter 'binary' (program)");
    }

    @Test
    void aProbeIsAOneOffMonitorWithIntervalZero() throws Exception {
        ResourceParts p = probe(Map.of());
        Probeable probe = (Probeable) p.resource();
        assertThat(probe.probe(ctx(20)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        List<String> env = Files.readAllLines(dir.resolve("env-monitor.txt"));
        assertThat(env).contains("OCF_RESKEY_CRM_meta_interval=0", "OCF_CHECK_LEVEL=0", "OCF_RESKEY_CRM_meta_timeout=20000",
                "OCF_RESOURCE_INSTANCE=app");
        assertThat(p.resource().start(ctx(20)).isDone()).isTrue();
        CheckResult running = probe.probe(ctx(20));
        assertThat(running.health()).isEqualTo(CheckResult.Health.OK);
        assertThat(running.reason()).contains("probe");
        // a regular check keeps its interval (the agent's advised 4 s), so the agent can tell the two apart
        assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(Files.readAllLines(dir.resolve("env-monitor.txt"))).contains("OCF_RESKEY_CRM_meta_interval=4000");
    }

    @Test
    void theAgentGetsTheEnvironmentPacemakerGives() throws Exception {
        ResourceParts p = probe(Map.of("mode", "b", "flag", "yes"));
        assertThat(p.resource().start(ctx(20)).isDone()).isTrue();
        assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);
        List<String> quick = Files.readAllLines(dir.resolve("env-monitor.txt"));
        assertThat(quick).contains("OCF_CHECK_LEVEL=0", "OCF_RESKEY_CRM_meta_interval=4000", "OCF_RESKEY_CRM_meta_timeout=20000",
                "OCF_RESOURCE_INSTANCE=app", "OCF_RESOURCE_TYPE=Probe", "OCF_RESOURCE_PROVIDER=tandemtest",
                "OCF_RA_VERSION_MAJOR=1", "OCF_RA_VERSION_MINOR=1", "OCF_ROOT=" + ocfRoot, "OCF_RESKEY_mode=b",
                "OCF_RESKEY_flag=yes", "OCF_RESKEY_dir=" + dir, "OCF_RESKEY_CRM_meta_on_node=node1");
        assertThat(p.checker().deepCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);
        assertThat(Files.readAllLines(dir.resolve("env-monitor.txt")))
                .contains("OCF_CHECK_LEVEL=20", "OCF_RESKEY_CRM_meta_interval=30000");
        assertThat(Files.readAllLines(dir.resolve("env-start.txt"))).doesNotContain("OCF_CHECK_LEVEL=0");

        AdvisedTimeouts advised = (AdvisedTimeouts) p.resource();
        assertThat(advised.advised("start")).contains(Duration.ofSeconds(7));
        assertThat(advised.advised("stop")).contains(Duration.ofSeconds(9));
        assertThat(advised.advised("quickCheck")).contains(Duration.ofSeconds(3));
        assertThat(advised.advised("deepCheck")).contains(Duration.ofMinutes(1));
        assertThat(advised.advised("recover")).contains(Duration.ofSeconds(16));
        assertThat(advised.advised("promote")).isEqualTo(Optional.empty());
    }

    @Test
    void monitorCodesBecomeHealthAndSeverity() throws Exception {
        assertThat(probe(Map.of("rc", "190")).checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.DEGRADED);
        CheckResult promoted = probe(Map.of("rc", "8")).checker().quickCheck(ctx(20));   // not promotable: an error
        assertThat(promoted.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(promoted.severity()).isEqualTo(Severity.SOFT);
        assertThat(promoted.reason()).contains("exit 8 (running promoted)").contains("not promotable");
        CheckResult fatal = probe(Map.of("rc", "6")).checker().quickCheck(ctx(20));
        assertThat(fatal.health()).isEqualTo(CheckResult.Health.FAILED);
        assertThat(fatal.severity()).isEqualTo(Severity.FATAL);
        assertThat(fatal.reason()).contains("exit 6 (not configured)");
        assertThat(fatal.output()).contains("Probe: monitor says 6");
        assertThat(probe(Map.of("rc", "5")).checker().quickCheck(ctx(20)).severity()).isEqualTo(Severity.HARD);
        assertThat(probe(Map.of("rc", "1")).checker().quickCheck(ctx(20)).severity()).isEqualTo(Severity.SOFT);
    }

    @Test
    void aHangingMonitorTimesOutAndItsTreeIsKilled() throws Exception {
        ResourceParts p = probe(Map.of("sleep", "60", "sleep_action", "monitor"));
        CheckResult r = p.checker().quickCheck(ctx(1));
        assertThat(r.health()).isEqualTo(CheckResult.Health.TIMEOUT);
        assertThat(r.reason()).contains("timeout after 1 s");
        long sleeper = TestSupport.readPids(dir.resolve("sleeper.pid")).get(0);
        assertThat(ProcessTree.alive(sleeper)).isFalse();
    }

    @Test
    void validateAllReportsAConfigurationError() throws Exception {
        ResourceParts p = probe(Map.of());
        Path gone = Files.createDirectories(dir.resolve("gone"));
        ResourceParts q = probe(Map.of("dir", gone.toString()));
        try (var files = Files.list(gone)) {                 // valid at load, not any more
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(gone);
        ActionResult v = ((Validatable) q.resource()).validate(ctx(10));
        assertThat(v.outcome()).isEqualTo(ActionResult.Outcome.ERROR);
        assertThat(v.severity()).isEqualTo(Severity.FATAL);
        assertThat(v.output()).anyMatch(l -> l.contains("no directory"));
        // validate-all runs before start, as Pacemaker does: the configuration error is named, nothing starts
        ActionResult start = q.resource().start(ctx(10));
        assertThat(start.isDone()).isFalse();
        assertThat(start.severity()).isEqualTo(Severity.FATAL);
        assertThat(start.reason()).startsWith("validate-all before start:").contains("exit 6 (not configured)");
        assertThat(p.resource()).isNotNull();
    }

    /** validate-all at load: exit 6 (not configured) is a configuration error, before anything starts. */
    @Test
    void validateAllAtLoadRefusesAConfigurationTheAgentCallsWrong() {
        assertThatThrownBy(() -> probe(Map.of("dir", dir.resolve("missing").toString())))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("validate-all says the configuration is wrong")
                .hasMessageContaining("exit 6 (not configured)")
                .hasMessageContaining("no directory");
    }

    @Test
    void metaDataRejectsMissingUnknownAndMistypedParametersBeforeAnythingStarts() {
        assertThatThrownBy(() -> create(new OcfType(), dir, "vip",
                Map.of("agent", "ocf:heartbeat:IPaddr2", "agentParams", Map.of("cidr_netmask", "24"))))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("OCF agent heartbeat:IPaddr2 requires parameter 'ip'");
        assertThatThrownBy(() -> create(new OcfType(), dir, "vip", Map.of("agent", "ocf:heartbeat:IPaddr2",
                "agentParams", Map.of("ip", "192.0.2.10", "arp_count", "many", "lvs_support", "maybe", "nic_typo", "eth0"))))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).problems()).hasSize(3))
                .hasMessageContaining("'arp_count' of OCF agent heartbeat:IPaddr2 is 'many', not an integer")
                .hasMessageContaining("'lvs_support' of OCF agent heartbeat:IPaddr2 is 'maybe', not a boolean")
                .hasMessageContaining("has no parameter 'nic_typo'");
        assertThatThrownBy(() -> probe(Map.of("mode", "c")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("not one of a, b");
        assertThatThrownBy(() -> create(new OcfType(), dir, "x", Map.of("agent", "ocf:heartbeat:NoSuchAgent")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("not found at /usr/lib/ocf/resource.d/heartbeat/NoSuchAgent");
        assertThatThrownBy(() -> create(new OcfType(), dir, "x", Map.of("agent", "a:b:c:d", "deepCheckLevel", 15)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("not an OCF agent name").hasMessageContaining("levels are 0, 10 and 20");
        assertThat(dir.resolve("state")).doesNotExist();
    }

    @Test
    void theFilesystemAgentMountsALoopDevice() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "not root: the Filesystem agent test needs root (loop device, mount); skipped");
        Assumptions.assumeTrue(CommandRunner.find("modprobe", null).isPresent(),
                "modprobe not found: the Filesystem agent needs it (apt-get install kmod); skipped");
        Path image = dir.resolve("fs.img");
        Path mnt = dir.resolve("mnt");
        Files.createDirectories(mnt);
        assertThat(sh("truncate -s 32M " + image + " && mkfs.ext4 -q -F " + image).ok()).isTrue();
        Execution loop = sh("losetup -f --show " + image);
        Assumptions.assumeTrue(loop.ok(), "no loop device available: " + loop.describe());
        String device = loop.tail().get(loop.tail().size() - 1).trim();
        try {
            ResourceParts p = create(new OcfType(), dir.resolve("state"), "data", Map.of("agent", "ocf:heartbeat:Filesystem",
                    "agentParams", Map.of("device", device, "directory", mnt.toString(), "fstype", "ext4")));
            CheckResult before = p.checker().quickCheck(ctx(40));
            assertThat(before.health()).as(before + " " + before.output()).isEqualTo(CheckResult.Health.NOT_RUNNING);
            ActionResult start = p.resource().start(ctx(60));
            assertThat(start.isDone()).as(start + " " + start.output()).isTrue();
            assertThat(Files.readString(Path.of("/proc/mounts"))).contains(" " + mnt + " ");
            assertThat(p.checker().quickCheck(ctx(40)).health()).isEqualTo(CheckResult.Health.OK);
            CheckResult deep = p.checker().deepCheck(ctx(40));
            assertThat(deep.health()).as(deep + " " + deep.output()).isEqualTo(CheckResult.Health.OK);
            ActionResult stop = p.resource().stop(ctx(60));
            assertThat(stop.isDone()).as(stop + " " + stop.output()).isTrue();
            assertThat(Files.readString(Path.of("/proc/mounts"))).doesNotContain(" " + mnt + " ");
            assertThat(p.checker().quickCheck(ctx(40)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        } finally {
            sh("umount " + mnt + " 2>/dev/null; losetup -d " + device);
        }
    }

    @Test
    void theIpaddr2AgentInANetworkNamespace() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "not root: the IPaddr2 test needs root (network namespace); skipped");
        // only a namespace of our own, named per run, with RFC 5737 addresses; always deleted
        String ns = "th" + ProcessHandle.current().pid() + "-ocf";
        Thread cleanup = new Thread(() -> sh("ip netns del " + ns + " 2>/dev/null"));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            Execution setup = sh("ip netns add " + ns + " && ip -n " + ns + " link set lo up"
                    + " && ip -n " + ns + " link add va type veth peer name vb && ip -n " + ns + " link set va up"
                    + " && ip -n " + ns + " link set vb up && ip -n " + ns + " addr add 192.0.2.1/24 dev va");
            Assumptions.assumeTrue(setup.ok(), "cannot build a namespace with a veth pair here: " + setup.describe());
            ResourceParts p = create(new OcfType(), dir.resolve("state"), "vip", Map.of("agent", "ocf:heartbeat:IPaddr2",
                    "agentParams", Map.of("ip", "192.0.2.10", "cidr_netmask", "24", "nic", "va", "network_namespace", ns)));
            assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
            ActionResult start = p.resource().start(ctx(20));
            assertThat(start.isDone()).as(start + " " + start.output()).isTrue();
            assertThat(sh("ip -n " + ns + " -4 addr show dev va").tail()).anyMatch(l -> l.contains("192.0.2.10/24"));
            assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.OK);
            ActionResult stop = p.resource().stop(ctx(20));
            assertThat(stop.isDone()).as(stop + " " + stop.output()).isTrue();
            assertThat(sh("ip -n " + ns + " -4 addr show dev va").tail()).noneMatch(l -> l.contains("192.0.2.10"));
            assertThat(p.checker().quickCheck(ctx(20)).health()).isEqualTo(CheckResult.Health.NOT_RUNNING);
        } finally {
            sh("ip netns del " + ns + " 2>/dev/null");
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private static Execution sh(String line) {
        return CommandRunner.run(Command.of("/bin/sh", "-c", line), Duration.ofSeconds(30));
    }
}
