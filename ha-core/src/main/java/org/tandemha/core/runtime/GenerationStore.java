package org.tandemha.core.runtime;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generations a node knows, kept in its state directory ({@code generations.properties}), so that a node
 * that restarts never claims a generation it has seen used. Written atomically (temp file, fsync, rename).
 */
final class GenerationStore {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationStore.class);
    private static final String FILE = "generations.properties";

    private GenerationStore() {
    }

    static Map<String, Long> load(Path dir, String node) {
        Path f = dir.resolve(FILE);
        Map<String, Long> out = new LinkedHashMap<>();
        if (!Files.exists(f)) {
            return out;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
            for (String k : p.stringPropertyNames()) {
                try {
                    out.put(k, Long.parseLong(p.getProperty(k).trim()));
                } catch (NumberFormatException e) {
                    LOG.warn("node {}: ignoring a bad generation for group {} in {}", node, k, f);
                }
            }
        } catch (IOException e) {
            LOG.warn("node {}: cannot read {} ({}); starting without remembered generations", node, f, e.getMessage());
        }
        return out;
    }

    /**
     * Writes the generations durably: a temporary file, fsync, an atomic rename, then fsync of the directory so
     * that the rename itself survives a power loss.
     *
     * @throws IOException if any of it failed; the caller must not act on these generations then
     */
    static void save(Path dir, Map<String, Long> generations, String node) throws IOException {
        StateDirectory.create(dir);
        Path tmp = dir.resolve(FILE + ".tmp");
        Properties p = new Properties();
        generations.forEach((k, v) -> p.setProperty(k, Long.toString(v)));
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, "group generations known to node " + node + "; kept so that they only grow");
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
