package org.tandemha.core.journal;

import static org.tandemha.core.journal.InputCodec.F;
import static org.tandemha.core.journal.InputCodec.str;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.tandemha.core.json.JsonTrees;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.tandemha.core.engine.Action;

/**
 * A digest of the actions the engine returned for one input: a 64-bit FNV-1a hash of a canonical JSON text of the
 * actions (fields in a fixed order, maps sorted by key), as 16 lower-case hex digits. Equal action lists have equal
 * digests in every JVM. It tells a replay that decided differently from the run that was journaled; it is not a
 * defence against forgery (the journal is the node's own file). Journals written by earlier builds hold SHA-256
 * digests (64 hex digits): {@link #like} computes that form for them. SHA-256 was about 40% of the engine thread's
 * CPU at 1,000 resources (C1, the daemon's compiler, has no intrinsic for it). An event's wall time is left out: it
 * is display, derived from the engine's time by the runtime's clock, and not a decision (everything else of the
 * event is in, its sequence number too). Written through
 * {@link Action.Handler}, so a new kind of action does not compile until it is covered here.
 */
public final class ActionDigest {

    private ActionDigest() {
    }

    /** SHA-256, cloned for each digest (cheaper than looking the algorithm up each time). */
    private static final MessageDigest SHA256;
    /** The digest of no actions: most inputs (a passing check that was passing, a quiet tick) return none. */
    private static final String NONE;

    static {
        try {
            SHA256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
        NONE = compute(List.of());
    }

    /** The digest of {@code actions}, in order. */
    public static String of(List<Action> actions) {
        return actions.isEmpty() ? NONE : compute(actions);
    }

    /**
     * The digest of {@code actions} in the form of {@code recorded} (a digest read from a journal): SHA-256 when it
     * has 64 hex digits (journals of earlier builds), else {@link #of}.
     */
    public static String like(List<Action> actions, String recorded) {
        return recorded != null && recorded.length() == 64 ? sha256(actions) : of(actions);
    }

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /**
     * The hash of the canonical text {@code [action,action,...]}, each action's text written directly when it is a
     * check to run with plain names ({@link #fastText}: the same bytes as Jackson's, without building a tree: a node
     * with 1,000 resources issues about 1,100 of them a second), else by Jackson.
     */
    private static String compute(List<Action> actions) {
        long h = fnv(FNV_OFFSET, "[");
        for (int i = 0; i < actions.size(); i++) {
            if (i > 0) {
                h = fnv(h, ",");
            }
            Action a = actions.get(i);
            AsciiLine fast = fastLine(a);
            if (fast != null) {
                h = fnv(h, fast.buffer(), fast.length());
            } else {
                h = fnv(h, JsonTrees.bytes(encode(a)));
            }
        }
        return HexFormat.of().toHexDigits(fnv(h, "]"));
    }

    private static long fnv(long h, byte[] bytes) {
        return fnv(h, bytes, bytes.length);
    }

    private static long fnv(long h, byte[] bytes, int len) {
        for (int i = 0; i < len; i++) {
            h = (h ^ (bytes[i] & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** Over ASCII text only (as its bytes). */
    private static long fnv(long h, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            h = (h ^ ascii.charAt(i)) * FNV_PRIME;
        }
        return h;
    }

    /**
     * The canonical text of a check to run whose names are printable ASCII without quote or backslash, written
     * directly (the same as Jackson writes {@link #encode}'s tree); null for any other action.
     */
    static String fastText(Action action) {
        AsciiLine l = fastLine(action);
        return l == null ? null : l.toString();
    }

    /** {@link #fastText} in this thread's reused line (no allocation); null for any other action. */
    private static AsciiLine fastLine(Action action) {
        if (!(action instanceof Action.RunCheck a) || a.kind() == null || a.timeout() == null
                || a.timeout().getNano() % 1_000_000 != 0
                || a.timeout().getSeconds() <= -9_000_000_000L || a.timeout().getSeconds() >= 9_000_000_000L) {
            return null;
        }
        AsciiLine l = AsciiLine.get().raw("{\"kind\":\"runCheck\",\"id\":").num(a.id()).raw(",\"check\":\"")
                .raw(a.kind().name()).raw("\",\"group\":\"");
        if (!l.plain(a.group())) {
            return null;
        }
        l.raw("\",\"resource\":\"");
        if (!l.plain(a.resource())) {
            return null;
        }
        return l.raw("\",\"generation\":").num(a.generation()).raw(",\"timeoutMs\":")
                .num(a.timeout().getSeconds() * 1000 + a.timeout().getNano() / 1_000_000).raw("}");
    }

    /** The SHA-256 digest that journals of earlier builds hold. */
    static String sha256(List<Action> actions) {
        try {
            byte[] text = JsonTrees.bytes(canonical(actions));
            MessageDigest md;
            try {
                md = (MessageDigest) SHA256.clone();
            } catch (CloneNotSupportedException e) {
                md = MessageDigest.getInstance("SHA-256");
            }
            return HexFormat.of().formatHex(md.digest(text));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot digest actions: " + e.getMessage(), e);
        }
    }

    /** The canonical text the digest is computed from (for a person comparing two runs). */
    public static String text(List<Action> actions) {
        return JsonTrees.text(canonical(actions));
    }

    static ArrayNode canonical(List<Action> actions) {
        ArrayNode a = F.arrayNode();
        for (Action x : actions) {
            a.add(encode(x));
        }
        return a;
    }

    /** One action as a JSON object (canonical: for digests and display, not read back). */
    public static ObjectNode encode(Action action) {
        ObjectNode o = F.objectNode();
        action.dispatch(new Action.Handler() {
            @Override
            public void runResource(Action.RunResource a) {
                o.put("kind", "runResource");
                o.put("id", a.id());
                o.put("op", String.valueOf(a.op()));
                str(o, "group", a.group());
                str(o, "resource", a.resource());
                o.put("generation", a.generation());
                o.set("timeoutMs", InputCodec.duration(a.timeout()));
                if (a.cause() != null) {
                    o.set("cause", InputCodec.checkResult(a.cause()));
                }
            }

            @Override
            public void runCheck(Action.RunCheck a) {
                o.put("kind", "runCheck");
                o.put("id", a.id());
                o.put("check", String.valueOf(a.kind()));
                str(o, "group", a.group());
                str(o, "resource", a.resource());
                o.put("generation", a.generation());
                o.set("timeoutMs", InputCodec.duration(a.timeout()));
            }

            @Override
            public void announce(Action.Announce a) {
                o.put("kind", "announce");
                if (a.announcement() != null) {
                    o.set("announcement", InputCodec.announcement(a.announcement()));
                }
            }

            @Override
            public void send(Action.Send a) {
                o.put("kind", "send");
                str(o, "peer", a.peer());
                if (a.message() != null) {
                    o.set("message", InputCodec.message(a.message()));
                }
            }

            @Override
            public void runSafetyCheck(Action.RunSafetyCheck a) {
                o.put("kind", "runSafetyCheck");
                o.put("id", a.id());
                str(o, "peer", a.peer());
                o.put("generation", a.generation());
                o.set("timeoutMs", InputCodec.duration(a.timeout()));
            }

            @Override
            public void fencePeer(Action.FencePeer a) {
                o.put("kind", "fencePeer");
                o.put("id", a.id());
                str(o, "peer", a.peer());
                o.set("timeoutMs", InputCodec.duration(a.timeout()));
            }

            @Override
            public void emit(Action.Emit a) {
                o.put("kind", "emit");
                if (a.event() == null) {
                    return;
                }
                ObjectNode e = o.putObject("event");
                e.put("sequence", a.event().sequence());
                e.put("eventKind", String.valueOf(a.event().kind()));
                e.put("level", String.valueOf(a.event().level()));
                str(e, "node", a.event().node());
                str(e, "group", a.event().group());
                str(e, "resource", a.event().resource());
                str(e, "message", a.event().message());
                e.set("details", InputCodec.stringMap(a.event().details()));
            }

            @Override
            public void completeCommand(Action.CompleteCommand a) {
                o.put("kind", "completeCommand");
                o.put("id", a.id());
                if (a.result() != null) {
                    o.put("accepted", a.result().accepted());
                    str(o, "message", a.result().message());
                    o.set("durationMs", InputCodec.duration(a.result().duration()));
                }
            }

            @Override
            public void refreshPeerStates(Action.RefreshPeerStates a) {
                o.put("kind", "refreshPeerStates");
            }

            @Override
            public void peerRejoined(Action.PeerRejoined a) {
                o.put("kind", "peerRejoined");
                str(o, "peer", a.peer());
            }

            @Override
            public void left(Action.Left a) {
                o.put("kind", "left");
            }

            @Override
            public void acquireLease(Action.AcquireLease a) {
                o.put("kind", "acquireLease");
                str(o, "group", a.group());
            }

            @Override
            public void standAside(Action.StandAside a) {
                o.put("kind", "standAside");
                o.put("aside", a.aside());
                str(o, "reason", a.reason());
            }

            @Override
            public void releaseLease(Action.ReleaseLease a) {
                o.put("kind", "releaseLease");
                str(o, "group", a.group());
            }
        });
        return o;
    }

}
