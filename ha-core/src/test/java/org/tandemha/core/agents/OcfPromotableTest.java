package org.tandemha.core.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tandemha.api.ActionContext;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.PromotableResource;
import org.tandemha.api.ReplicationRole;
import org.tandemha.api.ReplicationState;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.testing.FakeNodeContext;

/**
 * OCF promotable agents with a recording agent ({@code ocf:tandemtest:Recorder}): the clone variables, the notify
 * sequence around each action and its variables, peers' actions as post notifications, roles from exit codes 0, 7,
 * 8, 9, the promotion score as the replication position, and the crm_attribute/crm_node shims.
 */
class OcfPromotableTest {
    @TempDir
    Path dir;
    private Path root;
    private Path log;

    /** A node context whose group (db) is promotable on node1 and node2. */
    static final class GroupContext extends FakeNodeContext {
        GroupContext(String id, Path state) {
            super(id, state);
            peers.add(id.equals("node1") ? "node2" : "node1");
        }

        @Override
        public List<String> groupNodes(String resource) {
            return List.of("node1", "node2");
        }

        @Override
        public boolean promotable(String resource) {
            return resource.equals("db");
        }
    }

    @BeforeEach
    void agent() throws Exception {
        root = dir.resolve("ocf");
        Path agent = root.resolve("resource.d/tandemtest/Recorder");
        Files.createDirectories(agent.getParent());
        try (InputStream in = getClass().getResourceAsStream("/agents/ocf/tandemtest/Recorder")) {
            Files.copy(in, agent, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
        log = dir.resolve("calls.log");
    }

    private OcfPromotable build(GroupContext ctx) throws InvalidConfigException {
        Map<String, Object> params = new HashMap<>();
        params.put("agent", "ocf:tandemtest:Recorder");
        params.put("ocfRoot", root.toString());
        params.put("agentParams", Map.of("log", log.toString(), "state", dir.resolve(ctx.nodeId() + ".state").toString(),
                "exit9", dir.resolve("exit9").toString()));
        var parts = new OcfType().create(PluginConfig.of("db", "ocf", params), ctx);
        assertThat(parts.resource()).isInstanceOf(PromotableResource.class);
        return (OcfPromotable) parts.resource();
    }

    private static ActionContext ctx(String node) {
        return ActionContext.of(node, "g", "db", Duration.ofSeconds(20));
    }

    private List<String> calls() throws Exception {
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    void cloneVariablesAndTheNotifySequenceAroundStartPromoteDemoteStop() throws Exception {
        GroupContext node1 = new GroupContext("node1", dir.resolve("s1"));
        OcfPromotable r = build(node1);

        assertThat(r.start(ctx("node1")).isDone()).isTrue();
        assertThat(r.replicationState(ctx("node1")).role()).isEqualTo(ReplicationRole.STANDBY);
        assertThat(r.promote(ctx("node1")).isDone()).isTrue();
        ReplicationState st = r.replicationState(ctx("node1"));
        assertThat(st.role()).isEqualTo(ReplicationRole.PRIMARY);
        assertThat(st.position().timeline()).isEqualTo(OcfPromotable.INFINITY + 10); // crm_master -v 10
        assertThat(st.position().offset()).isZero();
        assertThat(node1.published).containsEntry("ocf.role/db", "promoted");
        assertThat(r.demote(ctx("node1")).isDone()).isTrue();
        assertThat(r.stop(ctx("node1")).isDone()).isTrue();

        List<String> c = calls();
        assertThat(c).extracting(l -> l.substring(0, l.indexOf(" type="))
                + (l.startsWith("notify") ? " " + l.replaceAll(".* type=(\\S*) op=(\\S*).*", "$1-$2") : ""))
                .containsExactly("notify pre-start", "start", "notify post-start",
                        "notify pre-promote", "promote", "notify post-promote",
                        "notify pre-demote", "demote", "notify post-demote",
                        "notify pre-stop", "stop", "notify post-stop");
        assertThat(c).allSatisfy(l -> assertThat(l).contains("promotable=true", "clone_max=2", "promoted_max=1",
                "master_max=1", "notify=true", "node=node1", "sbin=" + dir.resolve("s1").resolve("ocf-bin")));
        // the lists hold the roles before the operation; an empty list is one space, as Pacemaker writes it
        assertThat(c.get(0)).contains("start=[node1]", "promote=[ ]", "active=[ ]", "master=[ ]", "all=[node1 node2]");
        assertThat(c.get(3)).contains("promote=[node1]", "start=[ ]", "active=[node1]", "slave=[node1]", "master=[ ]");
        assertThat(c.get(5)).contains("promote=[node1]", "slave=[node1]", "master=[ ]");
        assertThat(c.get(6)).contains("demote=[node1]", "master=[node1]", "promoted=[node1]", "slave=[ ]");
        assertThat(c.get(9)).contains("stop=[node1]", "active=[node1]", "slave=[node1]");
        assertThat(node1.published).containsEntry("ocf.role/db", "stopped");
        // the agent's promotion score travelled as facts, and is deleted by stop
        assertThat(node1.published.get("ocf.attr/reboot/node1/master-db")).endsWith(" del");
    }

    @Test
    void promoteStartsFirstAndStopDemotesFirst() throws Exception {
        GroupContext node1 = new GroupContext("node1", dir.resolve("s1"));
        OcfPromotable r = build(node1);
        assertThat(r.promote(ctx("node1")).isDone()).isTrue();
        assertThat(r.stop(ctx("node1")).isDone()).isTrue();
        assertThat(calls()).extracting(l -> l.substring(0, l.indexOf(' ')))
                .containsExactly("notify", "start", "notify", "notify", "promote", "notify", "notify", "demote", "notify",
                        "notify", "stop", "notify");
    }

    @Test
    void aStandbyStartOfACopyFoundPromotedDemotesIt() throws Exception {
        GroupContext node1 = new GroupContext("node1", dir.resolve("s1"));
        OcfPromotable r = build(node1);
        Files.writeString(dir.resolve("node1.state"), "Promoted");
        assertThat(r.start(ctx("node1")).isDone()).isTrue();
        assertThat(Files.readString(dir.resolve("node1.state")).trim()).isEqualTo("Unpromoted");
        assertThat(calls()).extracting(l -> l.substring(0, l.indexOf(' '))).containsExactly("notify", "demote", "notify");
    }

    @Test
    void aPeersPromotionReachesThisInstanceAsPostNotifications() throws Exception {
        GroupContext node2 = new GroupContext("node2", dir.resolve("s2"));
        OcfPromotable r = build(node2);
        node2.peerFacts.put("node1", Map.of("ocf.role/db", "stopped"));
        assertThat(r.start(ctx("node2")).isDone()).isTrue();
        Files.deleteIfExists(log);
        node2.peerFacts.put("node1", Map.of("ocf.role/db", "promoted"));
        assertThat(r.replicationState(ctx("node2")).role()).isEqualTo(ReplicationRole.STANDBY);
        List<String> c = calls();
        assertThat(c).hasSize(2);
        assertThat(c.get(0)).contains("notify type=post op=start", "start=[node1]", "active=[node2]");
        assertThat(c.get(1)).contains("notify type=post op=promote", "promote=[node1]", "slave=[node1 node2]", "master=[ ]");
        // nothing changes: nothing is sent again; node1 dies: post-demote and post-stop
        r.replicationState(ctx("node2"));
        assertThat(calls()).hasSize(2);
        node2.dead.add("node1");
        r.replicationState(ctx("node2"));
        assertThat(calls()).hasSize(4);
        assertThat(calls().get(2)).contains("op=demote", "demote=[node1]", "master=[node1]");
        assertThat(calls().get(3)).contains("op=stop", "stop=[node1]");
    }

    @Test
    void exitCodesEightAndNineInChecks() throws Exception {
        GroupContext node1 = new GroupContext("node1", dir.resolve("s1"));
        OcfPromotable r = build(node1);
        assertThat(r.promote(ctx("node1")).isDone()).isTrue();
        assertThat(r.quickCheck(ctx("node1")).healthy()).isTrue();
        assertThat(r.quickCheck(ctx("node1")).reason()).contains("promoted");
        Files.writeString(dir.resolve("exit9"), "");
        assertThat(r.quickCheck(ctx("node1")).healthy()).isFalse();
        assertThat(r.quickCheck(ctx("node1")).reason()).contains("exit 9", "failed promoted");
        assertThat(r.replicationState(ctx("node1")).role()).isEqualTo(ReplicationRole.UNKNOWN);
    }

    @Test
    void aScoreOfMinusInfinityHoldsThenRefusesPromotion() throws Exception {
        GroupContext node1 = new GroupContext("node1", dir.resolve("s1"));
        OcfPromotable r = build(node1);
        assertThat(r.start(ctx("node1")).isDone()).isTrue();
        Execution e = shim(dir.resolve("s1"), "node1", "crm_attribute", "-N", "node1", "-n", "master-db", "-l", "reboot", "-v", "-INFINITY");
        assertThat(e.ok()).as(e.describe()).isTrue();
        assertThat(r.replicationState(ctx("node1")).position().timeline()).isZero();
        // promote waits (half its time, running monitor) for the agent to raise the score, then refuses
        var p = r.promote(ActionContext.of("node1", "g", "db", Duration.ofSeconds(2)));
        assertThat(p.isDone()).isFalse();
        assertThat(p.reason()).contains("-INFINITY", "monitor(s)", "must not be promoted");
        assertThat(calls()).noneMatch(l -> l.startsWith("promote"));
    }

    @Test
    void anAgentWithoutPromoteIsRejectedForAPromotableGroup() {
        GroupContext node1 = new GroupContext("node1", dir.resolve("s1"));
        assertThatThrownBy(() -> new OcfType().create(PluginConfig.of("db", "ocf", Map.of("agent", "ocf:heartbeat:Dummy")), node1))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("no promote or demote action");
    }

    private static Execution shim(Path state, String node, String tool, String... args) {
        OcfShims s = OcfShims.of(state);
        List<String> argv = new java.util.ArrayList<>();
        argv.add(s.bin.resolve(tool).toString());
        argv.addAll(List.of(args));
        Map<String, String> env = new HashMap<>(s.env(node, state.resolve("ocf-bin/db.crm_mon.xml")));
        env.put("PATH", s.bin + ":/usr/bin:/bin");
        env.put("OCF_RESOURCE_INSTANCE", "db");
        return CommandRunner.run(new Command(argv, env, null, null, null), Duration.ofSeconds(10));
    }

    private static String out(Execution e) {
        return String.join("\n", e.tail()).trim();
    }

    @Test
    void crmAttributeShimStoresQueriesDeletesAndSyncsBetweenNodes() throws Exception {
        Path s1 = dir.resolve("s1");
        Path s2 = dir.resolve("s2");
        assertThat(shim(s1, "node1", "crm_attribute", "-N", "node2", "-n", "pgsql-status", "-l", "reboot", "-v", "HS:sync").ok()).isTrue();
        Execution q = shim(s1, "node1", "crm_attribute", "-N", "node2", "-n", "pgsql-status", "-l", "reboot", "-G", "-q");
        assertThat(out(q)).isEqualTo("HS:sync");
        assertThat(out(shim(s1, "node1", "crm_attribute", "--node", "node2", "--name", "pgsql-status", "--lifetime", "reboot", "--query")))
                .isEqualTo("scope=status  name=pgsql-status value=HS:sync");
        // forever and reboot are apart; a missing attribute is exit 105 unless a default is given
        assertThat(shim(s1, "node1", "crm_attribute", "-N", "node2", "-n", "pgsql-status", "-G", "-q").exitCode()).isEqualTo(105);
        assertThat(out(shim(s1, "node1", "crm_attribute", "-N", "node2", "-n", "x", "-G", "-q", "-d", "dflt"))).isEqualTo("dflt");
        assertThat(shim(s1, "node1", "crm_attribute", "-N", "node1", "-n", "pgsql-data-status", "-l", "forever", "-v", "LATEST").ok()).isTrue();
        assertThat(shim(s1, "node1", "crm_attribute", "-t", "nodes", "-N", "node1", "-n", "pgsql-data-status", "-G", "-q").tail())
                .containsExactly("LATEST");
        // crm_master / attrd_updater / crm_node
        assertThat(shim(s1, "node1", "crm_master", "-l", "reboot", "-v", "100").ok()).isTrue();
        assertThat(out(shim(s1, "node1", "crm_attribute", "-N", "node1", "-n", "master-db", "-l", "reboot", "-G", "-q"))).isEqualTo("100");
        assertThat(shim(s1, "node1", "attrd_updater", "-n", "db-receiver-status", "-v", "normal").ok()).isTrue();
        assertThat(out(shim(s1, "node1", "attrd_updater", "-n", "db-receiver-status", "-Q"))).contains("value=\"normal\"");
        assertThat(out(shim(s1, "node1", "crm_node", "-n"))).isEqualTo("node1");
        assertThat(shim(s1, "node1", "crm_attribute", "--bogus").exitCode()).isEqualTo(64);
        assertThat(out(shim(s1, "node1", "crm_attribute", "--bogus"))).contains("not supported");

        // node1 publishes its changes; node2 applies them
        GroupContext n1 = new GroupContext("node1", s1);
        OcfShims.of(s1).publish(n1);
        assertThat(n1.published.get("ocf.attr/reboot/node2/pgsql-status")).matches("\\d+ set HS:sync");
        GroupContext n2 = new GroupContext("node2", s2);
        n2.peerFacts.put("node1", Map.copyOf(n1.published));
        OcfShims.of(s2).importPeers(n2);
        assertThat(out(shim(s2, "node2", "crm_attribute", "-N", "node2", "-n", "pgsql-status", "-l", "reboot", "-G", "-q"))).isEqualTo("HS:sync");
        // a deletion travels too
        assertThat(shim(s1, "node1", "crm_attribute", "-N", "node2", "-n", "pgsql-status", "-l", "reboot", "-D").ok()).isTrue();
        OcfShims.of(s1).publish(n1);
        n2.peerFacts.put("node1", Map.copyOf(n1.published));
        OcfShims.of(s2).importPeers(n2);
        assertThat(shim(s2, "node2", "crm_attribute", "-N", "node2", "-n", "pgsql-status", "-l", "reboot", "-G", "-q").exitCode()).isEqualTo(105);
        assertThat(Files.readString(s1.resolve("ocf-attrs/journal"), StandardCharsets.UTF_8)).contains("reboot node2 del pgsql-status");
    }
}
