package org.tandemha.core.journal;

import static org.tandemha.core.journal.JsonFields.array;
import static org.tandemha.core.journal.JsonFields.bool;
import static org.tandemha.core.journal.JsonFields.enumOf;
import static org.tandemha.core.journal.JsonFields.lng;
import static org.tandemha.core.journal.JsonFields.number;
import static org.tandemha.core.journal.JsonFields.string;
import static org.tandemha.core.journal.JsonFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Severity;
import org.tandemha.api.Verdict;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Input;
import org.tandemha.core.engine.LocalState;
import org.tandemha.core.engine.Wire;
import org.tandemha.core.json.JsonTrees;

/**
 * Engine inputs as JSON objects and back, exactly: {@code decode(encode(in)).equals(in)} for every input. Each
 * object names its kind ({@code "kind": "peerState"}, the {@link Input.Handler} method's name); durations are
 * milliseconds (a decimal number when they carry finer parts); a null string is left out. Encoding goes through
 * {@link Input.Handler}, so a new kind of input does not compile until it is written here.
 */
public final class InputCodec {
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final BigDecimal NANOS_PER_MS = BigDecimal.valueOf(1_000_000);

    private InputCodec() {
    }

    /** The input as a JSON object. */
    public static ObjectNode encode(Input input) {
        ObjectNode o = F.objectNode();
        input.dispatch(new Input.Handler() {
            @Override
            public void tick(Input.Tick in) {
                o.put("kind", "tick");
            }

            @Override
            public void boot(Input.Boot in) {
                o.put("kind", "boot");
                ObjectNode gens = o.putObject("generations");
                new TreeMap<>(in.generations()).forEach(gens::put);
                o.put("incarnation", in.incarnation());
            }

            @Override
            public void shutdown(Input.Shutdown in) {
                o.put("kind", "shutdown");
            }

            @Override
            public void peerReachable(Input.PeerReachable in) {
                o.put("kind", "peerReachable");
                str(o, "peer", in.peer());
                o.put("incarnation", in.incarnation());
            }

            @Override
            public void peerUnreachable(Input.PeerUnreachable in) {
                o.put("kind", "peerUnreachable");
                str(o, "peer", in.peer());
                str(o, "reason", in.reason());
            }

            @Override
            public void peerState(Input.PeerState in) {
                o.put("kind", "peerState");
                str(o, "peer", in.peer());
                o.put("incarnation", in.incarnation());
                if (in.announcement() != null) {
                    o.set("announcement", announcement(in.announcement()));
                }
            }

            @Override
            public void peerMessage(Input.PeerMessage in) {
                o.put("kind", "peerMessage");
                str(o, "peer", in.peer());
                if (in.message() != null) {
                    o.set("message", message(in.message()));
                }
            }

            @Override
            public void actionDone(Input.ActionDone in) {
                o.put("kind", "actionDone");
                o.put("id", in.id());
                if (in.result() != null) {
                    o.set("result", actionResult(in.result()));
                }
            }

            @Override
            public void checkDone(Input.CheckDone in) {
                o.put("kind", "checkDone");
                o.put("id", in.id());
                if (in.result() != null) {
                    o.set("result", checkResult(in.result()));
                }
            }

            @Override
            public void safetyDone(Input.SafetyDone in) {
                o.put("kind", "safetyDone");
                o.put("id", in.id());
                str(o, "peer", in.peer());
                if (in.verdict() != null) {
                    ObjectNode v = o.putObject("verdict");
                    v.put("answer", in.verdict().answer().name());
                    v.put("reason", in.verdict().reason());
                    v.put("generation", in.verdict().generation());
                }
            }

            @Override
            public void fenceDone(Input.FenceDone in) {
                o.put("kind", "fenceDone");
                o.put("id", in.id());
                str(o, "peer", in.peer());
                if (in.result() != null) {
                    o.set("result", actionResult(in.result()));
                }
            }

            @Override
            public void resumed(Input.Resumed in) {
                o.put("kind", "resumed");
                o.put("pausedMs", in.pausedMs());
            }

            @Override
            public void quorumDevice(Input.QuorumDevice in) {
                o.put("kind", "quorumDevice");
                str(o, "device", in.device());
                o.put("reachable", in.reachable());
            }

            @Override
            public void fact(Input.Fact in) {
                o.put("kind", "fact");
                str(o, "key", in.key());
                str(o, "value", in.value());
            }

            @Override
            public void selfFenced(Input.SelfFenced in) {
                o.put("kind", "selfFenced");
                str(o, "reason", in.reason());
            }

            @Override
            public void generationsDurable(Input.GenerationsDurable in) {
                o.put("kind", "generationsDurable");
                o.put("durable", in.durable());
                str(o, "reason", in.reason());
            }

            @Override
            public void duplicateNode(Input.DuplicateNode in) {
                o.put("kind", "duplicateNode");
                str(o, "node", in.node());
                o.put("older", in.older());
                o.put("newer", in.newer());
            }

            @Override
            public void command(Input.Command in) {
                o.put("kind", "command");
                o.put("id", in.id());
                if (in.kind() != null) {
                    o.put("command", in.kind().name());
                }
                str(o, "group", in.group());
                str(o, "target", in.target());
            }

            @Override
            public void leaseGranted(Input.LeaseGranted in) {
                o.put("kind", "leaseGranted");
                str(o, "group", in.group());
                o.put("token", in.token());
            }

            @Override
            public void leaseLost(Input.LeaseLost in) {
                o.put("kind", "leaseLost");
                str(o, "group", in.group());
                str(o, "reason", in.reason());
            }

            @Override
            public void sessionSuspended(Input.SessionSuspended in) {
                o.put("kind", "sessionSuspended");
                str(o, "reason", in.reason());
            }

            @Override
            public void foundRunning(Input.FoundRunning in) {
                o.put("kind", "foundRunning");
                str(o, "group", in.group());
                str(o, "resource", in.resource());
                str(o, "reason", in.reason());
            }

            @Override
            public void sessionVerified(Input.SessionVerified in) {
                o.put("kind", "sessionVerified");
                ObjectNode leases = o.putObject("leases");
                new TreeMap<>(in.leases()).forEach(leases::put);
            }
        });
        return o;
    }

    /** The input a JSON object written by {@link #encode} describes. */
    public static Input decode(JsonNode n) throws JournalFormatException {
        if (n == null || !n.isObject()) {
            throw new JournalFormatException("an input must be a JSON object, found " + JsonTrees.text(n));
        }
        String kind = n.path("kind").asText(null);
        if (kind == null) {
            throw new JournalFormatException("an input without \"kind\": " + JsonTrees.text(n));
        }
        return switch (kind) {
            case "tick" -> new Input.Tick();
            case "boot" -> new Input.Boot(longMap(n.get("generations"), "generations"), lng(n, "incarnation"));
            case "shutdown" -> new Input.Shutdown();
            case "peerReachable" -> new Input.PeerReachable(string(n, "peer"), lng(n, "incarnation"));
            case "peerUnreachable" -> new Input.PeerUnreachable(string(n, "peer"), string(n, "reason"));
            case "peerState" -> new Input.PeerState(string(n, "peer"), lng(n, "incarnation"),
                    n.hasNonNull("announcement") ? announcement(n.get("announcement")) : null);
            case "peerMessage" -> new Input.PeerMessage(string(n, "peer"),
                    n.hasNonNull("message") ? message(n.get("message")) : null);
            case "actionDone" -> new Input.ActionDone(lng(n, "id"), actionResult(n.get("result")));
            case "checkDone" -> new Input.CheckDone(lng(n, "id"), checkResult(n.get("result")));
            case "safetyDone" -> new Input.SafetyDone(lng(n, "id"), string(n, "peer"), verdict(n.get("verdict")));
            case "fenceDone" -> new Input.FenceDone(lng(n, "id"), string(n, "peer"), actionResult(n.get("result")));
            case "resumed" -> new Input.Resumed(lng(n, "pausedMs"));
            case "quorumDevice" -> new Input.QuorumDevice(string(n, "device"), bool(n, "reachable"));
            case "fact" -> new Input.Fact(string(n, "key"), string(n, "value"));
            case "selfFenced" -> new Input.SelfFenced(string(n, "reason"));
            case "generationsDurable" -> new Input.GenerationsDurable(bool(n, "durable"), string(n, "reason"));
            case "duplicateNode" -> new Input.DuplicateNode(string(n, "node"), lng(n, "older"), lng(n, "newer"));
            case "command" -> new Input.Command(lng(n, "id"),
                    n.hasNonNull("command") ? enumOf(Input.Command.Kind.class, n, "command") : null,
                    string(n, "group"), string(n, "target"));
            case "leaseGranted" -> new Input.LeaseGranted(string(n, "group"), lng(n, "token"));
            case "leaseLost" -> new Input.LeaseLost(string(n, "group"), string(n, "reason"));
            case "sessionSuspended" -> new Input.SessionSuspended(string(n, "reason"));
            case "sessionVerified" -> new Input.SessionVerified(longMap(n.get("leases"), "leases"));
            case "foundRunning" -> new Input.FoundRunning(string(n, "group"), string(n, "resource"), string(n, "reason"));
            default -> throw new JournalFormatException("unknown input kind \"" + kind
                    + "\": it was written by a newer Tandem; upgrade Tandem to read it");
        };
    }

    // ------------------------------------------------------------------ parts shared with ActionDigest

    static ObjectNode announcement(Announcement a) {
        ObjectNode o = F.objectNode();
        o.put("version", a.version());
        str(o, "fingerprint", a.fingerprint());
        o.put("leaving", a.leaving());
        o.put("standingDown", a.standingDown());
        if (a.facts() != null) {
            o.set("facts", stringMap(a.facts()));
        }
        if (a.groups() != null) {
            ArrayNode gs = o.putArray("groups");
            for (Announcement.GroupAnn g : a.groups()) {
                if (g == null) {
                    gs.addNull();
                    continue;
                }
                ObjectNode go = gs.addObject();
                str(go, "group", g.group());
                if (g.state() != null) {
                    go.put("state", g.state().name());
                }
                go.put("gen", g.gen());
                str(go, "ackNode", g.ackNode());
                go.put("ackGen", g.ackGen());
                str(go, "handoff", g.handoff());
                go.put("blocked", g.blocked());
                go.put("fatal", g.fatal());
                go.put("maintVer", g.maintVer());
                str(go, "maintNode", g.maintNode());
                go.put("maintOn", g.maintOn());
                go.put("clearVer", g.clearVer());
                go.put("byAdmin", g.byAdmin());
            }
        }
        return o;
    }

    static ObjectNode message(Wire.Message m) {
        ObjectNode o = F.objectNode();
        m.dispatch(new Wire.Message.Handler() {
            @Override
            public void switchoverRequest(Wire.SwitchoverRequest r) {
                o.put("kind", "switchoverRequest");
                o.put("requestId", r.requestId());
                str(o, "group", r.group());
                str(o, "target", r.target());
            }

            @Override
            public void commandReply(Wire.CommandReply r) {
                o.put("kind", "commandReply");
                o.put("requestId", r.requestId());
                o.put("accepted", r.accepted());
                str(o, "message", r.message());
            }

            @Override
            public void duplicateSeen(Wire.DuplicateSeen d) {
                o.put("kind", "duplicateSeen");
                str(o, "node", d.node());
                o.put("older", d.older());
                o.put("newer", d.newer());
            }
        });
        return o;
    }

    static ObjectNode actionResult(ActionResult r) {
        ObjectNode o = F.objectNode();
        o.put("outcome", r.outcome().name());
        o.put("severity", r.severity().name());
        o.put("reason", r.reason());
        o.set("durationMs", duration(r.duration()));
        if (!r.output().isEmpty()) {
            ArrayNode out = o.putArray("output");
            r.output().forEach(out::add);
        }
        return o;
    }

    static ObjectNode checkResult(CheckResult r) {
        ObjectNode o = F.objectNode();
        o.put("health", r.health().name());
        o.put("severity", r.severity().name());
        o.put("reason", r.reason());
        o.set("durationMs", duration(r.duration()));
        if (!r.output().isEmpty()) {
            ArrayNode out = o.putArray("output");
            r.output().forEach(out::add);
        }
        return o;
    }

    /** Milliseconds: a whole number, or a decimal with up to six places when the duration has finer parts. */
    static JsonNode duration(Duration d) {
        if (d == null) {
            return F.nullNode();
        }
        long s = d.getSeconds();
        if (s > -9_000_000_000L && s < 9_000_000_000L) {
            // the common case (every check's duration) without BigInteger arithmetic: the same number, the same text
            if (d.getNano() % 1_000_000 == 0) {
                return F.numberNode(s * 1000 + d.getNano() / 1_000_000);
            }
            return F.numberNode(BigDecimal.valueOf(s * 1_000_000_000L + d.getNano(), 6).stripTrailingZeros());
        }
        BigDecimal ms = new BigDecimal(BigInteger.valueOf(d.getSeconds()).multiply(BigInteger.valueOf(1_000_000_000L))
                .add(BigInteger.valueOf(d.getNano())), 6);
        if (d.getNano() % 1_000_000 == 0) {
            return F.numberNode(ms.setScale(0).longValueExact());
        }
        return F.numberNode(ms.stripTrailingZeros());
    }

    static ObjectNode stringMap(Map<String, String> m) {
        ObjectNode o = F.objectNode();
        // sorted, so that the text is the same whatever the map's iteration order
        new TreeMap<>(m).forEach((k, v) -> str(o, k, v, true));
        return o;
    }

    static void str(ObjectNode o, String field, String value) {
        str(o, field, value, false);
    }

    private static void str(ObjectNode o, String field, String value, boolean keepNull) {
        if (value != null) {
            o.put(field, value);
        } else if (keepNull) {
            o.putNull(field);
        }
    }

    // ------------------------------------------------------------------ reading

    private static Announcement announcement(JsonNode n) throws JournalFormatException {
        List<Announcement.GroupAnn> groups = null;
        if (n.hasNonNull("groups")) {
            groups = new ArrayList<>();
            for (JsonNode g : array(n.get("groups"), "groups")) {
                if (g.isNull()) {
                    groups.add(null);
                    continue;
                }
                groups.add(new Announcement.GroupAnn(string(g, "group"),
                        g.hasNonNull("state") ? enumOf(LocalState.class, g, "state") : null, lng(g, "gen"),
                        string(g, "ackNode"), lng(g, "ackGen"), string(g, "handoff"), bool(g, "blocked"), bool(g, "fatal"),
                        lng(g, "maintVer"), string(g, "maintNode"), bool(g, "maintOn"), lng(g, "clearVer"), bool(g, "byAdmin")));
            }
        }
        Map<String, String> facts = null;
        if (n.hasNonNull("facts")) {
            facts = new LinkedHashMap<>();
            JsonNode f = n.get("facts");
            if (!f.isObject()) {
                throw new JournalFormatException("\"facts\" must be an object: " + f);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = f.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                facts.put(e.getKey(), e.getValue().isNull() ? null : text(e.getValue(), "facts." + e.getKey()));
            }
        }
        return new Announcement(lng(n, "version"), string(n, "fingerprint"), bool(n, "leaving"), bool(n, "standingDown"),
                facts, groups);
    }

    private static Wire.Message message(JsonNode n) throws JournalFormatException {
        String kind = n.path("kind").asText("");
        return switch (kind) {
            case "switchoverRequest" -> new Wire.SwitchoverRequest(lng(n, "requestId"), string(n, "group"), string(n, "target"));
            case "commandReply" -> new Wire.CommandReply(lng(n, "requestId"), bool(n, "accepted"), string(n, "message"));
            case "duplicateSeen" -> new Wire.DuplicateSeen(string(n, "node"), lng(n, "older"), lng(n, "newer"));
            default -> throw new JournalFormatException("unknown peer message kind \"" + kind
                    + "\": it was written by a newer Tandem; upgrade Tandem to read it");
        };
    }

    private static ActionResult actionResult(JsonNode n) throws JournalFormatException {
        if (n == null || n.isNull()) {
            return null;
        }
        return new ActionResult(enumOf(ActionResult.Outcome.class, n, "outcome"), enumOf(Severity.class, n, "severity"),
                string(n, "reason"), duration(n.get("durationMs")), strings(n.get("output")));
    }

    private static CheckResult checkResult(JsonNode n) throws JournalFormatException {
        if (n == null || n.isNull()) {
            return null;
        }
        return new CheckResult(enumOf(CheckResult.Health.class, n, "health"), enumOf(Severity.class, n, "severity"),
                string(n, "reason"), duration(n.get("durationMs")), strings(n.get("output")));
    }

    private static Verdict verdict(JsonNode n) throws JournalFormatException {
        if (n == null || n.isNull()) {
            return null;
        }
        try {
            return new Verdict(enumOf(Verdict.Answer.class, n, "answer"), string(n, "reason"), lng(n, "generation"));
        } catch (IllegalArgumentException e) {
            throw new JournalFormatException("bad verdict " + JsonTrees.text(n) + ": " + e.getMessage());
        }
    }

    private static Duration duration(JsonNode n) throws JournalFormatException {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            throw new JournalFormatException("a duration must be a number of milliseconds, found " + JsonTrees.text(n));
        }
        BigInteger nanos = n.decimalValue().multiply(NANOS_PER_MS).toBigInteger();
        BigInteger[] sn = nanos.divideAndRemainder(BigInteger.valueOf(1_000_000_000L));
        if (sn[1].signum() < 0) {
            sn[0] = sn[0].subtract(BigInteger.ONE);
            sn[1] = sn[1].add(BigInteger.valueOf(1_000_000_000L));
        }
        return Duration.ofSeconds(sn[0].longValueExact(), sn[1].longValueExact());
    }

    private static List<String> strings(JsonNode n) throws JournalFormatException {
        if (n == null || n.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : array(n, "output")) {
            out.add(text(s, "output[]"));
        }
        return out;
    }

    private static Map<String, Long> longMap(JsonNode n, String field) throws JournalFormatException {
        Map<String, Long> m = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return m;
        }
        if (!n.isObject()) {
            throw new JournalFormatException("\"" + field + "\" must be an object: " + JsonTrees.text(n));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), number(e.getValue(), field + "." + e.getKey()));
        }
        return m;
    }
}
