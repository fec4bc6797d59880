package org.tandemha.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.tandemha.api.ClusterEvent;
import org.tandemha.api.EventKind;

/** Every event is logged once, on its own logger, and listeners see the event's MDC keys. */
class EventLoggingTest {
    @Test
    void eachEventIsLoggedOnceWithItsMdcKeys() throws Exception {
        // slf4j-simple keeps no MDC (NOP adapter); a backend such as Logback or Log4j has one: stand in for it.
        java.lang.reflect.Field adapter = MDC.class.getDeclaredField("mdcAdapter");
        adapter.setAccessible(true);
        Object nop = adapter.get(null);
        adapter.set(null, new org.slf4j.helpers.BasicMDCAdapter());
        try {
            check();
        } finally {
            adapter.set(null, nop);
        }
    }

    private void check() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
        MDC.put("app.request", "r-1");                 // the caller's own MDC is kept
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            EventDispatcher events = new EventDispatcher("node1", List.of(e -> seen.add(MDC.getCopyOfContextMap())));
            events.dispatch(new ClusterEvent(0, Instant.now(), EventKind.CHECK_FAILED, ClusterEvent.Level.WARNING,
                    "node1", "web", "api", "quick check of api failed on node1: marker-7f3", Map.of()));
            events.dispatch(new ClusterEvent(0, Instant.now(), EventKind.NODE_STARTED, ClusterEvent.Level.INFO,
                    "node1", null, null, "node node1 started: marker-8a1", Map.of()));
            events.close();
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log.split("marker-7f3", -1)).hasSize(2);
        assertThat(log.split("marker-8a1", -1)).hasSize(2);
        assertThat(log).contains(EventDispatcher.EVENT_LOGGER);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).containsEntry("tandem.node", "node1").containsEntry("tandem.group", "web")
                .containsEntry("tandem.resource", "api").containsEntry("tandem.event", "CHECK_FAILED");
        assertThat(seen.get(1)).containsEntry("tandem.event", "NODE_STARTED").doesNotContainKeys("tandem.group",
                "tandem.resource");
        assertThat(MDC.get("app.request")).isEqualTo("r-1");
        assertThat(MDC.get("tandem.node")).isNull();
        MDC.remove("app.request");
    }
}
