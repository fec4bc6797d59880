package org.tandemha.heartbeat.tiebreaker;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.tandemha.api.Arbiter;
import org.tandemha.api.PluginConfig;

/**
 * Runs in a namespace for {@link TieBreakerNamespaceTest}: for each line {@code ADDRESS METHOD} on stdin it builds a
 * tie-breaker, asks it once and prints {@code VERDICT <answer> <reason>}; exits when stdin closes.
 */
public final class TieBreakerProbeMain {
    private TieBreakerProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("READY");
        System.out.flush();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split(" ");
                try {
                    Arbiter a = new TieBreakerArbiterFactory().create(new PluginConfig("tb", "tiebreaker", "arbiters[0]",
                            Map.of("address", w[0], "method", w[1], "attempts", 2, "timeout", "1s")),
                            TieBreakerTest.cluster(), TieBreakerTest.context());
                    org.tandemha.api.Verdict v = a.ask("node2", 1, Duration.ofSeconds(3));
                    System.out.println("VERDICT " + v.answer() + " " + v.reason());
                } catch (Exception e) {
                    System.out.println("VERDICT ERROR " + e);
                }
                System.out.flush();
            }
        }
    }
}
