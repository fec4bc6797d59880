package org.tandemha.core.testing;

/**
 * The two-node configuration text of the tests that run real nodes over the in-memory network (ha-core's
 * EmbeddingTest and OcfConformanceTest, ha-server's TestCluster): node1 and node2, one {@code memory} path,
 * {@code twoNodeWithoutArbiter}.
 */
public final class TwoNodeConfig {
    private TwoNodeConfig() {
    }

    /** Cluster {@code cluster}, its key, node1 and node2, the memory path and the quorum; the groups follow. */
    public static String head(String cluster) {
        return """
                cluster: %s
                key: "hex:000102030405060708090a0b0c0d0e0f"
                nodes:
                  - {id: node1}
                  - {id: node2}
                paths:
                  - {name: memory, transport: memory, interval: 100ms, misses: 3}
                quorum: {twoNodeWithoutArbiter: true}
                """.formatted(cluster);
    }

    /**
     * {@link #head} with {@code startupWait: 1s} and one group {@code svc} on node1 then node2, holding one
     * {@code test-service} resource {@code api} ({@code greeting: hi}, a quick check every 100 ms, a deep check every
     * second); {@code groupLines} (each a line of YAML at the group's level, e.g.
     * {@code recovery: {maxAttempts: 1, window: 1m}}) go before the resources.
     */
    public static String service(String cluster, String... groupLines) {
        StringBuilder group = new StringBuilder();
        for (String line : groupLines) {
            group.append("    ").append(line).append('\n');
        }
        return head(cluster) + """
                timing: {startupWait: 1s}
                groups:
                  - id: svc
                    nodes: [node1, node2]
                %s    resources:
                      - id: api
                        type: test-service
                        params: {greeting: hi}
                        quickCheck: {interval: 100ms, timeout: 1s}
                        deepCheck: {interval: 1s, timeout: 1s}
                """.formatted(group);
    }
}
