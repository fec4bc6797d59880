package org.tandemha.core.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * The first line of a journal segment: where it comes from and the engine state it starts from.
 *
 * @param format      the segment format ({@link JournalReader#FORMAT} when written by this code)
 * @param cluster     the cluster's name
 * @param node        the node whose engine the inputs went to
 * @param t           the engine time (monotonic milliseconds) at which the segment starts
 * @param wallBase    the wall time (epoch milliseconds) at engine time 0, to show engine times as dates
 * @param fingerprint the configuration's fingerprint (a replay needs the same configuration)
 * @param snapshot    the engine's state when the segment started, as the caller gave it (opaque here); null
 *                    when the caller had none (a journal that starts at the node's boot needs none)
 */
public record JournalHeader(int format, String cluster, String node, long t, long wallBase, String fingerprint,
                            JsonNode snapshot) {

    /** The wall time of engine time {@code engineMs}. */
    public Instant wallTime(long engineMs) {
        return Instant.ofEpochMilli(wallBase + engineMs);
    }

    ObjectNode toJson() {
        ObjectNode o = InputCodec.F.objectNode();
        o.put("format", format);
        InputCodec.str(o, "cluster", cluster);
        InputCodec.str(o, "node", node);
        o.put("startedAt", wallTime(t).toString());
        o.put("t", t);
        o.put("wallBase", wallBase);
        InputCodec.str(o, "fingerprint", fingerprint);
        o.set("snapshot", snapshot == null ? InputCodec.F.nullNode() : snapshot);
        return o;
    }
}
