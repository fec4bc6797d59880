package org.tandemha.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bounds of fetching the peers' snapshots: a peer that accepts the connection and never answers. */
class PeerSnapshotsTest {
    @Test
    void aPeerThatNeverAnswersIsAFailureWithinTheBound() throws Exception {
        // the kernel accepts the connection (backlog); nothing reads or answers it
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            String url = "http://127.0.0.1:" + silent.getLocalPort();
            PeerSnapshots p = new PeerSnapshots(List.of(url, "not a url"), Duration.ofMillis(300), Duration.ofMillis(300));
            PeerSnapshots.Fetched f = p.fetch("node1", "web", "Bearer x").get(10, TimeUnit.SECONDS);
            assertThat(f.snapshots()).isEmpty();
            assertThat(f.failures()).extracting(PeerSnapshots.Failure::url).containsExactly(url, "not a url");
            assertThat(f.failures().get(0).reason()).isEqualTo("did not answer within 300 ms");
            assertThat(f.failures().get(1).reason()).contains("is not a usable URL");
        }
    }
}
