package org.tandemha.examples.sharedarray;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tandemha.core.exec.Posix;

/**
 * The end-to-end fault suite over the shared-array cluster (real namespaces, tgtd, loop devices, PostgreSQL): each
 * fault runs {@code -Dsharedarray.runs} times (default 5), and every run must keep every acknowledged write, never
 * let both nodes mount the volume through an open path, and bring the service back within the bound. Needs root;
 * skips with the reason otherwise.
 */
class SharedArraySuiteTest {

    @Test
    void everyFaultKeepsTheAcknowledgedWritesAndNeverSplitsTheBrain() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "the shared-array suite needs root (network namespaces, tgtd, loop devices, mounts); CI runs it as root");
        for (String tool : List.of("/usr/sbin/tgtd", "/usr/sbin/tgtadm", "/usr/sbin/losetup", "/usr/bin/unshare", "/usr/sbin/mkfs.ext4")) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: apt-get install tgt util-linux e2fsprogs");
        }
        Assumptions.assumeTrue(!SharedArrayCluster.pgBin("pg_ctl").equals("pg_ctl"), "PostgreSQL is not installed: apt-get install postgresql");
        Optional<Path> driver = SharedArrayCluster.postgresqlDriver();
        Assumptions.assumeTrue(driver.isPresent(), "the PostgreSQL JDBC driver org.postgresql:postgresql is not in the local Maven repository");
        int runs = Integer.getInteger("sharedarray.runs", 5);
        // Surefire runs tests from a manifest-only jar: the real class path, for the nodes' JVMs, is in this property.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")) + File.pathSeparator
                + driver.get();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SharedArrayMain.Suite suite = new SharedArrayMain.Suite(cp, out);
        boolean ok = suite.run(SharedArrayMain.SCENARIOS, runs);
        if (!ok && suite.results.isEmpty()) {
            // The lab itself did not come up (no fault injected yet): one more try, said out loud. Seen once in CI:
            // node1's start probe found its loop path "cut" and its engine did not answer the join probe within 10 s
            // (see the closing note of 2026-12-06); a second set-up is a new lab with new devices.
            out.println("SET-UP FAILED before any run: setting the lab up once more");
            suite = new SharedArrayMain.Suite(cp, out);
            ok = suite.run(SharedArrayMain.SCENARIOS, runs);
        }

        assertThat(suite.results).as("runs").hasSize(SharedArrayMain.SCENARIOS.size() * runs);
        assertThat(suite.results).as("split brains").allSatisfy(r -> assertThat(r.splitBrains()).as(r.fault() + ": " + r.note()).isZero());
        assertThat(suite.results).as("lost writes").allSatisfy(r -> assertThat(r.lostWrites()).as(r.fault() + ": " + r.note()).isZero());
        assertThat(suite.results).as("every run passed its checks").allSatisfy(r -> assertThat(r.passed()).as(r.fault() + ": " + r.note()).isTrue());
        assertThat(ok).isTrue();
    }
}
