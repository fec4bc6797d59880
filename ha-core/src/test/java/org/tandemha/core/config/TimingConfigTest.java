package org.tandemha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tandemha.core.config.ConfigTesting.TYPES;
import static org.tandemha.core.config.ConfigTesting.resource;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;

/** The runtime's policies moved into the configuration: {@code timing.pauseReport} and {@code timing.actionSlack}. */
class TimingConfigTest {
    private static ClusterSpec with(String timing) throws InvalidConfigException {
        String text = resource("good/minimal.yaml");
        return ConfigLoader.parse(timing == null ? text : text + "timing: " + timing + "\n", true, TYPES);
    }

    private static void refused(String timing, String field, String message, String fix) {
        assertThatThrownBy(() -> with(timing)).isInstanceOfSatisfying(InvalidConfigException.class, e ->
                assertThat(e.problems()).anySatisfy(p -> {
                    assertThat(p.field()).endsWith(field);
                    assertThat(p.message()).contains(message);
                    assertThat(p.fix()).contains(fix);
                    ConfigTesting.assertOperatorReadable(p.message() + "\n" + p.fix());
                }));
    }

    @Test
    void defaultsAreTheFormerFixedValues() throws Exception {
        TimingSpec t = with(null).timing();
        assertThat(t.pauseReport()).isEqualTo(Duration.ofSeconds(1));
        assertThat(t.actionSlack()).isEqualTo(Duration.ofMillis(200));
        assertThat(TimingSpec.defaults()).isEqualTo(t);
    }

    @Test
    void bothAreRead() throws Exception {
        TimingSpec t = with("{pauseReport: 2s, actionSlack: 1s}").timing();
        assertThat(t.pauseReport()).isEqualTo(Duration.ofSeconds(2));
        assertThat(t.actionSlack()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aShortPauseThresholdStaysValidWithHalfOfItAsTheReport() throws Exception {
        assertThat(with("{pauseThreshold: 800ms}").timing().pauseReport()).isEqualTo(Duration.ofMillis(400));
        assertThat(new TimingSpec(Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(4),
                Duration.ofSeconds(1), Duration.ofMillis(600), Duration.ofSeconds(5), Duration.ofSeconds(1)).pauseReport())
                .isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void aReportNotBelowThePauseThresholdIsRefused() {
        refused("{pauseThreshold: 2s, pauseReport: 2s}", "timing.pauseReport", "is not shorter than pauseThreshold",
                "make pauseReport shorter than pauseThreshold");
        refused("{pauseReport: 10s}", "timing.pauseReport", "(5 s)", "shorter than pauseThreshold");
    }

    @Test
    void aReportBelowTheDetectorsResolutionIsRefused() {
        refused("{pauseReport: 50ms}", "timing.pauseReport", "is shorter than 200ms", "use at least 200ms");
    }

    @Test
    void aSlackOverAMinuteIsRefused() {
        refused("{actionSlack: 2m}", "timing.actionSlack", "is longer than 1m", "use at most 1m");
        refused("{actionSlack: 0s}", "timing.actionSlack", "greater than zero", "greater than zero");
    }

    @Test
    void theFingerprintOfAConfigurationWithoutThemIsUnchanged() throws Exception {
        String none = with(null).fingerprint();
        assertThat(with("{pauseReport: 1s, actionSlack: 200ms}").fingerprint()).isEqualTo(none);
        assertThat(with("{pauseReport: 2s}").fingerprint()).isNotEqualTo(none);
        assertThat(with("{actionSlack: 300ms}").fingerprint()).isNotEqualTo(none);
        assertThat(Canonical.render(with(null))).contains("timing [5000000000ns,");
    }
}
