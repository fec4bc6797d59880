package org.tandemha.server.http;

import org.tandemha.core.json.JsonTrees;
import org.tandemha.server.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.EventKind;

class StatusJsonTest {
    @Test
    void theStatusSurvivesTheWire() throws Exception {
        ClusterStatus s = Fixtures.status();
        String text = JsonTrees.text(StatusJson.status(s));
        JsonNode j = JsonTrees.parse(text);
        assertThat(j.at("/paths/0/rttMs").asDouble()).isEqualTo(0.42);
        assertThat(j.at("/paths/0/lastSeen").asText()).isEqualTo("2026-11-24T12:00:00.170Z");
        assertThat(j.at("/groups/1/activeNode").isNull()).isTrue();
        assertThat(StatusJson.readStatus(j)).isEqualTo(s);
    }

    /** The ping counts: a number once announced, null before (and both null without a ping section). */
    @Test
    void pingCountsSurviveTheWire() throws Exception {
        ClusterStatus s = Fixtures.withPing();
        JsonNode j = JsonTrees.parse(JsonTrees.text(StatusJson.status(s)));
        assertThat(j.at("/nodes/0/pingReachable").asInt()).isEqualTo(2);
        assertThat(j.at("/nodes/0/pingHosts").asInt()).isEqualTo(3);
        assertThat(j.at("/nodes/1/pingReachable").isNull()).isTrue();
        assertThat(j.at("/nodes/1/pingHosts").asInt()).isEqualTo(3);
        assertThat(StatusJson.readStatus(j)).isEqualTo(s);
        JsonNode plain = StatusJson.status(Fixtures.status());
        assertThat(plain.at("/nodes/0/pingReachable").isNull()).isTrue();
        assertThat(plain.at("/nodes/0/pingHosts").isNull()).isTrue();
        assertThat(StatusJson.readStatus(plain).node("node1").pingKnown()).isFalse();
    }

    @Test
    void theStatusCarriesItsAgeAndStaleness() {
        ClusterStatus s = Fixtures.status();
        // a quiet engine's view is minutes old by its time, yet current: its age counts from when it was taken
        Instant taken = s.time().plus(Duration.ofMinutes(7));
        JsonNode j = StatusJson.status(s, taken, taken.plusMillis(3));
        assertThat(j.path("ageMs").asDouble()).isEqualTo(3.0);
        assertThat(j.path("time").asText()).isEqualTo(s.time().toString());
        assertThat(j.path("stale").asBoolean()).isFalse();
        assertThat(StatusJson.status(s, taken).path("ageMs").asDouble()).isZero();
        // a stale view (the engine is busy) is as old as its time
        ClusterStatus stale = new ClusterStatus(s.cluster(), s.localNode(), s.time(), s.nodes(), s.paths(), s.groups(), true);
        JsonNode st = StatusJson.status(stale, taken, taken.plusMillis(3));
        assertThat(st.path("stale").asBoolean()).isTrue();
        assertThat(st.path("ageMs").asDouble()).isEqualTo(Duration.ofMinutes(7).plusMillis(3).toMillis());
        assertThat(StatusJson.status(stale, s.time()).path("ageMs").asDouble()).isZero();
        assertThat(iterable(j.fieldNames())).containsExactly("cluster", "localNode", "time", "ageMs",
                "stale", "nodes", "paths", "groups");
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }

    @Test
    void eventsAndCommandResults() throws Exception {
        ClusterEvent e = new ClusterEvent(12, Instant.parse("2026-11-24T12:00:00Z"), EventKind.PATH_DOWN, ClusterEvent.Level.WARNING,
                "node1", null, null, "path public to node2 down", Map.of("peer", "node2"));
        JsonNode j = JsonTrees.parse(JsonTrees.text(StatusJson.event(3, e)));
        assertThat(j.get("id").asLong()).isEqualTo(3);
        assertThat(StatusJson.readEvent(j)).isEqualTo(e);
        CommandResult r = CommandResult.ok("moved", Duration.ofMillis(1500));
        assertThat(StatusJson.readCommand(StatusJson.command(r))).isEqualTo(r);
    }

    @Test
    void aNewerServerStateReadsAsUnknownAndGarbageIsNamed() throws Exception {
        JsonNode j = JsonTrees.parse("{\"cluster\":\"c\",\"localNode\":\"n\",\"time\":null,"
                + "\"nodes\":[{\"node\":\"n\",\"state\":\"HOVERING\"}]}");
        assertThat(StatusJson.readStatus(j).nodes().get(0).state()).isEqualTo(org.tandemha.api.NodeState.UNKNOWN);
        assertThatThrownBy(() -> StatusJson.readStatus(JsonTrees.parse("{\"time\":\"yesterday\"}")))
                .hasMessageContaining("'time'");
        assertThatThrownBy(() -> StatusJson.readStatus(JsonTrees.parse("{\"nodes\":5}")))
                .hasMessageContaining("'nodes' is not a list");
    }
}
