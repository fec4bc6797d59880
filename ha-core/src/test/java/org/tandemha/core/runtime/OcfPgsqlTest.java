package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupState;
import org.tandemha.api.Tandem;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.sim.InMemoryNetwork;

/**
 * Debian's {@code ocf:heartbeat:pgsql} in replication mode ({@code rep_mode=sync}) under Tandem, with PostgreSQL 15
 * on one machine: two Tandem nodes in one process, each node's agent calls run in its own network namespace
 * (192.0.2.1 and 192.0.2.2 on a veth pair; the same port in each), so that {@code master_ip} and {@code pgport} mean
 * what they mean on two machines. node2's copy is a {@code pg_basebackup} of node1's. Needs root, PostgreSQL 15 and
 * resource-agents; skipped otherwise. Namespaces are named with a per-run prefix and always deleted.
 */
class OcfPgsqlTest {
    private static final Path PGSQL = Path.of("/usr/lib/ocf/resource.d/heartbeat/pgsql");
    private static final Path PG = Path.of("/usr/lib/postgresql/15/bin");
    /** The last run's PostgreSQL logs, Tandem state directories and pgsql tmpdirs, kept for diagnosis. */
    private static final Path LAST = Path.of("target/ocf-pgsql-last").toAbsolutePath();

    private Path base;
    private String prefix;
    private final InMemoryNetwork net = new InMemoryNetwork();
    private final List<ClusterNode> nodes = new ArrayList<>();

    @BeforeEach
    void needs() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "not root: the pgsql OCF test is skipped");
        Assumptions.assumeTrue(Files.isExecutable(PGSQL) && Files.isExecutable(PG.resolve("postgres")),
                "resource-agents or PostgreSQL 15 is not installed: the pgsql OCF test is skipped");
        base = Files.createTempDirectory(Path.of("/tmp"), "tandem-ocfpg-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        prefix = "tpg" + Long.toHexString(System.nanoTime() & 0xffffL);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
        net.close();
        if (base != null) {
            // whatever the agent left running: stopped by the PID in its data directory
            sh("for n in node1 node2; do f=" + base + "/pg/$n/data/postmaster.pid; [ -f $f ] && kill -9 $(head -1 $f) 2>/dev/null; done;"
                    + " d=" + LAST + "; rm -rf $d; mkdir -p $d; for n in node1 node2; do cp " + base + "/pg/$n/postgres.log $d/$n.log 2>/dev/null;"
                    + " cp -r " + base + "/state-$n $d/state-$n 2>/dev/null; cp -r " + base + "/pg/$n/tmp $d/tmp-$n 2>/dev/null; done;"
                    + " ip netns del " + prefix + "1 2>/dev/null; ip netns del " + prefix + "2 2>/dev/null; rm -rf " + base, 30);
        }
    }

    /** Polls (every 200 ms) until {@code cond} holds, at most {@code max}. */
    private static void await(String what, java.util.function.BooleanSupplier cond, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + max.toSeconds() + " s waiting for: " + what);
            }
            Thread.sleep(200);
        }
    }

    private static Execution sh(String script, int seconds) {
        return CommandRunner.run(new Command(List.of("/bin/bash", "-c", script), Map.of("PATH",
                "/usr/sbin:/usr/bin:/sbin:/bin"), null, null, null), Duration.ofSeconds(seconds));
    }

    private static void ok(Execution e) {
        assertThat(e.ok()).as(e.describe() + "\n" + String.join("\n", e.tail())).isTrue();
    }

    /** Namespaces, node1's cluster (initdb), node2's copy (pg_basebackup), and the wrapper agent. */
    private Path setUp() throws Exception {
        String p = prefix;
        ok(sh("set -e; ip netns add " + p + "1; ip netns add " + p + "2;"
                + " ip link add " + p + "a type veth peer name " + p + "b;"
                + " ip link set " + p + "a netns " + p + "1; ip link set " + p + "b netns " + p + "2;"
                + " ip -n " + p + "1 addr add 192.0.2.1/24 dev " + p + "a; ip -n " + p + "1 link set " + p + "a up; ip -n " + p + "1 link set lo up;"
                + " ip -n " + p + "2 addr add 192.0.2.2/24 dev " + p + "b; ip -n " + p + "2 link set " + p + "b up; ip -n " + p + "2 link set lo up", 30));
        String b = base + "/pg";
        ok(sh("set -e; for n in node1 node2; do mkdir -p " + b + "/$n/tmp " + b + "/$n/sock; done; mkdir -p " + b + "/arch; chown -R postgres " + b + ";"
                + " su postgres -c '" + PG + "/initdb -D " + b + "/node1/data -A trust -U postgres' >/dev/null;"
                + " printf \"%s\\n\" \"listen_addresses = '*'\" \"port = 5432\" \"wal_level = replica\" \"max_wal_senders = 10\""
                + " \"hot_standby = on\" \"wal_keep_size = 64MB\" \"unix_socket_directories = '" + b + "/node1/sock'\""
                + " \"archive_mode = on\" \"archive_command = 'cp %p " + b + "/arch/%f'\" >> " + b + "/node1/data/postgresql.conf;"
                + " printf \"%s\\n\" \"host replication all 192.0.2.0/24 trust\" \"host all all 192.0.2.0/24 trust\" >> " + b + "/node1/data/pg_hba.conf;"
                + " ip netns exec " + p + "1 su postgres -c '" + PG + "/pg_ctl -D " + b + "/node1/data -l " + b + "/node1/boot.log -w start' >/dev/null;"
                + " ip netns exec " + p + "1 su postgres -c \"" + PG + "/psql -h " + b + "/node1/sock -c 'create table t(x int)'\" >/dev/null;"
                + " ip netns exec " + p + "2 su postgres -c '" + PG + "/pg_basebackup -h 192.0.2.1 -U postgres -D " + b + "/node2/data -X stream';"
                + " echo \"unix_socket_directories = '" + b + "/node2/sock'\" >> " + b + "/node2/data/postgresql.conf;"
                + " ip netns exec " + p + "1 su postgres -c '" + PG + "/pg_ctl -D " + b + "/node1/data -w stop' >/dev/null", 120));
        // the agent, run in the calling node's namespace (TANDEM_OCF_NODE is set by Tandem for every agent call)
        Path root = base.resolve("ocf");
        Path agent = root.resolve("resource.d/tandemtest/pgsql");
        Files.createDirectories(agent.getParent());
        Files.writeString(agent, "#!/bin/sh\ncase \"$1\" in meta-data) exec " + PGSQL + " \"$@\";; esac\n"
                + "ns=" + prefix + "${TANDEM_OCF_NODE#node}\nexec ip netns exec \"$ns\" " + PGSQL + " \"$@\"\n");
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("/usr/lib/ocf/lib"));
        return root;
    }

    private ClusterNode start(String config, String id) throws Exception {
        ClusterNode n = Tandem.builder().configText(config, true).localNode(id).membership(net.member(id))
                .stateDirectory(base.resolve("state-" + id)).build();
        nodes.add(n);
        n.start();
        return n;
    }

    private String attr(String node, String name) throws Exception {
        Path f = base.resolve("state-" + node).resolve("ocf-attrs/reboot").resolve(node).resolve(name);
        return Files.exists(f) ? Files.readString(f).trim() : "(none)";
    }

    private String sql(String node, String q) {
        Execution e = sh("ip netns exec " + prefix + node.substring(4) + " su postgres -c \"" + PG + "/psql -h " + base
                + "/pg/" + node + "/sock -Atc '" + q + "'\"", 20);
        return e.ok() ? String.join("\n", e.tail()).trim() : "error: " + e.describe();
    }

    @Test
    void pgsqlInSyncReplicationModeUnderTandem() throws Exception {
        Path root = setUp();
        String b = base + "/pg";
        String config = """
                cluster: pgsql
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                  - {id: node1}
                  - {id: node2}
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                quorum: {twoNodeWithoutArbiter: true}
                timing: {startupWait: 1s}
                groups:
                  - id: pg
                    nodes: [node1, node2]
                    promotable: true
                    resources:
                      - id: pgsql
                        type: ocf
                        params:
                          agent: "ocf:tandemtest:pgsql"
                          ocfRoot: "%s"
                          agentParams:
                            pgctl: "%s/pg_ctl"
                            psql: "%s/psql"
                            pgdata: "%s/${node}/data"
                            config: "%s/${node}/data/postgresql.conf"
                            socketdir: "%s/${node}/sock"
                            tmpdir: "%s/${node}/tmp"
                            logfile: "%s/${node}/postgres.log"
                            rep_mode: sync
                            node_list: "node1 node2"
                            master_ip: "192.0.2.1"
                            restore_command: "cp %s/arch/%%f %%p"
                            primary_conninfo_opt: "keepalives_idle=60"
                        start: {timeout: 60s}
                        quickCheck: {interval: 2s, timeout: 30s}
                """.formatted(root, PG, PG, b, b, b, b, b, b);
        ClusterNode node1 = start(config, "node1");
        ClusterNode node2 = start(config, "node2");
        await("pg primary on node1", () -> node1.status().group("pg") != null
                && node1.status().group("pg").localState() == GroupState.ONLINE, Duration.ofSeconds(90));
        assertThat(sql("node1", "select pg_is_in_recovery()")).isEqualTo("f");
        await("node2 streams from node1 in sync", () -> sql("node1",
                "select application_name||chr(32)||sync_state from pg_stat_replication").equals("node2 sync"), Duration.ofSeconds(90));
        assertThat(sql("node2", "select pg_is_in_recovery()")).isEqualTo("t");
        assertThat(attr("node1", "pgsql-status")).isEqualTo("PRI");
        await("node2's status set by node1 reached node2", () -> {
            try {
                return attr("node2", "pgsql-status").equals("HS:sync");
            } catch (Exception e) {
                return false;
            }
        }, Duration.ofSeconds(30));
        sql("node1", "insert into t values (1)");
        await("the write replicated", () -> sql("node2", "select count(*) from t").equals("1"), Duration.ofSeconds(30));

        // a switchover: node1 demoted (pgsql stops it and leaves its PGSQL.lock), node2 promoted once its score allows
        var r = node1.switchover("pg", "node2").get();
        assertThat(r.accepted()).as(r.toString()).isTrue();
        await("pg primary on node2", () -> node2.status().group("pg").localState() == GroupState.ONLINE
                && sql("node2", "select pg_is_in_recovery()").equals("f"), Duration.ofSeconds(90));
        assertThat(sql("node2", "select count(*) from t")).isEqualTo("1");
        // pgsql's own rule: a demoted primary keeps PGSQL.lock and refuses to start until an operator resyncs it
        assertThat(Path.of(b, "node1", "tmp", "PGSQL.lock")).exists();
    }
}
