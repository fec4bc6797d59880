package org.tandemha.core.engine;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Duration;

/**
 * The snapshot JSON as Jackson's {@code ObjectMapper} wrote and read it before {@link SnapshotJson} built it from the
 * records' components: the reference that the snapshots of earlier journals and peers were written with.
 */
public final class DatabindSnapshotJson {
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

    private DatabindSnapshotJson() {
    }

    public static String write(EngineSnapshot s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static EngineSnapshot read(String json) {
        try {
            return JSON.readValue(json, EngineSnapshot.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
