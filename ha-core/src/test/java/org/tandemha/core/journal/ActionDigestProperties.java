package org.tandemha.core.journal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.tandemha.core.engine.Action;

/** The digest's direct text for checks to run is Jackson's text, byte for byte; the digest is FNV-1a over it. */
class ActionDigestProperties {

    @Property(tries = 300)
    void theDirectTextIsJacksonsText(@ForAll("checks") Action.RunCheck a) throws Exception {
        String fast = ActionDigest.fastText(a);
        if (fast != null) {
            assertThat(fast).isEqualTo(new ObjectMapper().writeValueAsString(ActionDigest.encode(a)));
        }
    }

    @net.jqwik.api.Example
    void aCheckWithPlainNamesTakesTheDirectText() {
        Action.RunCheck a = new Action.RunCheck(7, Action.CheckKind.DEEP, "web", "app-1", 3, Duration.ofMillis(2500));
        assertThat(ActionDigest.fastText(a)).isEqualTo("{\"kind\":\"runCheck\",\"id\":7,\"check\":\"DEEP\","
                + "\"group\":\"web\",\"resource\":\"app-1\",\"generation\":3,\"timeoutMs\":2500}");
        assertThat(ActionDigest.fastText(new Action.RunCheck(7, Action.CheckKind.DEEP, "w\"eb", "app", 3,
                Duration.ofMillis(1)))).isNull();
    }

    @Property(tries = 200)
    void theDigestIsTheHashOfTheCanonicalText(@ForAll("lists") List<Action> actions) {
        long h = 0xcbf29ce484222325L;
        for (byte b : ActionDigest.text(actions).getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        assertThat(ActionDigest.of(actions)).isEqualTo(HexFormat.of().toHexDigits(h));
    }

    @Provide
    Arbitrary<List<Action>> lists() {
        Arbitrary<Action> other = Arbitraries.strings().ofMaxLength(8).injectNull(0.1).map(Action.PeerRejoined::new);
        return Arbitraries.oneOf(checks().map(c -> (Action) c), other).list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<Action.RunCheck> checks() {
        Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.strings().alpha().numeric().withChars("-_.").ofMaxLength(12),
                Arbitraries.strings().ofMaxLength(6), Arbitraries.strings().withChars("a\"\\\u00e9\n\u2028").ofMaxLength(4))
                .injectNull(0.05);
        Arbitrary<Duration> timeouts = Arbitraries.oneOf(Arbitraries.longs().between(0, 10_000_000).map(Duration::ofMillis),
                Arbitraries.longs().between(-5_000_000_000L, 5_000_000_000L).map(Duration::ofNanos),
                Arbitraries.longs().between(-10_000_000_000L, 10_000_000_000L).map(Duration::ofSeconds)).injectNull(0.05);
        return Combinators.combine(Arbitraries.longs(), Arbitraries.of(Action.CheckKind.class).injectNull(0.05), names, names,
                Arbitraries.longs(), timeouts).as(Action.RunCheck::new);
    }
}
