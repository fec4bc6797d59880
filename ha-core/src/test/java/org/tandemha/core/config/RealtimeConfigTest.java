package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tandemha.core.config.ConfigTesting.TYPES;
import static org.tandemha.core.config.ConfigTesting.resource;

import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;

/** The {@code realtime} section: real-time priority and memory locking of the heartbeat threads. */
class RealtimeConfigTest {
    private static ClusterSpec with(String realtime) throws InvalidConfigException {
        String text = resource("good/minimal.yaml");
        return ConfigLoader.parse(realtime == null ? text : text + "realtime: " + realtime + "\n", true, TYPES);
    }

    private static void refused(String realtime, String field, String message, String fix) {
        assertThatThrownBy(() -> with(realtime)).isInstanceOfSatisfying(InvalidConfigException.class, e ->
                assertThat(e.problems()).anySatisfy(p -> {
                    assertThat(p.field()).isEqualTo(field);
                    assertThat(p.message()).contains(message);
                    assertThat(p.fix()).contains(fix);
                    ConfigTesting.assertOperatorReadable(p.message() + "\n" + p.fix());
                }));
    }

    @Test
    void absentMeansNormalScheduling() throws Exception {
        RealtimeSpec r = with(null).realtime();
        assertThat(r).isEqualTo(RealtimeSpec.none());
        assertThat(r.enabled()).isFalse();
    }

    @Test
    void everyKeyIsRead() throws Exception {
        RealtimeSpec r = with("{priority: 10, policy: fifo, lockMemory: true, required: true}").realtime();
        assertThat(r).isEqualTo(new RealtimeSpec(10, "fifo", true, true));
        assertThat(with("{priority: 20}").realtime()).isEqualTo(new RealtimeSpec(20, "rr", false, false));
        assertThat(with("{lockMemory: true}").realtime().enabled()).isTrue();
        assertThat(with("{checkPriority: 5, policy: fifo}").realtime()).isEqualTo(new RealtimeSpec(0, "fifo", false, false, 5));
    }

    @Test
    void leftOutOfTheFingerprint() throws Exception {
        assertThat(with("{priority: 10, lockMemory: true}").fingerprint()).isEqualTo(with(null).fingerprint());
    }

    @Test
    void badValuesNameTheKeyAndTheFix() {
        refused("{priority: 100}", "realtime.priority", "is not a real-time priority", "from 1 to 99");
        refused("{checkPriority: 120}", "realtime.checkPriority", "is not a real-time priority", "from 1 to 99");
        refused("{priority: -1}", "realtime.priority", "is not a real-time priority", "from 1 to 99");
        refused("{priority: high}", "realtime.priority", "is not a real-time priority", "from 1 to 99");
        refused("{priority: 10, policy: idle}", "realtime.policy", "unknown scheduling policy", "policy: rr");
        refused("{policy: fifo}", "realtime.policy", "without a priority", "add priority: 10");
        refused("{priority: 10, lockMemory: yes please}", "realtime.lockMemory", "expected true or false",
                "lockMemory: true");
        refused("{priority: 10, rtPriority: 5}", "realtime.rtPriority", "unknown", "");
        refused("10", "realtime", "", "");
    }
}
