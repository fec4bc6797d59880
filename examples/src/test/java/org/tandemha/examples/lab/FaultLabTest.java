package org.tandemha.examples.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.tandemha.core.exec.Posix;
import org.tandemha.examples.sharedarray.SharedArrayCluster;

/**
 * The fault lab's short run in the build: both clusters, {@code -Dfaultlab.faults} faults (default 36, half on each
 * cluster; the first faults of each cluster cover every kind that applies to it, so every kind runs), seed
 * {@code -Dfaultlab.seed} (default 14). Fails on any split brain, lost acknowledged write or outage over the bound,
 * with the checker's report. The long run is {@code examples/bench/run.sh faults}. Needs root; skips otherwise.
 */
class FaultLabTest {

    @Test
    void randomFaultsNeverSplitTheBrainLoseAWriteOrOutlastTheBound() throws Exception {
        Assumptions.assumeTrue(Posix.isRoot(), "the fault lab needs root (network namespaces, nftables, tgtd, loop devices, mounts); CI runs it as root");
        for (String tool : List.of("/usr/sbin/tgtd", "/usr/sbin/tgtadm", "/usr/sbin/losetup", "/usr/bin/unshare", "/usr/sbin/mkfs.ext4",
                "/usr/sbin/nft")) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: apt-get install tgt util-linux e2fsprogs nftables");
        }
        Assumptions.assumeTrue(!SharedArrayCluster.pgBin("pg_ctl").equals("pg_ctl"), "PostgreSQL is not installed: apt-get install postgresql");
        Assumptions.assumeTrue(org.tandemha.examples.sharedarray.SharedArrayCluster.postgresqlDriver().isPresent(),
                "the PostgreSQL JDBC driver org.postgresql:postgresql is not in the local Maven repository");
        int faults = Integer.getInteger("faultlab.faults", 36);
        long seed = Long.getLong("faultlab.seed", 14);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

        FaultLab.Report r = FaultLab.run(cp, "both", faults, seed, out);

        Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        r.results().forEach(x -> kinds.add(x.fault().kind()));
        assertThat(r.failures()).as(r.summary()).isEmpty();
        assertThat(r.splitBrains()).as("split brains; " + r.summary()).isZero();
        assertThat(r.lostWrites()).as("lost writes; " + r.summary()).isZero();
        assertThat(r.outagesOverBound()).as("outages over the bound; " + r.summary()).isZero();
        assertThat(r.results()).as("faults run").hasSize(faults);
        if (faults >= 30) {
            assertThat(kinds).as("fault kinds covered").containsExactlyInAnyOrder(FaultKind.values());
        }
    }
}
