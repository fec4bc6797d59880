package org.tandemha.server.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.Tandem;

/**
 * What an embedded node adds to its application's heap (examples/bench/server.sh, after the standalone node):
 * the live heap after a full collection, before the node is built and after it ran its group for a while.
 * Arguments: CONFIG NODE STATE_DIR IDLE_SECONDS. Prints
 * {@code embedded node: heap=+… MB before=… MB after=… MB group=… idle=… s}.
 */
public final class EmbeddedHeapBench {
    private EmbeddedHeapBench() {
    }

    private static long live() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) { // a few collections: what is left is live
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]);
        String me = args[1];
        Path state = Path.of(args[2]);
        int idle = Integer.parseInt(args[3]);
        long before = live();
        String where = "not running";
        try (ClusterNode node = Tandem.builder().config(config).localNode(me).stateDirectory(state).build()) {
            node.start();
            long until = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < until) {
                GroupStatus g = node.status().groups().get(0);
                if (g.activeNode() != null) {
                    where = g.group() + " on " + g.activeNode();
                    break;
                }
                Thread.sleep(100);
            }
            Thread.sleep(idle * 1000L);
            long after = live();
            System.out.printf(Locale.ROOT, "embedded node: heap=+%.1f MB before=%.1f MB after=%.1f MB group=%s idle=%d s%n",
                    (after - before) / 1048576.0, before / 1048576.0, after / 1048576.0, where.replace(' ', '_'), idle);
        }
        System.exit(0);
    }
}
