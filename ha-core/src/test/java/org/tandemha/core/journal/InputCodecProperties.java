package org.tandemha.core.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;
import org.tandemha.api.Verdict;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.Wire;
import org.tandemha.core.json.JsonTrees;

/** Every engine input survives the journal's JSON exactly, through the text a segment holds. */
class InputCodecProperties {

    @Property(tries = 2000)
    void everyInputRoundTripsExactly(@ForAll("inputs") Input in) throws Exception {
        String text = JsonTrees.text(InputCodec.encode(in));
        JsonNode back = JsonTrees.parseExact(text);
        assertThat(InputCodec.decode(back)).isEqualTo(in);
    }

    @Example
    void theGeneratorsCoverEveryKindOfInput() {
        Set<Class<?>> seen = new HashSet<>();
        for (Arbitrary<? extends Input> a : kinds()) {
            seen.add(a.sample().getClass());
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(Arrays.asList(Input.class.getPermittedSubclasses()));
    }

    @Example
    void anUnknownKindIsRefusedWithTheFix() throws Exception {
        assertThatThrownBy(() -> InputCodec.decode(JsonTrees.parseExact("{\"kind\":\"teleport\"}")))
                .isInstanceOf(JournalFormatException.class)
                .hasMessageContaining("unknown input kind \"teleport\"").hasMessageContaining("upgrade Tandem");
    }

    @Example
    void durationsAreMilliseconds() {
        assertThat(InputCodec.duration(Duration.ofMillis(1500)).toString()).isEqualTo("1500");
        assertThat(InputCodec.duration(Duration.ofNanos(1_500_001)).toString()).isEqualTo("1.500001");
    }

    /** The duration's fast path (no BigInteger arithmetic) writes exactly the text the general one does. */
    @Property(tries = 2000)
    void durationTextIsThatOfTheGeneralArithmetic(@ForAll("durations") Duration d) {
        java.math.BigDecimal ms = new java.math.BigDecimal(java.math.BigInteger.valueOf(d.getSeconds())
                .multiply(java.math.BigInteger.valueOf(1_000_000_000L)).add(java.math.BigInteger.valueOf(d.getNano())), 6);
        JsonNode general;
        try {
            general = d.getNano() % 1_000_000 == 0 ? InputCodec.F.numberNode(ms.setScale(0).longValueExact())
                    : InputCodec.F.numberNode(ms.stripTrailingZeros());
        } catch (ArithmeticException e) { // beyond a long of milliseconds: both ways refuse it alike
            assertThatThrownBy(() -> InputCodec.duration(d)).isInstanceOf(ArithmeticException.class);
            return;
        }
        assertThat(InputCodec.duration(d)).isEqualTo(general);
        assertThat(InputCodec.duration(d).toString()).isEqualTo(general.toString());
    }

    /** The journal's direct line for ticks and check results is byte for byte what Jackson writes. */
    @Property(tries = 3000)
    void fastLineIsJacksonsLine(@ForAll("hotInputs") Input in, @ForAll long t, @ForAll("digests") String digest) throws Exception {
        byte[] fast = Journal.fastLine(t, in, digest);
        byte[] general = Journal.jacksonLine(t, in, digest);
        if (fast != null) {
            assertThat(new String(fast, java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(new String(general, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(Journal.line(t, in, digest)).isEqualTo(general);
    }

    @Example
    void fastLineTakesThePassingCheck() throws Exception {
        Input in = new Input.CheckDone(8888, new CheckResult(CheckResult.Health.OK, Severity.SOFT, "fine",
                Duration.ofNanos(244), List.of()));
        assertThat(Journal.fastLine(9944, in, "4f53")).isNotNull();
        assertThat(new String(Journal.line(9944, in, "4f53"), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
                "{\"t\":9944,\"in\":{\"kind\":\"checkDone\",\"id\":8888,\"result\":{\"health\":\"OK\",\"severity\":\"SOFT\","
                        + "\"reason\":\"fine\",\"durationMs\":0.000244}},\"digest\":\"4f53\"}\n");
    }

    @Provide
    Arbitrary<Input> hotInputs() {
        return Arbitraries.oneOf(Arbitraries.just(new Input.Tick()),
                Combinators.combine(Arbitraries.longs(), checkResult().injectNull(0.05)).as(Input.CheckDone::new),
                Combinators.combine(Arbitraries.longs(), Combinators.combine(Arbitraries.of(CheckResult.Health.class),
                        Arbitraries.of(Severity.class), Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(20),
                        duration()).as((h, sv, r, d) -> new CheckResult(h, sv, r, d, List.of()))).as(Input.CheckDone::new),
                Arbitraries.just(new Input.Shutdown()));
    }

    @Provide
    Arbitrary<String> digests() {
        return Arbitraries.oneOf(Arbitraries.strings().withChars("0123456789abcdef").ofLength(64),
                Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(8));
    }

    @Provide
    Arbitrary<Duration> durations() {
        return Arbitraries.oneOf(duration(), Combinators.combine(Arbitraries.longs(), Arbitraries.integers()
                .between(0, 999_999_999)).as(Duration::ofSeconds));
    }

    @Provide
    Arbitrary<Input> inputs() {
        return Arbitraries.oneOf(kinds());
    }

    private static List<Arbitrary<? extends Input>> kinds() {
        Arbitrary<String> s = str();
        Arbitrary<String> ns = str().injectNull(0.15);
        Arbitrary<Long> l = Arbitraries.longs();
        return List.of(
                Arbitraries.just(new Input.Tick()),
                Combinators.combine(Arbitraries.maps(s, l).ofMaxSize(4), l).as(Input.Boot::new),
                Arbitraries.just(new Input.Shutdown()),
                Combinators.combine(ns, l).as(Input.PeerReachable::new),
                Combinators.combine(ns, ns).as(Input.PeerUnreachable::new),
                Combinators.combine(ns, l, announcement().injectNull(0.05)).as(Input.PeerState::new),
                Combinators.combine(ns, message().injectNull(0.05)).as(Input.PeerMessage::new),
                Combinators.combine(l, actionResult().injectNull(0.05)).as(Input.ActionDone::new),
                Combinators.combine(l, checkResult().injectNull(0.05)).as(Input.CheckDone::new),
                Combinators.combine(l, ns, verdict().injectNull(0.05)).as(Input.SafetyDone::new),
                Combinators.combine(l, ns, actionResult().injectNull(0.05)).as(Input.FenceDone::new),
                l.map(Input.Resumed::new),
                Combinators.combine(ns, Arbitraries.of(true, false)).as(Input.QuorumDevice::new),
                Combinators.combine(ns, ns).as(Input.Fact::new),
                ns.map(Input.SelfFenced::new),
                Combinators.combine(Arbitraries.of(true, false), ns).as(Input.GenerationsDurable::new),
                Combinators.combine(ns, l, l).as(Input.DuplicateNode::new),
                Combinators.combine(l, Arbitraries.of(Input.Command.Kind.class).injectNull(0.05), ns, ns)
                        .as(Input.Command::new),
                Combinators.combine(ns, l).as(Input.LeaseGranted::new),
                Combinators.combine(ns, ns).as(Input.LeaseLost::new),
                ns.map(Input.SessionSuspended::new),
                Arbitraries.maps(s, l).ofMaxSize(4).map(Input.SessionVerified::new),
                Combinators.combine(ns, ns, ns).as(Input.FoundRunning::new));
    }

    /** Any text without lone surrogates (which no JSON text can carry), control characters included. */
    private static Arbitrary<String> str() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('\u0000', '\ud7ff').ofMaxLength(12),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(30),
                Arbitraries.of("", "node1", "web", "quick check failed: exit 1\n\tat line 2", "\u00e9t\u00e9 \u2603"));
    }

    private static Arbitrary<Duration> duration() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(0, 3_600_000).map(Duration::ofMillis),
                Arbitraries.longs().map(Duration::ofNanos),
                Combinators.combine(Arbitraries.longs().between(-1L << 40, 1L << 40), Arbitraries.integers().between(0, 999_999_999))
                        .as(Duration::ofSeconds));
    }

    private static Arbitrary<List<String>> output() {
        return str().list().ofMaxSize(3);
    }

    private static Arbitrary<ActionResult> actionResult() {
        return Combinators.combine(Arbitraries.of(ActionResult.Outcome.class), Arbitraries.of(Severity.class), str(),
                duration(), output()).as(ActionResult::new);
    }

    private static Arbitrary<CheckResult> checkResult() {
        return Combinators.combine(Arbitraries.of(CheckResult.Health.class), Arbitraries.of(Severity.class), str(),
                duration(), output()).as(CheckResult::new);
    }

    private static Arbitrary<Verdict> verdict() {
        return Combinators.combine(Arbitraries.of(Verdict.Answer.class), str(), Arbitraries.longs().greaterOrEqual(0))
                .as(Verdict::new);
    }

    private static Arbitrary<Wire.Message> message() {
        Arbitrary<String> ns = str().injectNull(0.15);
        Arbitrary<Long> l = Arbitraries.longs();
        return Arbitraries.oneOf(
                Combinators.combine(l, ns, ns).as(Wire.SwitchoverRequest::new),
                Combinators.combine(l, Arbitraries.of(true, false), ns).as(Wire.CommandReply::new),
                Combinators.combine(ns, l, l).as(Wire.DuplicateSeen::new));
    }

    private static Arbitrary<Announcement.GroupAnn> groupAnn() {
        Arbitrary<String> ns = str().injectNull(0.15);
        Arbitrary<Long> l = Arbitraries.longs();
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return Combinators.combine(
                Combinators.combine(ns, Arbitraries.of(LocalState.class).injectNull(0.05), l, ns, l, ns)
                        .as((a, c, d, e, f, g) -> Arrays.<Object>asList(a, c, d, e, f, g)),
                Combinators.combine(b, b, l, ns, b, l, b)
                        .as((a, c, d, e, f, g, h) -> Arrays.<Object>asList(a, c, d, e, f, g, h)))
                .as((x, y) -> new Announcement.GroupAnn((String) x.get(0), (LocalState) x.get(1), (Long) x.get(2),
                        (String) x.get(3), (Long) x.get(4), (String) x.get(5), (Boolean) y.get(0), (Boolean) y.get(1),
                        (Long) y.get(2), (String) y.get(3), (Boolean) y.get(4), (Long) y.get(5), (Boolean) y.get(6)));
    }

    private static Arbitrary<Announcement> announcement() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return Combinators.combine(Arbitraries.longs(), str().injectNull(0.1), b, b,
                Arbitraries.maps(str(), str().injectNull(0.1)).ofMaxSize(3).injectNull(0.05),
                groupAnn().list().ofMaxSize(3).injectNull(0.05)).as(Announcement::new);
    }
}
