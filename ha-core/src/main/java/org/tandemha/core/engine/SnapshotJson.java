package org.tandemha.core.engine;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Duration;

/**
 * Writes an {@link EngineSnapshot} as JSON and reads it back, exactly: the snapshot read equals the one written.
 * Durations are milliseconds. A snapshot of a newer format than {@link EngineSnapshot#FORMAT} is refused with an
 * error that says so, as is one that is not a snapshot at all.
 */
public final class SnapshotJson {
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new SimpleModule("tandem-durations")
                    .addSerializer(Duration.class, new JsonSerializer<>() {
                        @Override
                        public void serialize(Duration d, JsonGenerator g, SerializerProvider p) throws IOException {
                            g.writeNumber(d.toMillis());
                        }
                    })
                    .addDeserializer(Duration.class, new JsonDeserializer<>() {
                        @Override
                        public Duration deserialize(JsonParser p, DeserializationContext c) throws IOException {
                            return Duration.ofMillis(p.getLongValue());
                        }
                    }))
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private SnapshotJson() {
    }

    public static JsonNode toTree(EngineSnapshot snapshot) {
        return JSON.valueToTree(snapshot);
    }

    public static String write(EngineSnapshot snapshot) {
        try {
            return JSON.writeValueAsString(snapshot);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the engine snapshot: " + e.getOriginalMessage(), e);
        }
    }

    public static EngineSnapshot read(String json) {
        try {
            return fromTree(JSON.readTree(json));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an engine snapshot (bad JSON at line " + e.getLocation().getLineNr()
                    + "): " + e.getOriginalMessage(), e);
        }
    }

    /** Reads a snapshot; a newer format, or a document that is not a snapshot, is refused with the reason. */
    public static EngineSnapshot fromTree(JsonNode tree) {
        if (tree == null || !tree.isObject() || !tree.path("format").canConvertToInt()) {
            throw new IllegalArgumentException("not an engine snapshot: a JSON object with a numeric \"format\" was expected");
        }
        int format = tree.get("format").asInt();
        if (format > EngineSnapshot.FORMAT) {
            throw new IllegalArgumentException("engine snapshot has format " + format + "; this Tandem reads format "
                    + EngineSnapshot.FORMAT + " and older: upgrade Tandem to read it");
        }
        try {
            return JSON.treeToValue(tree, EngineSnapshot.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("engine snapshot (format " + format + ") cannot be read: "
                    + e.getOriginalMessage(), e);
        }
    }
}
