package org.tandemha.core.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's own payloads, carried opaquely by the membership: announcements and messages. A small binary
 * form with a format byte; anything malformed is rejected with a reason ({@link WireException}), never thrown
 * as anything else.
 */
public final class Wire {
    static final byte ANNOUNCEMENT = 1;
    static final byte SWITCHOVER_REQUEST = 2;
    static final byte COMMAND_REPLY = 3;
    static final byte DUPLICATE_SEEN = 4;
    private static final int MAX_STRING = 4096;
    private static final int MAX_ITEMS = 10_000;

    private Wire() {
    }

    /** Engine-to-engine messages. */
    public sealed interface Message {
        /** Calls the handler's method for this kind of message (a new kind must be handled everywhere). */
        void dispatch(Handler h);

        /** One method per kind of message. */
        interface Handler {
            void switchoverRequest(SwitchoverRequest m);

            void commandReply(CommandReply m);

            void duplicateSeen(DuplicateSeen m);
        }
    }

    /** Asks the node holding a group to hand it over to {@code target}. */
    public record SwitchoverRequest(long requestId, String group, String target) implements Message {
        @Override
        public void dispatch(Message.Handler h) {
            h.switchoverRequest(this);
        }
    }

    /** The answer to a request. */
    public record CommandReply(long requestId, boolean accepted, String message) implements Message {
        @Override
        public void dispatch(Message.Handler h) {
            h.commandReply(this);
        }
    }

    /** Tells {@code node} that two copies of it are heard at once: the one with incarnation {@code newer} stands down. */
    public record DuplicateSeen(String node, long older, long newer) implements Message {
        @Override
        public void dispatch(Message.Handler h) {
            h.duplicateSeen(this);
        }
    }

    /** A payload that is not a valid engine payload. */
    public static final class WireException extends Exception {
        private static final long serialVersionUID = 1L;

        WireException(String message) {
            super(message);
        }
    }

    /** The version of an encoded announcement, read from its header alone (the rest is not checked). */
    public static long announcementVersion(byte[] bytes) throws WireException {
        if (bytes == null || bytes.length < 9 || bytes[0] != ANNOUNCEMENT) {
            throw new WireException(bytes == null || bytes.length < 9 ? "truncated announcement" : "not an announcement");
        }
        long v = 0;
        for (int i = 1; i < 9; i++) {
            v = (v << 8) | (bytes[i] & 0xff);
        }
        return v;
    }

    public static byte[] encode(Announcement a) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bos);
            out.writeByte(ANNOUNCEMENT);
            out.writeLong(a.version());
            str(out, a.fingerprint());
            out.writeBoolean(a.leaving());
            out.writeBoolean(a.standingDown());
            out.writeShort(a.facts().size());
            for (Map.Entry<String, String> e : a.facts().entrySet()) {
                str(out, e.getKey());
                str(out, e.getValue());
            }
            out.writeShort(a.groups().size());
            for (Announcement.GroupAnn g : a.groups()) {
                str(out, g.group());
                out.writeByte(g.state().ordinal());
                out.writeLong(g.gen());
                str(out, g.ackNode());
                out.writeLong(g.ackGen());
                str(out, g.handoff());
                out.writeByte((g.blocked() ? 1 : 0) | (g.fatal() ? 2 : 0) | (g.maintOn() ? 4 : 0) | (g.byAdmin() ? 8 : 0));
                out.writeLong(g.maintVer());
                str(out, g.maintNode());
                out.writeLong(g.clearVer());
            }
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e); // a byte array stream does not fail
        }
    }

    public static Announcement decodeAnnouncement(byte[] bytes) throws WireException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readByte() != ANNOUNCEMENT) {
                throw new WireException("not an announcement");
            }
            long version = in.readLong();
            String fp = rstr(in);
            boolean leaving = in.readBoolean();
            boolean standing = in.readBoolean();
            int nf = count(in.readUnsignedShort());
            Map<String, String> facts = new LinkedHashMap<>();
            for (int i = 0; i < nf; i++) {
                facts.put(rstr(in), rstr(in));
            }
            int ng = count(in.readUnsignedShort());
            List<Announcement.GroupAnn> groups = new ArrayList<>(ng);
            LocalState[] states = LocalState.values();
            for (int i = 0; i < ng; i++) {
                String group = rstr(in);
                int st = in.readUnsignedByte();
                if (st >= states.length || group == null) {
                    throw new WireException("bad group entry");
                }
                long gen = in.readLong();
                String ackNode = rstr(in);
                long ackGen = in.readLong();
                String handoff = rstr(in);
                int flags = in.readUnsignedByte();
                long maintVer = in.readLong();
                String maintNode = rstr(in);
                long clearVer = in.readLong();
                groups.add(new Announcement.GroupAnn(group, states[st], gen, ackNode, ackGen, handoff,
                        (flags & 1) != 0, (flags & 2) != 0, maintVer, maintNode, (flags & 4) != 0, clearVer, (flags & 8) != 0));
            }
            if (in.available() != 0) {
                throw new WireException("trailing bytes");
            }
            return new Announcement(version, fp, leaving, standing, facts, groups);
        } catch (IOException e) {
            throw new WireException("truncated announcement");
        }
    }

    public static byte[] encode(Message m) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bos);
            m.dispatch(new Message.Handler() {
                @Override
                public void switchoverRequest(SwitchoverRequest r) {
                    write(() -> {
                        out.writeByte(SWITCHOVER_REQUEST);
                        out.writeLong(r.requestId());
                        str(out, r.group());
                        str(out, r.target());
                    });
                }

                @Override
                public void commandReply(CommandReply r) {
                    write(() -> {
                        out.writeByte(COMMAND_REPLY);
                        out.writeLong(r.requestId());
                        out.writeBoolean(r.accepted());
                        str(out, r.message());
                    });
                }

                @Override
                public void duplicateSeen(DuplicateSeen d) {
                    write(() -> {
                        out.writeByte(DUPLICATE_SEEN);
                        str(out, d.node());
                        out.writeLong(d.older());
                        out.writeLong(d.newer());
                    });
                }
            });
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface IoWrite {
        void run() throws IOException;
    }

    private static void write(IoWrite w) {
        try {
            w.run();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Message decodeMessage(byte[] bytes) throws WireException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte kind = in.readByte();
            Message m = switch (kind) {
                case SWITCHOVER_REQUEST -> new SwitchoverRequest(in.readLong(), rstr(in), rstr(in));
                case COMMAND_REPLY -> new CommandReply(in.readLong(), in.readBoolean(), rstr(in));
                case DUPLICATE_SEEN -> new DuplicateSeen(rstr(in), in.readLong(), in.readLong());
                default -> throw new WireException("unknown message kind " + kind);
            };
            if (in.available() != 0) {
                throw new WireException("trailing bytes");
            }
            return m;
        } catch (IOException e) {
            throw new WireException("truncated message");
        }
    }

    private static int count(int n) throws WireException {
        if (n > MAX_ITEMS) {
            throw new WireException("too many items: " + n);
        }
        return n;
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeShort(0xFFFF);
            return;
        }
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length > MAX_STRING) {
            throw new IllegalArgumentException("string too long for the wire: " + b.length + " bytes");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    private static String rstr(DataInputStream in) throws IOException, WireException {
        int n = in.readUnsignedShort();
        if (n == 0xFFFF) {
            return null;
        }
        if (n > MAX_STRING) {
            throw new WireException("string too long: " + n);
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new WireException("truncated string");
        }
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
}
